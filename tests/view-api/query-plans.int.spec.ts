import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { createDatabase, type Knex } from '@passerelle/db';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { prepareView, recordKeyOf } from '@passerelle/projector';
import { ViewRepository, visibleConsentScopes } from '@passerelle/view-api';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * The view API's heavy queries, planned by PostgreSQL on a view of 60,000 referrals spread over
 * six years: each must reach `referrals` and `referral_history` through an index, never by
 * reading the whole table. The statements are the repository's own, captured as it runs them.
 */
const SCHEMA = 'view';
const REFERRALS = 60_000;
const RECORD_KEY_SECRET = 'test-only-record-key-secret-for-query-plans-0001';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

function describePlan(node: PlanNode, depth = 0): string {
  const target = node['Index Name'] ?? node['Relation Name'];
  return [
    `${'  '.repeat(depth)}${node['Node Type']}${target ? ` on ${target}` : ''}`,
    ...(node.Plans ?? []).map((child) => describePlan(child, depth + 1)),
  ].join('\n');
}

let database: TestDatabase;
let db: Knex;
let client: pg.Client;
let repository: ViewRepository;
const captured: Array<{ sql: string; bindings: unknown[] }> = [];

/** Runs one repository call and returns the plan of every statement it issued. */
async function plansOf(call: () => Promise<unknown>): Promise<PlanNode[]> {
  captured.length = 0;
  await call();
  const statements = [...captured];
  const plans: PlanNode[] = [];
  for (const statement of statements) {
    const result = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (FORMAT JSON) ${statement.sql}`,
      statement.bindings,
    );
    const plan = result.rows[0]?.['QUERY PLAN'][0]?.Plan;
    if (plan) plans.push(plan);
  }
  return plans;
}

function expectIndexedAccess(plans: readonly PlanNode[], table: string, label: string): void {
  expect(plans.length, `${label}: a statement was captured`).toBeGreaterThan(0);
  const nodes = plans.flatMap((plan) => nodesOf(plan));
  const onTable = nodes.filter((node) => node['Relation Name'] === table);
  console.log(`plan of ${label}:\n${plans.map((plan) => describePlan(plan)).join('\n')}`);
  expect(onTable.length, `${label}: reads ${table}`).toBeGreaterThan(0);
  expect(
    onTable.filter((node) => node['Node Type'] === 'Seq Scan').map((node) => node['Node Type']),
    `${label}: no sequential scan of ${table}`,
  ).toEqual([]);
}

beforeAll(async () => {
  const stack = inject('stack');
  database = await createTestDatabase(stack.databaseUrl, 'query_plans');
  db = createDatabase({ url: database.url, schema: SCHEMA });
  await prepareView(db, SCHEMA, { recordKeySecret: RECORD_KEY_SECRET });
  // The record key of referral i, whose id is md5('r' || i) as a uuid.
  const idOf = (i: number) =>
    createHash('md5')
      .update(`r${i}`)
      .digest('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
  const recordKeys = Array.from({ length: REFERRALS }, (_, i) => recordKeyOf(RECORD_KEY_SECRET, idOf(i + 1)));
  // Ministries weighted as in practice: few referrals reach the coordination office directly.
  await db.raw(
    `INSERT INTO view.${VIEW_TABLE.referrals} (referral_id, record_key, status, status_changed_at, referring_ministry, receiving_ministry, receiving_service_type,
       service_category, region, urgency, consent_scope, created_event_id, created_by, requested_at, accepted_at,
       applied_events, illegal_transitions, last_event_id, last_event_at)
     SELECT md5('r' || i)::uuid, (?::bigint[])[i],
            (ARRAY['REQUESTED','RECEIVED','ACCEPTED','IN_PROGRESS','COMPLETED'])[1 + i % 5],
            at + interval '2 days',
            (ARRAY['JUSTICE','JUSTICE','JUSTICE','JUSTICE','CHILD_WELFARE','CHILD_WELFARE','CHILD_WELFARE','HEALTH','HEALTH','EDUCATION'])[1 + i % 10],
            CASE WHEN i % 50 = 0 THEN 'COORDINATION_OFFICE' ELSE (ARRAY['HEALTH','CHILD_WELFARE','JUSTICE','HEALTH'])[1 + i % 4] END,
            'SHELTER',
            (ARRAY['HOUSING','MENTAL_HEALTH_AND_ADDICTIONS','TRAUMA_COUNSELLING','LEGAL_AND_VICTIM_WITNESS_SUPPORT'])[1 + i % 4],
            (ARRAY['TORONTO','CENTRAL','EAST','WEST','NORTH_EAST','NORTH_WEST'])[1 + i % 6],
            'ROUTINE',
            CASE WHEN i % 20 = 0 THEN 'INDIGENOUS_PARTNER_CONTROLLED' ELSE 'STANDARD' END,
            md5('c' || i)::uuid, 'test', at,
            CASE WHEN i % 5 >= 2 THEN at + interval '3 days' END,
            1, 0, md5('c' || i)::uuid, at
       FROM generate_series(1, ?) AS i,
            LATERAL (SELECT timestamptz '2021-01-01T00:00:00Z' + make_interval(secs => i::float8 * 6 * 365 * 86400 / ?) AS at) t`,
    [recordKeys, REFERRALS, REFERRALS],
  );
  await db.raw(
    `INSERT INTO view.${VIEW_TABLE.referral_history} (event_id, referral_id, event_type, source_ministry, occurred_at, source_topic, source_partition, source_offset, trace_id, payload)
     SELECT md5('h' || i || '-' || k)::uuid, md5('r' || i)::uuid, 'ReferralStatusChanged', 'HEALTH', now(), 'health.referrals.v1', 0, i * 3 + k, NULL, '{}'::jsonb
       FROM generate_series(1, ?) AS i, generate_series(1, 3) AS k`,
    [REFERRALS],
  );
  await db.raw(`ANALYZE view.${VIEW_TABLE.referrals}`);
  await db.raw(`ANALYZE view.${VIEW_TABLE.referral_history}`);

  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const reader = createDatabase({ url: database.url, schema: SCHEMA });
  reader.on('query', (query: { sql: string; bindings?: unknown[] }) => captured.push({ sql: query.sql, bindings: query.bindings ?? [] }));
  repository = new ViewRepository(reader, SCHEMA);
  readerToClose = reader;
}, 120_000);

let readerToClose: Knex | undefined;

afterAll(async () => {
  await client?.end();
  await readerToClose?.destroy();
  await db?.destroy();
  await database?.drop();
});

const page = { limit: 50 } as const;

describe('query plans of the view API on 60,000 referrals', () => {
  it('a ministry listing its referrals (made or received) uses an index', async () => {
    const plans = await plansOf(() =>
      repository.referrals({ ...page }, { consentScopes: visibleConsentScopes('ministry'), ministry: 'EDUCATION' }, undefined),
    );
    expectIndexedAccess(plans, VIEW_TABLE.referrals, 'ministry list');
  });

  it('the office filtering by receiving ministry uses an index', async () => {
    const plans = await plansOf(() =>
      repository.referrals(
        { ...page, receivingMinistry: 'COORDINATION_OFFICE' },
        { consentScopes: visibleConsentScopes('coordination-office') },
        undefined,
      ),
    );
    expectIndexedAccess(plans, VIEW_TABLE.referrals, 'receiving ministry filter');
    expect(
      plans
        .flatMap(nodesOf)
        .some((node) => node['Index Name'] === 'referrals_receiving_ministry_idx' || node['Index Name'] === 'referrals_pkey'),
    ).toBe(true);
  });

  it('the office filtering by referring ministry and a later page uses an index', async () => {
    const plans = await plansOf(() =>
      repository.referrals(
        { ...page, referringMinistry: 'EDUCATION' },
        { consentScopes: visibleConsentScopes('coordination-office') },
        '80000000-0000-4000-8000-000000000000',
      ),
    );
    expectIndexedAccess(plans, VIEW_TABLE.referrals, 'referring ministry filter, second page');
  });

  it('a list limited to one month uses the requested_at index', async () => {
    const plans = await plansOf(() =>
      repository.referrals(
        { ...page, from: '2024-03-01T00:00:00Z', to: '2024-04-01T00:00:00Z' },
        { consentScopes: visibleConsentScopes('coordination-office') },
        undefined,
      ),
    );
    expectIndexedAccess(plans, VIEW_TABLE.referrals, 'one month list');
  });

  it('counts for one month by region read only that month through the requested_at index', async () => {
    const plans = await plansOf(() =>
      repository.referralStats(['region', 'status'], { from: '2024-03-01T00:00:00Z', to: '2024-04-01T00:00:00Z' }),
    );
    expectIndexedAccess(plans, VIEW_TABLE.referrals, 'one month stats');
    expect(plans.flatMap(nodesOf).some((node) => node['Index Name'] === 'referrals_requested_at_idx')).toBe(true);
  });

  it('one referral and its flow are read by key', async () => {
    const id = (await db(VIEW_TABLE.referrals).withSchema(SCHEMA).first('referral_id')) as { referral_id: string };
    expectIndexedAccess(await plansOf(() => repository.referral(id.referral_id)), VIEW_TABLE.referrals, 'one referral');
    expectIndexedAccess(await plansOf(() => repository.history(id.referral_id)), VIEW_TABLE.referral_history, 'flow of one referral');
  });
});
