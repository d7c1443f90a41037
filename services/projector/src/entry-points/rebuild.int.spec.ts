import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readTopic } from '@passerelle/kafka';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { recordKeyOf } from '../domain/record-key.ts';
import { VIEW_TABLE, BOOKKEEPING_COLUMNS } from '@passerelle/coordination-view';
import { comparable } from '../domain/view-model.ts';
import { readViewSnapshot } from '../data-access/view-snapshot.repository.ts';
import { listViewSchemas, rebuildLockKey } from '../data-access/view-schemas.repository.ts';
import { createDatabase } from '@passerelle/db';
import { TEST_RECORD_KEY_SECRET } from '../testing/record-keys.ts';
import { generateScenario } from '../testing/scenario-generator.ts';
import { REPO_ROOT, startProjectorFixture, TestTopics, waitFor, type ProjectorFixture } from '../testing/stack-harness.ts';
import { milestone, minute } from '../testing/event-builders.ts';
import { createLogger } from '@passerelle/logging';
import { RebuildInProgressError, runRebuild } from './rebuild.ts';

const stack = inject('stack');
const topics = new TestTopics(stack);
let fixture: ProjectorFixture;

/** Index and constraint definitions of a schema, with its name taken out so two schemas compare. */
async function indexDefinitions(schema: string): Promise<string[]> {
  const { rows } = (await fixture.db.raw('SELECT indexdef FROM pg_indexes WHERE schemaname = ? ORDER BY indexname', [schema])) as {
    rows: { indexdef: string }[];
  };
  return rows.map((row) => row.indexdef.replaceAll(`${schema}.`, '<schema>.'));
}

const processed = async (): Promise<number> =>
  Number(((await fixture.db(`view.${VIEW_TABLE.processed_events}`).count({ n: '*' })) as { n: number }[])[0]?.n);

/** Runs `npm run projector -- <args>` as an operator would, collecting its output. */
function projectorCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(REPO_ROOT, 'services/projector/src/entry-points/cli.ts'), ...args],
      {
        env: { ...process.env, ...topics.env(fixture.database.url, fixture.config.consumerGroup) },
        cwd: REPO_ROOT,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  fixture = await startProjectorFixture({ topics, databasePrefix: 'projector_rebuild' });
});

afterAll(async () => {
  await fixture?.stop();
});

