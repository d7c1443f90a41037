export { createDatabase, migrate, ping } from './database.ts';
export type { DatabaseOptions, Knex, NamedMigration } from './database.ts';
export {
  ADAPTER_SCHEMAS,
  MIGRATOR,
  SERVICE_ROLES,
  serviceRoles,
  VIEW_API_SCHEMA,
  VIEW_SCHEMA,
  databaseRoleNames,
  dropDatabaseRoles,
  ensureDatabaseRoles,
  grantSchemaLike,
  roleName,
  urlForRole,
} from './database-roles.ts';
export type { DatabaseRoleNames, EnsureRolesOptions, SchemaAccess, ServiceRole } from './database-roles.ts';
export { DatabaseError, DatabaseRoleLayoutError } from './errors.ts';
export {
  DATA_KEYS_TABLE,
  ERASURE_RECEIPTS_TABLE,
  KEY_STORE_SCHEMA,
  KeyStoreError,
  dataKeyFor,
  destroyDataKey,
  keyStoreMigrations,
  migrateKeyStore,
  readDataKeys,
} from './key-store.ts';
export type { DataKeyDestruction, DataKeyState, KeyWrapper } from './key-store.ts';
