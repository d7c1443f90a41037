import type { Knex, NamedMigration } from '@passerelle/db';

export const AUDIT_MIGRATIONS_TABLE = 'view_api_migrations';

/** The view API's own schema: who looked at which person-level rows. Append-only by convention. */
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
];
