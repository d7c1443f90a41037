import { describe, expect, it } from 'vitest';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, CopyBinaryDecoder, CopyBinaryEncoder, type CopyColumn } from './copy-binary.ts';

/** The bytes of one encoded row: header and trailer cut off, field count and fields left. */
function encode(columns: readonly CopyColumn[], row: object): Buffer {
  const chunks: Buffer[] = [];
  const encoder = new CopyBinaryEncoder(columns, (chunk) => chunks.push(Buffer.from(chunk)));
  encoder.row(row);
  encoder.end();
  const all = Buffer.concat(chunks);
  expect(all.subarray(0, COPY_BINARY_HEADER.length)).toEqual(COPY_BINARY_HEADER);
  expect(all.subarray(all.length - 2)).toEqual(COPY_BINARY_TRAILER);
  return all.subarray(COPY_BINARY_HEADER.length, all.length - 2);
}

const one = (type: string, value: unknown) => encode([{ name: 'v', type }], { v: value }).subarray(2);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};

describe('COPY binary encoding', () => {
  it('writes epoch milliseconds as microseconds since 2000-01-01, before and after it', () => {
    expect(one('timestamp with time zone', Date.UTC(2000, 0, 1, 0, 0, 0, 1))).toEqual(Buffer.concat([int32(8), int64(1000n)]));
    expect(one('timestamp with time zone', Date.UTC(2025, 2, 14, 9, 0, 0, 7))).toEqual(
      Buffer.concat([int32(8), int64(BigInt(Date.UTC(2025, 2, 14, 9, 0, 0, 7) - Date.UTC(2000, 0, 1)) * 1000n)]),
    );
    expect(one('timestamp with time zone', 0)).toEqual(Buffer.concat([int32(8), int64(-946_684_800_000_000n)]));
  });

  it('writes a uuid as its 16 bytes and refuses one that is not hex', () => {
    expect(one('uuid', '00112233-4455-6677-8899-aabbccddeeff')).toEqual(
      Buffer.concat([int32(16), Buffer.from('00112233445566778899aabbccddeeff', 'hex')]),
    );
    expect(() => one('uuid', 'not-a-uuid')).toThrow('not a uuid');
    expect(() => one('uuid', '00112233-4455-6677-8899-aabbccddeefg')).toThrow('not a uuid');
    expect(() => one('uuid', '001122334-455-6677-8899-aabbccddeeff')).toThrow('not a uuid');
    expect(one('uuid', '00112233-4455-6677-8899-AABBCCDDEEFF')).toEqual(one('uuid', '00112233-4455-6677-8899-aabbccddeeff'));
  });

  it('writes jsonb as version 1 then the JSON text, and text as UTF-8 with its byte length', () => {
    const json = JSON.stringify({ région: 'NORD', flags: [true, null] });

    expect(one('jsonb', { région: 'NORD', flags: [true, null] })).toEqual(
      Buffer.concat([int32(Buffer.byteLength(json) + 1), Buffer.from([1]), Buffer.from(json)]),
    );
    expect(one('text', 'tab\tü')).toEqual(Buffer.concat([int32(Buffer.byteLength('tab\tü')), Buffer.from('tab\tü')]));
  });

  it('writes integers, bigints (negative too) and booleans at their widths, and null as length -1', () => {
    expect(one('integer', 42)).toEqual(Buffer.concat([int32(4), int32(42)]));
    expect(one('bigint', 9_007_199_254_740_991)).toEqual(Buffer.concat([int32(8), int64(9_007_199_254_740_991n)]));
    expect(one('bigint', -5)).toEqual(Buffer.concat([int32(8), int64(-5n)]));
    expect(one('boolean', false)).toEqual(Buffer.concat([int32(1), Buffer.from([0])]));
    expect(one('text', null)).toEqual(int32(-1));
    expect(one('uuid', undefined)).toEqual(int32(-1));
  });

  it('writes text[] as a one-dimensional array of text elements, and an empty array with no dimension', () => {
    const elements = Buffer.concat([int32(1), Buffer.from('a'), int32(-1), int32(2), Buffer.from('ü')]);
    const body = Buffer.concat([int32(1), int32(1), int32(25), int32(3), int32(1), elements]);

    expect(one('text[]', ['a', null, 'ü'])).toEqual(Buffer.concat([int32(body.length), body]));
    expect(one('text[]', [])).toEqual(Buffer.concat([int32(12), int32(0), int32(0), int32(25)]));
  });

  it('writes the field count, then the columns in the order given, whatever the row object order', () => {
    const row = encode(
      [
        { name: 'published', type: 'boolean' },
        { name: 'source_offset', type: 'bigint' },
      ],
      { source_offset: 3, published: true },
    );

    expect(row).toEqual(Buffer.concat([Buffer.from([0, 2]), int32(1), Buffer.from([1]), int32(8), int64(3n)]));
  });

  it('refuses a column type it has no encoding for rather than guess', () => {
    expect(() => new CopyBinaryEncoder([{ name: 'v', type: 'numeric' }], () => undefined)).toThrow('numeric');
  });

  it('hands on buffers of whole rows, values larger than a buffer included', () => {
    const chunks: Buffer[] = [];
    const encoder = new CopyBinaryEncoder([{ name: 'v', type: 'text' }], (chunk) => chunks.push(Buffer.from(chunk)));
    const big = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 3; i++) encoder.row({ v: big });
    encoder.end();

    const all = Buffer.concat(chunks);
    expect(chunks.length).toBeGreaterThan(1);
    expect(all.length).toBe(COPY_BINARY_HEADER.length + 3 * (2 + 4 + big.length) + 2);
  });
});

describe('COPY binary decoding', () => {
  const columns = [
    { name: 'aggregate', type: 'text' },
    { name: 'body', type: 'bytea' },
  ];
  const rows = Array.from({ length: 50 }, (_, i) => ({ aggregate: `referral:${i}`, body: Buffer.alloc(i * 7, i) }));

  function encoded(): Buffer {
    const chunks: Buffer[] = [];
    const encoder = new CopyBinaryEncoder(columns, (chunk) => chunks.push(Buffer.from(chunk)));
    for (const row of rows) encoder.row(row);
    encoder.row({ aggregate: 'gap:x', body: null });
    encoder.end();
    return Buffer.concat(chunks);
  }

  it('reads back what the encoder wrote, whatever the chunks it arrives in', () => {
    const all = encoded();
    for (const size of [1, 3, 19, 64, 1_000, all.length]) {
      const decoder = new CopyBinaryDecoder();
      const read: (Buffer | null)[][] = [];
      for (let at = 0; at < all.length; at += size) read.push(...decoder.push(all.subarray(at, at + size)));

      expect(decoder.complete, `chunks of ${size}`).toBe(true);
      expect(read.map(([aggregate, body]) => ({ aggregate: aggregate?.toString(), body }))).toEqual([
        ...rows.map((row) => ({ aggregate: row.aggregate, body: row.body })),
        { aggregate: 'gap:x', body: null },
      ]);
    }
  });

  it('is not complete before the trailer, and refuses what is not binary COPY', () => {
    const all = encoded();
    const decoder = new CopyBinaryDecoder();
    decoder.push(all.subarray(0, all.length - 2));

    expect(decoder.complete).toBe(false);
    expect(() => new CopyBinaryDecoder().push(Buffer.from('referral:1\tabc\n'.repeat(3)))).toThrow('not a binary COPY stream');
  });
});
