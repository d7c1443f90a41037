export { createDatabase, migrate, ping } from './database.ts';
export type { DatabaseOptions, Knex, NamedMigration } from './database.ts';
