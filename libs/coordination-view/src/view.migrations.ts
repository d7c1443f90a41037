import type { Knex, NamedMigration } from '@passerelle/db';

type Table = Knex.CreateTableBuilder;

function population(t: Table, prefix = ''): void {
  for (const column of [
    'indigenous',
    'young_women',
    'youth_at_risk',
    'youth_in_or_leaving_care',
    'migrant_workers',
    'mental_health_or_addictions',
  ]) {
    t.boolean(`${prefix}${column}`);
  }
}

function position(t: Table): void {
  t.text('source_topic').notNullable();
  t.integer('source_partition').notNullable();
  t.bigInteger('source_offset').notNullable();
}

const at = (t: Table, name: string) => t.timestamp(name, { useTz: true });

/**
 * The coordination view, version 1. Every table is described in services/projector/README.md;
 * the projector runs these migrations and the view API reads the tables. Tables are created in
 * the schema the knex instance's search_path names first (`view`, or a rebuild's fresh schema).
 * A migration that ran never changes: table names stay literal here (tables.ts names them for
 * everyone else).
 */
export const viewMigrations: readonly NamedMigration[] = [
  {
    name: '0001_coordination_view',
    async up(db: Knex) {
      await db.schema.createTable('processed_events', (t) => {
        t.uuid('event_id').primary();
        t.text('event_type').notNullable();
        position(t);
        at(t, 'processed_at').notNullable().defaultTo(db.fn.now());
      });

      await db.schema.createTable('referrals', (t) => {
        t.uuid('referral_id').primary();
        t.text('status').notNullable();
        t.text('status_reason');
        at(t, 'status_changed_at').notNullable();
        t.text('referring_ministry').notNullable();
        t.text('receiving_ministry');
        t.text('receiving_service_type').notNullable();
        t.text('service_category').notNullable();
        t.text('region').notNullable();
        t.text('urgency').notNullable();
        t.text('consent_scope').notNullable();
        t.text('subject_pseudonym');
        population(t);
        t.uuid('created_event_id').notNullable();
        t.text('created_by').notNullable();
        at(t, 'requested_at').notNullable();
        for (const status of ['received', 'accepted', 'declined', 'in_progress', 'on_hold', 'completed', 'withdrawn'])
          at(t, `${status}_at`);
        at(t, 'consent_withdrawn_at');
        t.integer('applied_events').notNullable();
        t.integer('illegal_transitions').notNullable();
        t.uuid('last_event_id').notNullable();
        at(t, 'last_event_at').notNullable();
        t.index(['status']);
        t.index(['region', 'service_category']);
      });

      await db.schema.createTable('referral_history', (t) => {
        t.uuid('event_id').primary();
        t.uuid('referral_id').notNullable().index();
        t.text('event_type').notNullable();
        t.text('source_ministry').notNullable();
        at(t, 'occurred_at').notNullable();
        position(t);
        t.text('trace_id');
        t.jsonb('payload').notNullable();
        at(t, 'consumed_at').notNullable().defaultTo(db.fn.now());
      });

      await db.schema.createTable('illegal_transitions', (t) => {
        t.uuid('event_id').primary();
        t.uuid('referral_id').notNullable().index();
        t.text('event_type').notNullable();
        t.text('from_status');
        t.text('to_status');
        t.text('reason_code').notNullable();
        t.text('reason').notNullable();
        at(t, 'occurred_at').notNullable();
        t.text('source_ministry').notNullable();
      });

      await db.schema.createTable('consent_purges', (t) => {
        t.uuid('event_id').primary();
        t.uuid('referral_id').notNullable().index();
        at(t, 'withdrawn_at').notNullable();
        t.text('source_ministry').notNullable();
        t.specificType('removed_columns', 'text[]').notNullable();
        at(t, 'purged_at').notNullable().defaultTo(db.fn.now());
      });

      await db.schema.createTable('referral_counts', (t) => {
        t.text('referring_ministry').notNullable();
        t.text('region').notNullable();
        t.text('service_category').notNullable();
        t.text('population_group').notNullable();
        t.integer('referrals').notNullable();
        t.primary(['referring_ministry', 'region', 'service_category', 'population_group']);
      });

      await db.schema.createTable('initiatives', (t) => {
        t.text('initiative_id').primary();
        t.text('strategy_id').notNullable();
        t.text('pillar_id').notNullable();
        t.text('pillar_title_en').notNullable();
        t.text('pillar_title_fr').notNullable();
        t.text('lead_ministry').notNullable();
        t.text('title_en').notNullable();
        t.text('title_fr').notNullable();
        t.text('latest_status');
        t.text('latest_measure_unit');
        t.bigInteger('latest_measure_quantity');
        at(t, 'latest_occurred_at');
        t.uuid('latest_event_id');
        t.integer('milestones').notNullable().defaultTo(0);
      });

      await db.schema.createTable('initiative_milestones', (t) => {
        t.uuid('event_id').primary();
        t.text('initiative_id').notNullable().index();
        t.text('status').notNullable();
        t.text('measure_unit');
        t.bigInteger('measure_quantity');
        t.text('source_ministry').notNullable();
        at(t, 'occurred_at').notNullable();
        position(t);
        t.text('trace_id');
        at(t, 'consumed_at').notNullable().defaultTo(db.fn.now());
      });

      await db.schema.createTable('service_gaps', (t) => {
        t.uuid('gap_id').primary();
        t.text('status').notNullable();
        t.text('region').notNullable();
        t.text('service_category').notNullable();
        t.text('severity').notNullable();
        t.text('gap_code').notNullable();
        population(t, 'affects_');
        t.text('reported_by').notNullable();
        at(t, 'reported_at').notNullable();
        t.uuid('reported_event_id').notNullable();
        t.text('resolution');
        t.text('resolved_by');
        at(t, 'resolved_at');
        t.uuid('resolved_event_id');
        t.index(['status', 'region', 'service_category']);
      });

      await db.schema.createTable('service_gap_events', (t) => {
        t.uuid('event_id').primary();
        t.uuid('gap_id').notNullable().index();
        t.text('event_type').notNullable();
        t.text('source_ministry').notNullable();
        at(t, 'occurred_at').notNullable();
        position(t);
        t.text('trace_id');
        t.jsonb('payload').notNullable();
        at(t, 'consumed_at').notNullable().defaultTo(db.fn.now());
      });

      await db.schema.createTable('dead_letters', (t) => {
        position(t);
        t.text('reason_code').notNullable();
        t.text('reason').notNullable();
        t.uuid('event_id');
        t.text('event_type');
        t.boolean('published').notNullable();
        at(t, 'dead_lettered_at').notNullable().defaultTo(db.fn.now());
        t.primary(['source_topic', 'source_partition', 'source_offset']);
      });
    },
    async down(db: Knex) {
      for (const table of [
        'dead_letters',
        'service_gap_events',
        'service_gaps',
        'initiative_milestones',
        'initiatives',
        'referral_counts',
        'consent_purges',
        'illegal_transitions',
        'referral_history',
        'referrals',
        'processed_events',
      ]) {
        await db.schema.dropTableIfExists(table);
      }
    },
  },
  {
    // The view API filters person-level lists by ministry and time, and aggregates by time range.
    name: '0002_referral_filter_indexes',
    async up(db: Knex) {
      await db.schema.alterTable('referrals', (t) => {
        t.index(['referring_ministry', 'referral_id'], 'referrals_referring_ministry_idx');
        t.index(['receiving_ministry', 'referral_id'], 'referrals_receiving_ministry_idx');
        t.index(['requested_at'], 'referrals_requested_at_idx');
      });
    },
    async down(db: Knex) {
      await db.schema.alterTable('referrals', (t) => {
        t.dropIndex([], 'referrals_referring_ministry_idx');
        t.dropIndex([], 'referrals_receiving_ministry_idx');
        t.dropIndex([], 'referrals_requested_at_idx');
      });
    },
  },
  {
    // The cell key method: each referral's record key, and the fingerprint of the secret the keys
    // were computed with. The column starts nullable: the projector computes the keys of a view's
    // existing referrals at start, then makes it NOT NULL (record-keys.repository.ts). And
    // referral_counts goes: nothing served it, it counted a duplicate creation twice, and it held
    // unprotected counts by population group.
    name: '0003_record_keys',
    async up(db: Knex) {
      await db.raw(
        'ALTER TABLE referrals ADD COLUMN record_key bigint CONSTRAINT referrals_record_key_range CHECK (record_key >= 0 AND record_key < 4294967296)',
      );
      await db.schema.createTable('record_key_settings', (t) => {
        t.boolean('singleton').primary().defaultTo(true);
        t.text('fingerprint').notNullable();
        at(t, 'keyed_at').notNullable().defaultTo(db.fn.now());
      });
      await db.raw('ALTER TABLE record_key_settings ADD CONSTRAINT record_key_settings_one_row CHECK (singleton)');
      await db.schema.dropTable('referral_counts');
    },
    async down(db: Knex) {
      // The counts themselves are gone: the table comes back empty.
      await db.schema.createTable('referral_counts', (t) => {
        t.text('referring_ministry').notNullable();
        t.text('region').notNullable();
        t.text('service_category').notNullable();
        t.text('population_group').notNullable();
        t.integer('referrals').notNullable();
        t.primary(['referring_ministry', 'region', 'service_category', 'population_group']);
      });
      await db.schema.dropTable('record_key_settings');
      await db.schema.alterTable('referrals', (t) => t.dropColumn('record_key'));
    },
  },
  {
    // A sealed referral's subject is kept sealed at rest (the view API opens the pseudonym per
    // answer), so that no plaintext pseudonym of a withdrawn subject lingers in dead tuples or WAL.
    name: '0004_sealed_subject',
    async up(db: Knex) {
      await db.schema.alterTable('referrals', (t) => {
        t.jsonb('subject_sealed');
      });
    },
    async down(db: Knex) {
      await db.schema.alterTable('referrals', (t) => t.dropColumn('subject_sealed'));
    },
  },
  {
    // The pipeline's hops beside the business time: when the adapter accepted the record and when
    // its relay published the event, so the operator sees the pipeline's latency, not the ministry's.
    name: '0005_pipeline_times',
    async up(db: Knex) {
      await db.schema.alterTable('referral_history', (t) => {
        at(t, 'accepted_at');
        at(t, 'published_at');
      });
    },
    async down(db: Knex) {
      await db.schema.alterTable('referral_history', (t) => {
        t.dropColumn('accepted_at');
        t.dropColumn('published_at');
      });
    },
  },
  {
    // The statistics' counts kept by the projector (aggregates.ts), filled here from the referrals
    // the view already holds. One unique key, nulls not distinct (receiving ministry, acceptance
    // week): the projector's upserts conflict on it. The SQL is literal: a migration never changes.
    name: '0006_referral_aggregates',
    async up(db: Knex) {
      await db.raw(`CREATE TABLE referral_aggregates (
        measure text NOT NULL,
        month date NOT NULL,
        region text NOT NULL,
        service_category text NOT NULL,
        status text NOT NULL,
        referring_ministry text NOT NULL,
        receiving_ministry text,
        urgency text NOT NULL,
        acceptance_week integer,
        referral_count integer NOT NULL,
        record_key_sum bigint NOT NULL,
        unkeyed integer NOT NULL,
        CONSTRAINT referral_aggregates_key UNIQUE NULLS NOT DISTINCT
          (measure, month, region, service_category, status, referring_ministry, receiving_ministry, urgency, acceptance_week)
      )`);
      await db.raw(`INSERT INTO referral_aggregates
        SELECT m.measure, (date_trunc('month', m.at AT TIME ZONE 'UTC'))::date, r.region, r.service_category, r.status,
               r.referring_ministry, r.receiving_ministry, r.urgency,
               CASE WHEN r.accepted_at IS NULL THEN NULL
                    ELSE floor((extract(epoch from (r.accepted_at - r.requested_at)) + 302400) / 604800)::int END AS acceptance_week,
               count(*)::int, coalesce(sum(r.record_key), 0)::bigint, (count(*) - count(r.record_key))::int
          FROM referrals AS r
         CROSS JOIN LATERAL (VALUES ('made', r.requested_at), ('accepted', r.accepted_at),
                                    ('closed', least(r.completed_at, r.declined_at, r.withdrawn_at))) AS m(measure, at)
         WHERE m.at IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9`);
    },
    async down(db: Knex) {
      await db.schema.dropTable('referral_aggregates');
    },
  },
  {
    // The aggregates move with every statement that changes referrals, whoever writes them (the
    // projector's batches, a rebuild's COPY, the record-key passes; a TRUNCATE empties them): statement triggers with
    // transition tables take out what the old rows contributed and put in what the new ones do,
    // in one upsert in key order (concurrent transactions lock shared aggregate rows in the same
    // order), then drop the rows left with no referral. The table is qualified by the trigger's
    // own schema, so a rebuilt view renamed into place keeps moving its own aggregates.
    name: '0007_referral_aggregates_upkeep',
    async up(db: Knex) {
      const contributions = (rows: string, sign: 1 | -1) => `
        SELECT m.measure, (date_trunc('month', m.at AT TIME ZONE 'UTC'))::date AS month, r.region, r.service_category, r.status,
               r.referring_ministry, r.receiving_ministry, r.urgency,
               CASE WHEN r.accepted_at IS NULL THEN NULL
                    ELSE floor((extract(epoch from (r.accepted_at - r.requested_at)) + 302400) / 604800)::int END AS acceptance_week,
               ${sign} AS n, ${sign} * coalesce(r.record_key, 0) AS k, ${sign} * (r.record_key IS NULL)::int AS u
          FROM ${rows} AS r
         CROSS JOIN LATERAL (VALUES ('made', r.requested_at), ('accepted', r.accepted_at),
                                    ('closed', least(r.completed_at, r.declined_at, r.withdrawn_at))) AS m(measure, at)
         WHERE m.at IS NOT NULL`;
      const key = 'measure, month, region, service_category, status, referring_ministry, receiving_ministry, urgency, acceptance_week';
      const literal = (sql: string) => `'${sql.replace(/'/g, "''")}'`;
      // The net change of each aggregate row, applied in key order; says how many rows it left empty.
      const upsert = (parts: string) => `
        WITH moved AS (
          INSERT INTO %1$I.referral_aggregates AS t (${key}, referral_count, record_key_sum, unkeyed)
          SELECT ${key}, sum(n)::int, sum(k)::bigint, sum(u)::int FROM (${parts}) AS d
           GROUP BY ${key} HAVING sum(n) <> 0 OR sum(k) <> 0 OR sum(u) <> 0
           ORDER BY ${key}
          ON CONFLICT ON CONSTRAINT referral_aggregates_key DO UPDATE
             SET referral_count = t.referral_count + excluded.referral_count,
                 record_key_sum = t.record_key_sum + excluded.record_key_sum,
                 unkeyed = t.unkeyed + excluded.unkeyed
          RETURNING t.referral_count)
        SELECT count(*) FILTER (WHERE referral_count = 0) FROM moved`;
      // A second statement, which sees the first's rows: those of the moved keys left with no referral go.
      const prune = (parts: string) => `
        DELETE FROM %1$I.referral_aggregates AS t USING (SELECT DISTINCT ${key} FROM (${parts}) AS d) AS z
         WHERE ${key
           .split(', ')
           .map((c) => `t.${c} IS NOT DISTINCT FROM z.${c}`)
           .join(' AND ')} AND t.referral_count = 0`;
      const move = (parts: string) => `
            EXECUTE format(${literal(upsert(parts))}, TG_TABLE_SCHEMA) INTO emptied;
            IF emptied > 0 THEN
              EXECUTE format(${literal(prune(parts))}, TG_TABLE_SCHEMA);
            END IF;`;
      await db.raw(`CREATE FUNCTION referral_aggregates_move() RETURNS trigger LANGUAGE plpgsql AS $body$
        DECLARE
          emptied bigint;
        BEGIN
          IF TG_OP = 'INSERT' THEN ${move(contributions('new_rows', 1))}
          ELSIF TG_OP = 'UPDATE' THEN ${move(`${contributions('new_rows', 1)} UNION ALL ${contributions('old_rows', -1)}`)}
          ELSIF TG_OP = 'DELETE' THEN ${move(contributions('old_rows', -1))}
          ELSE
            EXECUTE format('DELETE FROM %1$I.referral_aggregates', TG_TABLE_SCHEMA);
          END IF;
          RETURN NULL;
        END
      $body$`);
      await db.raw(`CREATE TRIGGER referral_aggregates_on_insert AFTER INSERT ON referrals
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referral_aggregates_move()`);
      await db.raw(`CREATE TRIGGER referral_aggregates_on_update AFTER UPDATE ON referrals
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referral_aggregates_move()`);
      await db.raw(`CREATE TRIGGER referral_aggregates_on_delete AFTER DELETE ON referrals
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION referral_aggregates_move()`);
      await db.raw(`CREATE TRIGGER referral_aggregates_on_truncate AFTER TRUNCATE ON referrals
        FOR EACH STATEMENT EXECUTE FUNCTION referral_aggregates_move()`);
    },
    async down(db: Knex) {
      for (const operation of ['insert', 'update', 'delete', 'truncate'])
        await db.raw(`DROP TRIGGER referral_aggregates_on_${operation} ON referrals`);
      await db.raw('DROP FUNCTION referral_aggregates_move()');
    },
  },
];
