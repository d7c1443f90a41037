/**
 * Rows in PostgreSQL's binary COPY format, from the domain's plain rows. Binary spares both
 * sides the text round trip of the view's most frequent values: a timestamptz is an int64 of
 * microseconds since 2000-01-01 (no date formatting here, no date parsing in the server), a uuid
 * 16 bytes. Each column is encoded by the type the table declares (`format_type`), so a row
 * loaded by COPY holds exactly what the live path's statements store: epoch milliseconds become
 * the same timestamptz, objects the same jsonb (its text, as `JSON.stringify` writes it for the
 * live path too), arrays the same text[].
 */

/** One column of a table as the catalogue describes it. */
export interface CopyColumn {
  readonly name: string;
  readonly type: string;
}

/** The fixed file header: signature, flags, header extension length. */
export const COPY_BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** The file trailer: a field count of -1. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_TO_32 = 2 ** 32;
const TEXT_OID = 25;
const JSONB_VERSION = 1;
/** A buffer is handed on once it holds this much; values larger than what is left get a buffer of their own size. */
const CHUNK_BYTES = 256 * 1024;
/** Up to this length, an ASCII string is copied byte by byte: cheaper than a native UTF-8 write per value. */
const SHORT_STRING = 64;
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(i)] = i;
}
const hexValue = (code: number) => (code < 128 ? (HEX_VALUES[code] as number) : -1);
const isUuidDash = (index: number) => index === 8 || index === 13 || index === 18 || index === 23;

/** Writes values into a growing series of buffers, each handed to `flush` when full. */
class ByteSink {
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private offset = 0;

  constructor(private readonly flush: (chunk: Buffer) => void) {}

  /** Makes room for `bytes` more, handing on what is written so far if needed. */
  reserve(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    this.end();
    this.buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
  }

  int16(value: number): void {
    this.reserve(2);
    this.offset = this.buffer.writeInt16BE(value, this.offset);
  }

  int32(value: number): void {
    this.reserve(4);
    this.offset = this.buffer.writeInt32BE(value, this.offset);
  }

  /** An integer below 2^53 in magnitude, as a big-endian int64. */
  int64(value: number): void {
    this.reserve(8);
    const high = Math.floor(value / TWO_TO_32);
    this.offset = this.buffer.writeInt32BE(high, this.offset);
    this.offset = this.buffer.writeUInt32BE(value - high * TWO_TO_32, this.offset);
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.offset++] = value;
  }

  bytes(value: Buffer): void {
    this.reserve(value.length);
    this.offset += value.copy(this.buffer, this.offset);
  }

  /** A length-prefixed UTF-8 string, with `prefix` bytes before it counted in the length. */
  text(value: string, prefix?: number): void {
    const extra = prefix === undefined ? 0 : 1;
    this.reserve(4 + extra + value.length * 3);
    const start = this.offset;
    this.offset += 4;
    if (prefix !== undefined) this.buffer[this.offset++] = prefix;
    this.offset += this.asciiCopied(value) ? value.length : this.buffer.write(value, this.offset, 'utf8');
    this.buffer.writeInt32BE(this.offset - start - 4, start);
  }

  /** Copies a short ASCII string at the offset (without moving it); false for anything else, partly copied. */
  private asciiCopied(value: string): boolean {
    if (value.length > SHORT_STRING) return false;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return false;
      this.buffer[this.offset + i] = code;
    }
    return true;
  }

  /** A uuid in its 8-4-4-4-12 hex form (the only form the view's ids take), as 16 bytes. */
  uuid(value: string): void {
    if (value.length !== 36) throw new Error(`not a uuid (${value.length} characters)`);
    this.reserve(20);
    this.offset = this.buffer.writeInt32BE(16, this.offset);
    for (let i = 0; i < 36; i += 2) {
      if (isUuidDash(i)) {
        if (value.charCodeAt(i) !== 0x2d) throw new Error('not a uuid (misplaced dash)');
        i--; // the next pair starts right after the dash
        continue;
      }
      const high = hexValue(value.charCodeAt(i));
      const low = hexValue(value.charCodeAt(i + 1));
      if (high < 0 || low < 0) throw new Error('not a uuid (a character is not hex)');
      this.buffer[this.offset++] = (high << 4) | low;
    }
  }

  /** What is written so far, handed on. */
  end(): void {
    if (this.offset === 0) return;
    this.flush(this.buffer.subarray(0, this.offset));
    this.buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.offset = 0;
  }
}

type Write = (sink: ByteSink, value: unknown) => void;

function writeTextArray(sink: ByteSink, values: readonly unknown[]): void {
  const elements = values.map((value) => (value === null || value === undefined ? null : Buffer.from(String(value), 'utf8')));
  const hasNull = elements.some((element) => element === null) ? 1 : 0;
  const dimensions = elements.length === 0 ? 0 : 1;
  const size = 12 + dimensions * 8 + elements.reduce((sum, element) => sum + 4 + (element?.length ?? 0), 0);
  sink.int32(size);
  sink.int32(dimensions);
  sink.int32(hasNull);
  sink.int32(TEXT_OID);
  if (dimensions) {
    sink.int32(elements.length);
    sink.int32(1);
  }
  for (const element of elements) {
    if (element === null) {
      sink.int32(-1);
      continue;
    }
    sink.int32(element.length);
    sink.bytes(element);
  }
}

