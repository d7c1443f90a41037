import { HEADER_LENGTH, MAGIC_BYTE, MAX_SCHEMA_ID } from './wire-format.ts';

/** Frames an Avro body: magic byte 0, the schema id (big-endian), the body. */
export function encodeFrame(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 1 || schemaId > MAX_SCHEMA_ID) {
    throw new RangeError(`schema id must be an integer from 1 to ${MAX_SCHEMA_ID}, got ${schemaId}`);
  }
  const frame = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  frame.writeUInt8(MAGIC_BYTE, 0);
  frame.writeUInt32BE(schemaId, 1);
  frame.set(body, HEADER_LENGTH);
  return frame;
}
