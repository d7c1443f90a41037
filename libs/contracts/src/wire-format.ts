/**
 * The Confluent wire format: one magic byte (0), the schema id as a 4-byte big-endian
 * integer, then the Avro binary body. Any Confluent-compatible consumer can read it.
 */
export const MAGIC_BYTE = 0;
export const SCHEMA_ID_LENGTH = 4;
export const HEADER_LENGTH = 1 + SCHEMA_ID_LENGTH;
/** Schema ids are signed 32-bit integers in the Confluent API; registries hand out positive ones. */
export const MAX_SCHEMA_ID = 0x7fffffff;