describe('rebuild from offset 0', () => {
  const initiatives = [...initiativesById(loadCatalogue()).values()];
  const first = generateScenario({ seed: 21, referrals: 300, gaps: 30, milestones: 60, initiatives, topicPrefix: topics.prefix });
  const second = generateScenario({ seed: 22, referrals: 100, gaps: 10, milestones: 20, initiatives, topicPrefix: topics.prefix });
  let output: { code: number | null; stdout: string; stderr: string };
  let retired: string;

  it('produces a view identical, table by table and row by row, to the live one, and switches to it', async () => {
    await fixture.producer.produce(first);
    // A poison message, so dead-letter bookkeeping is part of what must match.
    await fixture.producer.sendRaw(`${topics.prefix}health.referrals.v1`, 'poison', Buffer.concat([Buffer.from([0x7b]), randomBytes(20)]));
    await waitFor('the live view to apply the first wave', async () => (await processed()) === first.length);
    // A second wave while the rebuild runs: the live projector keeps serving and writing.
    // --keep-previous: the tests below compare the rebuilt view with the one it replaced.
    const rebuilding = projectorCommand(['rebuild', '--expect-identical', '--keep-previous']);
    await fixture.producer.produce(second);

    output = await rebuilding;

    expect(output.code, output.stderr).toBe(0);
    const schemas = await listViewSchemas(fixture.db, 'view');
    expect(schemas.retired).toHaveLength(1);
    expect(schemas.rebuilding).toEqual([]);
    retired = schemas.retired[0] as string;
    const rebuilt = comparable(await readViewSnapshot(fixture.db, 'view'));
    const previous = comparable(await readViewSnapshot(fixture.db, retired));
    expect(rebuilt[VIEW_TABLE.referral_history]?.length).toBeGreaterThan(first.length / 2);
    expect(rebuilt[VIEW_TABLE.dead_letters]).toHaveLength(1);
    for (const table of Object.keys(previous)) expect(rebuilt[table], table).toEqual(previous[table]);
    expect(output.stdout).toContain('the rebuilt view is identical to the previous one');
  }, 180_000);

  it('gives every referral the same record key as the live view did: compared, never left out as bookkeeping', async () => {
    const keys = async (schema: string) =>
      (await fixture.db(`${schema}.${VIEW_TABLE.referrals}`).orderBy('referral_id').select('referral_id', 'record_key')) as {
        referral_id: string;
        record_key: number;
      }[];
    const rebuilt = await keys('view');

    expect(BOOKKEEPING_COLUMNS.referrals ?? []).not.toContain('record_key');
    expect(Object.keys(comparable(await readViewSnapshot(fixture.db, 'view'))[VIEW_TABLE.referrals]?.[0] ?? {})).toContain('record_key');
    expect(rebuilt.length).toBeGreaterThan(100);
    expect(rebuilt).toEqual(await keys(retired));
    expect(rebuilt.filter((row) => row.record_key !== recordKeyOf(TEST_RECORD_KEY_SECRET, row.referral_id))).toEqual([]);
  });

  it('switches in a view with every key and index of the live one, built after its bulk load', async () => {
    const rebuilt = await indexDefinitions('view');

    expect(rebuilt).toEqual(await indexDefinitions(retired));
    expect(rebuilt).toContain('CREATE UNIQUE INDEX processed_events_pkey ON <schema>.processed_events USING btree (event_id)');
    expect(rebuilt).toContain('CREATE INDEX referrals_requested_at_idx ON <schema>.referrals USING btree (requested_at)');
  });

  it('records the dead letter its replay met without publishing it again', async () => {
    const letters = await readTopic(topics.kafka, topics.deadLetterTopic, { groupPrefix: 'passerelle-projector-test' });

    expect(await fixture.db(`view.${VIEW_TABLE.dead_letters}`).select('reason_code', 'published')).toEqual([
      { reason_code: 'wrong_magic_byte', published: false },
    ]);
    expect(letters).toHaveLength(1);
  });

  it('shows progress while it runs: events, rate and lag', () => {
    const lines = output.stdout.split('\n').filter((line) => line.startsWith('rebuild replaying:'));

    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^rebuild replaying: \d+ events, \d+ events\/s, lag \d+, [\d.]+ s, \d+ MiB resident$/);
    expect(lines.at(-1)).toMatch(/lag 0,/);
    // The in-memory replay's view is written in bulk between the replay and the catch-up.
    expect(output.stdout).toMatch(/^rebuild loading: \d+ events, .*, (\d+) \/ \1 rows written, /m);
    expect(output.stdout).toMatch(/rebuilt \d+ events in [\d.]+ s \(\d+ events\/s\)/);
  });

  it('the live projector keeps serving on the rebuilt view after the switch', async () => {
    const before = await processed();
    const later = {
      ...milestone('S2016-P2-04', 'JUSTICE', 'AT_RISK', minute(60 * 24 * 400)),
      position: { topic: `${topics.prefix}justice.initiative-milestones.v1`, partition: 0, offset: 0 },
    };

    await fixture.producer.produce([later]);

    await waitFor('the new event applied to the switched-in view', async () => (await processed()) === before + 1);
    expect(await fixture.db(`view.${VIEW_TABLE.initiatives}`).where({ initiative_id: 'S2016-P2-04' }).first()).toMatchObject({
      latest_event_id: later.eventId,
    });
    expect((await fixture.db(`${retired}.${VIEW_TABLE.processed_events}`).where({ event_id: later.eventId })).length).toBe(0);
    expect((await fetch(`${fixture.projector.url}/readyz`)).status).toBe(200);
  });

  it('status reports the switched-in view, the retired one, and the live group caught up', async () => {
    const { code, stdout } = await projectorCommand(['status', '--json']);
    const status = JSON.parse(stdout) as {
      schemas: { live: boolean; retired: string[] };
      view: { tables: Record<string, number>; deadLettersByReason: Record<string, number> };
      totalLag: number;
    };

    expect(code).toBe(0);
    expect(status.schemas).toMatchObject({ live: true, retired: [retired] });
    expect(status.view.tables[VIEW_TABLE.processed_events]).toBe(await processed());
    expect(status.view.deadLettersByReason).toEqual({ wrong_magic_byte: 1 });
    expect(status.totalLag).toBe(0);
  });

  it('folds the stage in windows of a few events, each written and forgotten, to the same view, and leaves no other view schema behind', async () => {
    const before = comparable(await readViewSnapshot(fixture.db, 'view'));
    // A rebuild killed earlier left its schema behind; the retired view of the first rebuild is still kept.
    await fixture.db.raw('CREATE SCHEMA view_rebuild_20200101000000_dead');
    await fixture.db.raw(
      `CREATE TABLE view_rebuild_20200101000000_dead.${VIEW_TABLE.referrals} (referral_id uuid, subject_pseudonym text)`,
    );

    const report = await runRebuild(fixture.config, {
      expectIdentical: true,
      windowEntries: 10,
      logger: createLogger({ service: 'rebuild-test', level: 'silent' }),
    });

    expect(report.bulk?.events).toBeGreaterThan(100);
    expect(report.bulk?.largestWindow).toBeLessThan(50);
    expect(report.switched && report.identical).toBe(true);
    expect([...report.abandonedDropped].sort()).toEqual([retired, 'view_rebuild_20200101000000_dead'].sort());
    expect(report.previousDropped).toBe(true);
    expect(await listViewSchemas(fixture.db, 'view')).toEqual({ live: true, rebuilding: [], retired: [] });
    const after = comparable(await readViewSnapshot(fixture.db, 'view'));
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);
  }, 180_000);

  it('refuses a second rebuild while one runs, and a rebuild that fails leaves no schema behind', async () => {
    const holder = createDatabase({ url: fixture.config.databaseUrl, poolMax: 1 });
    await holder.raw('SELECT pg_advisory_lock(hashtextextended(?, 0))', [rebuildLockKey('view')]);
    try {
      await expect(
        runRebuild(fixture.config, { logger: createLogger({ service: 'rebuild-test', level: 'silent' }) }),
      ).rejects.toBeInstanceOf(RebuildInProgressError);
    } finally {
      await holder.destroy();
    }
    expect(await listViewSchemas(fixture.db, 'view')).toEqual({ live: true, rebuilding: [], retired: [] });
  });

  it('refuses to rebuild with another record-key secret than the live view’s, before it creates anything', async () => {
    const before = await listViewSchemas(fixture.db, 'view');

    await expect(
      runRebuild(
        { ...fixture.config, recordKeySecret: 'test-only-another-record-key-secret-0002' },
        { logger: createLogger({ service: 'rebuild-test', level: 'silent' }) },
      ),
    ).rejects.toThrow(/PASSERELLE_RECORD_KEY_SECRET is not the secret the view "view" was keyed with/);

    expect(await listViewSchemas(fixture.db, 'view')).toEqual(before);
  });
});
