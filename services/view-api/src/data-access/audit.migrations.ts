import { migrate, type Knex, type NamedMigration } from '@passerelle/db';

export const AUDIT_MIGRATIONS_TABLE = 'view_api_migrations';

/**
 * The view API's own schema: every decision on person-level data (and reads of small slices),
 * hash-chained (domain/audit-chain.ts) and append-only.
 */
export const auditMigrations = (schema: string): readonly NamedMigration[] => [
  {
    name: '0001_audit',
    async up(db: Knex) {
      await db.schema.withSchema(schema).createTable('audit', (t) => {
        t.bigIncrements('id').primary();
        t.timestamp('at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.text('subject').notNullable();
        t.text('role').notNullable();
        t.text('ministry');
        t.text('endpoint').notNullable();
        t.jsonb('filters').notNullable();
        t.specificType('referral_ids', 'uuid[]').notNullable();
        t.uuid('request_id').notNullable();
        t.index(['at']);
      });
    },
    async down(db: Knex) {
      await db.schema.withSchema(schema).dropTableIfExists('audit');
    },
  },
  {
    // Aggregate reads of small slices are audited too; rows from before are person-level reads.
    name: '0002_audit_kind',
    async up(db: Knex) {
      await db.schema.withSchema(schema).alterTable('audit', (t) => {
        t.text('kind').notNullable().defaultTo('person-level');
      });
    },
    async down(db: Knex) {
      await db.schema.withSchema(schema).alterTable('audit', (t) => {
        t.dropColumn('kind');
      });
    },
  },
  {
    // Denials and misses are recorded too, each row sealed onto one chain. Rows from before stay
    // unsealed (no hashes) and are reported as such by `audit verify`.
    name: '0003_audit_chain',
    async up(db: Knex) {
      await db.raw(
        `ALTER TABLE ??.audit
           ALTER COLUMN subject DROP NOT NULL,
           ALTER COLUMN role DROP NOT NULL,
           ADD COLUMN outcome text NOT NULL DEFAULT 'allowed' CHECK (outcome IN ('allowed', 'denied', 'not_found')),
           ADD COLUMN status smallint NOT NULL DEFAULT 200,
           ADD COLUMN reason text,
           ADD COLUMN prev_hash text,
           ADD COLUMN hash text`,
        [schema],
      );
      // A fork (two rows on one predecessor) cannot be stored, whatever a writer does.
      await db.raw('CREATE UNIQUE INDEX audit_prev_hash_unique ON ??.audit (prev_hash)', [schema]);
      // Append-only for everyone who respects triggers; the chain catches those who do not (a superuser).
      await db.raw(
        `CREATE FUNCTION ??.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           RAISE EXCEPTION 'the audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
         END $$`,
        [schema],
      );
      await db.raw(
        'CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON ??.audit FOR EACH ROW EXECUTE FUNCTION ??.audit_append_only()',
        [schema, schema],
      );
      await db.raw(
        'CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON ??.audit FOR EACH STATEMENT EXECUTE FUNCTION ??.audit_append_only()',
        [schema, schema],
      );
    },
    async down(db: Knex) {
      await db.raw('DROP TRIGGER IF EXISTS audit_no_truncate ON ??.audit', [schema]);
      await db.raw('DROP TRIGGER IF EXISTS audit_append_only ON ??.audit', [schema]);
      await db.raw('DROP FUNCTION IF EXISTS ??.audit_append_only()', [schema]);
      await db.raw('DROP INDEX IF EXISTS ??.audit_prev_hash_unique', [schema]);
      await db.raw(
        'ALTER TABLE ??.audit DROP COLUMN hash, DROP COLUMN prev_hash, DROP COLUMN reason, DROP COLUMN status, DROP COLUMN outcome',
        [schema],
      );
    },
  },
];

/** Brings the view API's own schema (the audit) to its latest migration; run as the migrator. */
export async function migrateViewApi(db: Knex, apiSchema: string): Promise<string[]> {
  return migrate(db, auditMigrations(apiSchema), AUDIT_MIGRATIONS_TABLE, apiSchema);
}