function writerFor(type: string): Write {
  switch (type) {
    case 'timestamp with time zone':
      return (sink, value) => {
        sink.int32(8);
        sink.int64((Number(value) - POSTGRES_EPOCH_MS) * 1000);
      };
    case 'jsonb':
      return (sink, value) => sink.text(JSON.stringify(value), JSONB_VERSION);
    case 'json':
    case 'text':
      return (sink, value) => sink.text(String(value));
    case 'uuid':
      return (sink, value) => sink.uuid(String(value));
    case 'boolean':
      return (sink, value) => {
        sink.int32(1);
        sink.byte(value ? 1 : 0);
      };
    case 'integer':
      return (sink, value) => {
        sink.int32(4);
        sink.int32(Number(value));
      };
    case 'bigint':
      return (sink, value) => {
        sink.int32(8);
        sink.int64(Number(value));
      };
    case 'text[]':
      return (sink, value) => writeTextArray(sink, value as readonly unknown[]);
    case 'bytea':
      return (sink, value) => {
        const bytes = value as Buffer;
        sink.int32(bytes.length);
        sink.bytes(bytes);
      };
    default:
      throw new Error(`no binary COPY encoding for column type ${type}`);
  }
}

/**
 * Encodes the rows of one table, columns in the given order, into buffers handed to `flush`:
 * the header first, the trailer after `end`.
 */
export class CopyBinaryEncoder {
  private readonly names: readonly string[];
  private readonly writers: readonly Write[];
  private readonly sink: ByteSink;

  constructor(columns: readonly CopyColumn[], flush: (chunk: Buffer) => void) {
    this.names = columns.map((column) => column.name);
    this.writers = columns.map((column) => writerFor(column.type));
    this.sink = new ByteSink(flush);
    this.sink.bytes(COPY_BINARY_HEADER);
  }

  /** One row; null and undefined are NULL. */
  row(row: object): void {
    const values = row as Record<string, unknown>;
    this.sink.int16(this.names.length);
    for (let i = 0; i < this.names.length; i++) {
      const value = values[this.names[i] as string];
      if (value === null || value === undefined) this.sink.int32(-1);
      else (this.writers[i] as Write)(this.sink, value);
    }
  }

  /** Hands on what is buffered; the buffers so far form whole rows. */
  flush(): void {
    this.sink.end();
  }

  /** The trailer, and everything still buffered. */
  end(): void {
    this.sink.bytes(COPY_BINARY_TRAILER);
    this.sink.end();
  }
}

/**
 * Reads PostgreSQL's binary COPY output (`COPY … TO STDOUT (FORMAT binary)`) back into rows, each
 * a list of its fields' raw bytes (null for NULL), as chunks arrive: a row split across chunks is
 * kept until it is whole. The rebuild reads its staged events this way; the fields are decoded by
 * the caller, who knows the columns it selected.
 */
export class CopyBinaryDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private headerRead = false;
  private ended = false;

  /** The rows completed by this chunk. */
  push(chunk: Buffer): (Buffer | null)[][] {
    const rows: (Buffer | null)[][] = [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    if (!this.headerRead) {
      if (this.pending.length < COPY_BINARY_HEADER.length) return rows;
      if (!this.pending.subarray(0, 11).equals(COPY_BINARY_HEADER.subarray(0, 11))) throw new Error('not a binary COPY stream');
      offset = COPY_BINARY_HEADER.length + this.pending.readInt32BE(15);
      this.headerRead = true;
    }
    const buffer = this.pending;
    for (;;) {
      if (this.ended || offset + 2 > buffer.length) break;
      const fields = buffer.readInt16BE(offset);
      if (fields === -1) {
        this.ended = true;
        offset += 2;
        break;
      }
      const row: (Buffer | null)[] = [];
      let at = offset + 2;
      for (let i = 0; i < fields; i++) {
        if (at + 4 > buffer.length) break;
        const length = buffer.readInt32BE(at);
        at += 4;
        if (length === -1) {
          row.push(null);
          continue;
        }
        if (at + length > buffer.length) break;
        row.push(buffer.subarray(at, at + length));
        at += length;
      }
      if (row.length < fields) break; // the rest of this row is in a later chunk
      offset = at;
      rows.push(row);
    }
    // What is left is copied, so the chunk it came from is not kept alive by a view into it.
    this.pending = offset >= buffer.length ? Buffer.alloc(0) : Buffer.from(buffer.subarray(offset));
    return rows;
  }

  /** Whether the trailer was read: the stream held every row. */
  get complete(): boolean {
    return this.ended;
  }
}
