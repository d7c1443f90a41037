export {
  commentOnDatabase,
  databaseComment,
  databaseName,
  dropDatabase,
  ensureDatabase,
  maintenanceUrl,
  publicTables,
  serverVersion,
  withDatabase,
} from './pg-admin.ts';
