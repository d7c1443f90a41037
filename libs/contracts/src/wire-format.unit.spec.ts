import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { decodeFrame } from './wire-decoder.ts';
import { encodeFrame } from './wire-encoder.ts';
import { MalformedMessageError, WrongMagicByteError } from './errors.ts';

// A schema of its own, encoded by avsc directly: the test needs neither the registry nor its library.
const type = avro.Type.forSchema({
  type: 'record',
  name: 'WireProbe',
  namespace: 'ca.on.passerelle.test',
  fields: [
    { name: 'region', type: { type: 'enum', name: 'Region', symbols: ['UNKNOWN', 'TORONTO', 'NORTH_WEST'] } },
    { name: 'count', type: 'int' },
  ],
});

describe('the Confluent wire format', () => {
  it('decodes a message built byte by byte: magic 0, schema id big-endian, Avro body', () => {
    const body = type.toBuffer({ region: 'NORTH_WEST', count: 42 });
    // Avro: enum index 2 → zigzag varint 0x04; int 42 → zigzag varint 0x54.
    expect([...body]).toEqual([0x04, 0x54]);
    const message = Buffer.from([0x00, 0x00, 0x01, 0x02, 0x03, ...body]);

    const frame = decodeFrame(message);

    expect(frame.schemaId).toBe(0x010203);
    expect(type.fromBuffer(frame.body)).toEqual({ region: 'NORTH_WEST', count: 42 });
  });

  it('encodes the header byte by byte, followed by the Avro body unchanged', () => {
    const body = type.toBuffer({ region: 'TORONTO', count: -1 });

    const message = encodeFrame(2_147_483_000, body);

    expect([...message.subarray(0, 5)]).toEqual([0x00, 0x7f, 0xff, 0xfd, 0x78]);
    expect([...message.subarray(5)]).toEqual([0x02, 0x01]);
    expect(type.fromBuffer(message.subarray(5))).toEqual({ region: 'TORONTO', count: -1 });
  });

  it('round-trips any schema id and body', () => {
    for (const id of [1, 255, 256, 65_536, 0x7fffffff]) {
      const body = Buffer.from([9, 8, 7]);
      const frame = decodeFrame(encodeFrame(id, body));
      expect(frame).toEqual({ schemaId: id, body });
    }
  });

  it('refuses a message whose first byte is not the magic byte, saying which byte it found', () => {
    const attempt = () => decodeFrame(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x7d]));
    expect(attempt).toThrow(WrongMagicByteError);
    expect(attempt).toThrow(/starts with byte 123, expected .* magic byte 0/);
    try {
      attempt();
    } catch (error) {
      expect((error as WrongMagicByteError).code).toBe('WRONG_MAGIC_BYTE');
      expect((error as WrongMagicByteError).retryable).toBe(false);
    }
  });

  it('refuses a message shorter than the five-byte header, and an empty one', () => {
    expect(() => decodeFrame(Buffer.from([0, 0, 1]))).toThrow(MalformedMessageError);
    expect(() => decodeFrame(Buffer.alloc(0))).toThrow(/empty/);
  });

  it('refuses schema id 0 on both sides, since no registry hands it out', () => {
    expect(() => decodeFrame(Buffer.from([0, 0, 0, 0, 0, 1]))).toThrow(/schema id 0/);
    expect(() => encodeFrame(0, Buffer.alloc(1))).toThrow(RangeError);
  });
});
