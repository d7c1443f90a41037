import { MalformedMessageError, WrongMagicByteError } from './errors.ts';
import { HEADER_LENGTH, MAGIC_BYTE, MAX_SCHEMA_ID } from './wire-format.ts';

export interface Frame {
  readonly schemaId: number;
  /** The Avro body; a view on the message, not a copy. */
  readonly body: Buffer;
}

/** Splits a message into its schema id and Avro body, checking the header first. */
export function decodeFrame(message: Uint8Array): Frame {
  const buffer = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (buffer.length === 0) throw new MalformedMessageError('message is empty');
  const magic = buffer.readUInt8(0);
  if (magic !== MAGIC_BYTE) throw new WrongMagicByteError(magic);
  if (buffer.length < HEADER_LENGTH) {
    throw new MalformedMessageError(`message is ${buffer.length} bytes long, shorter than the ${HEADER_LENGTH}-byte wire-format header`);
  }
  const schemaId = buffer.readUInt32BE(1);
  if (schemaId === 0 || schemaId > MAX_SCHEMA_ID)
    throw new MalformedMessageError(`message names schema id ${schemaId}, which no registry hands out`);
  return { schemaId, body: buffer.subarray(HEADER_LENGTH) };
}
