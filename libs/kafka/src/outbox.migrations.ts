import type { Knex, NamedMigration } from '@passerelle/db';

export const OUTBOX_TABLE = 'outbox';

/** What a row's payload becomes once Kafka has acknowledged it: nothing of the event is kept. */
export const PUBLISHED_PAYLOAD = '{}';

/**
 * The outbox holds canonical events as JSON, not encoded bytes: encoding needs the schema
 * registry, and a registry outage must delay publication, never refuse an acceptance.
 */
export const outboxMigrations: readonly NamedMigration[] = [
  {
    name: '0001_outbox',
    async up(db: Knex) {
      await db.schema.createTable(OUTBOX_TABLE, (t) => {
        t.bigIncrements('id').primary();
        t.uuid('event_id').notNullable().unique();
        t.string('event_type', 80).notNullable();
        t.string('topic', 200).notNullable();
        t.string('message_key', 100).notNullable();
        t.jsonb('payload').notNullable();
        t.jsonb('trace_context').notNullable().defaultTo('{}');
        t.timestamp('accepted_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.timestamp('published_at', { useTz: true });
        t.integer('attempts').notNullable().defaultTo(0);
        t.string('last_error', 500);
      });
      await db.raw(`CREATE INDEX outbox_unpublished ON ${OUTBOX_TABLE} (id) WHERE published_at IS NULL`);
    },
    async down(db: Knex) {
      await db.schema.dropTable(OUTBOX_TABLE);
    },
  },
  {
    // Rows published before payloads were emptied at publication.
    name: '0002_empty_published_payloads',
    async up(db: Knex) {
      await db(OUTBOX_TABLE)
        .whereNotNull('published_at')
        .whereRaw(`payload <> ?::jsonb`, [PUBLISHED_PAYLOAD])
        .update({ payload: PUBLISHED_PAYLOAD });
    },
    async down() {
      // Emptied payloads cannot come back.
    },
  },
];

export interface OutboxEntry {
  readonly eventId: string;
  readonly eventType: string;
  readonly topic: string;
  /** The referral, initiative or gap id: never a pseudonym or anything personal. */
  readonly key: string;
  readonly payload: unknown;
  /** W3C trace context of the accepting request (traceparent, tracestate). */
  readonly traceContext: Readonly<Record<string, string>>;
}

export interface OutboxRow {
  readonly id: number;
  readonly event_id: string;
  readonly event_type: string;
  readonly topic: string;
  readonly message_key: string;
  readonly payload: unknown;
  readonly trace_context: Record<string, string>;
  readonly accepted_at: Date;
}

/** Appends inside the caller's transaction, so the acceptance and its events commit together. */
export async function appendToOutbox(trx: Knex.Transaction, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx(OUTBOX_TABLE).insert(
    entries.map((entry) => ({
      event_id: entry.eventId,
      event_type: entry.eventType,
      topic: entry.topic,
      message_key: entry.key,
      payload: JSON.stringify(entry.payload),
      trace_context: JSON.stringify(entry.traceContext),
    })),
  );
}
