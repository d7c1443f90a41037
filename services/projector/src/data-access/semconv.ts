// Database span attributes (OpenTelemetry semantic conventions, stable), as the pg instrumentation names them.
export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
export const ATTR_DB_COLLECTION_NAME = 'db.collection.name';
export const ATTR_DB_QUERY_TEXT = 'db.query.text';
export const ATTR_DB_OPERATION_BATCH_SIZE = 'db.operation.batch.size';
