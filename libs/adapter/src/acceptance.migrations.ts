import type { Knex, NamedMigration } from '@passerelle/db';

export const IDEMPOTENCY_TABLE = 'idempotency_keys';
export const SOURCE_IDS_TABLE = 'source_ids';

/**
 * Both tables hold HMACs, never the ministry's own identifiers: a case number or referral
 * number is personal enough to stay inside the ministry.
 */
export const acceptanceMigrations: readonly NamedMigration[] = [
  {
    name: '0002_idempotency_and_source_ids',
    async up(db: Knex) {
      await db.schema.createTable(IDEMPOTENCY_TABLE, (t) => {
        t.string('key_hash', 64).primary();
        t.string('body_hash', 64).notNullable();
        t.jsonb('response');
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      });
      await db.schema.createTable(SOURCE_IDS_TABLE, (t) => {
        t.string('entity', 40).notNullable();
        t.string('source_hash', 64).notNullable();
        t.uuid('entity_id').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.primary(['entity', 'source_hash']);
      });
    },
    async down(db: Knex) {
      await db.schema.dropTable(SOURCE_IDS_TABLE);
      await db.schema.dropTable(IDEMPOTENCY_TABLE);
    },
  },
];
