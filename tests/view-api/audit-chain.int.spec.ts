import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Knex } from '@passerelle/db';
import { createLogger } from '@passerelle/logging';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  GENESIS_HASH,
  auditSeal,
  mintDevToken,
  start,
  type AuditContent,
  type RunningViewApi,
} from '@passerelle/view-api';
import { API_SCHEMA, AUDIT_HMAC_KEY, SECRET, quiet, startViewApi, viewApiConfig, type ViewApiHarness } from './harness.ts';
import { SEED } from './view-seed.ts';

const stack = inject('stack');
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const logLines: string[] = [];
const capture = createLogger({
  service: 'view-api-test',
  level: 'info',
  destination: new Writable({ write: (chunk, _e, cb) => (logLines.push(String(chunk)), cb()) }) as never,
});
let h: ViewApiHarness;
let office: string;

beforeAll(async () => {
  h = await startViewApi(stack.databaseUrl, 'audit_chain', {}, { logger: capture });
  office = await h.token('coordination-office');
});
afterAll(async () => {
  await h?.close();
});

type Row = Record<string, unknown> & { id: number; hash: string | null; prev_hash: string | null };
const rowsOf = async (schema = API_SCHEMA): Promise<Row[]> => (await h.db.withSchema(schema).table('audit').orderBy('id', 'asc')) as Row[];
const latest = async (schema = API_SCHEMA): Promise<Row | undefined> =>
  (await h.db.withSchema(schema).table('audit').orderBy('id', 'desc').first()) as Row | undefined;
async function lastRow(schema = API_SCHEMA): Promise<Row> {
  const row = await latest(schema);
  if (!row) throw new Error(`no audit row in ${schema}`);
  return row;
}

/** `npm run view-api -- audit verify …` as a child process, so the exit code is the real one. */
function verify(schema: string, args: readonly string[] = [], key = AUDIT_HMAC_KEY): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(REPO_ROOT, 'services/view-api/src/entry-points/cli.ts'), 'audit', 'verify', ...args],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          DATABASE_URL: h.database.url,
          PASSERELLE_VIEW_API_SCHEMA: schema,
          PASSERELLE_AUDIT_HMAC_KEY: key,
          PASSERELLE_HOME: '/nonexistent/passerelle-home',
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** A second view API on the same database with an audit schema of its own, which records `n` decisions. */
async function chainIn(schema: string, n = 5): Promise<void> {
  const api = await start(viewApiConfig(h.database.url, { apiSchema: schema }), { logger: quiet });
  try {
    const justice = await h.token('ministry', 'JUSTICE');
    const paths = [
      `/v1/referrals/${SEED.justiceToChildWelfare}`,
      `/v1/referrals/${SEED.healthToHealth}`,
      `/v1/referrals/${randomUUID()}`,
      '/v1/referrals',
    ];
    for (let i = 0; i < n; i += 1) await fetch(`${api.url}${paths[i % paths.length]}`, { headers: { authorization: `Bearer ${justice}` } });
  } finally {
    await api.stop();
  }
}

/** What someone with the superuser's rights can do behind the API's back: triggers off for one transaction. */
async function tamper(work: (trx: Knex.Transaction) => Promise<unknown>): Promise<void> {
  await h.db.transaction(async (trx) => {
    await trx.raw('SET LOCAL session_replication_role = replica');
    await work(trx);
  });
}

describe('the audit records every decision on person-level data, chained', () => {
  it('leaves exactly one chained row for an allowed, a denied and a not-found read, with the outcome the caller cannot see', async () => {
    const health = await h.token('ministry', 'HEALTH');
    const missing = randomUUID();
    const cases: Array<{
      path: string;
      token: string | undefined;
      status: number;
      outcome: string;
      reason: string | null;
      subject: string | null;
    }> = [
      {
        path: `/v1/referrals/${SEED.healthToHealth}`,
        token: health,
        status: 200,
        outcome: 'allowed',
        reason: null,
        subject: 'dev-ministry-health',
      },
      {
        path: `/v1/referrals/${SEED.justiceToChildWelfare}`,
        token: health,
        status: 404,
        outcome: 'denied',
        reason: 'not-visible',
        subject: 'dev-ministry-health',
      },
      {
        path: `/v1/referrals/${missing}`,
        token: health,
        status: 404,
        outcome: 'not_found',
        reason: 'no-such-referral',
        subject: 'dev-ministry-health',
      },
      {
        path: `/v1/referrals/${SEED.justiceToChildWelfare}/flow`,
        token: health,
        status: 404,
        outcome: 'denied',
        reason: 'not-visible',
        subject: 'dev-ministry-health',
      },
      {
        path: `/v1/referrals/${missing}/flow`,
        token: health,
        status: 404,
        outcome: 'not_found',
        reason: 'no-such-referral',
        subject: 'dev-ministry-health',
      },
      { path: `/v1/referrals/${SEED.healthToHealth}`, token: undefined, status: 401, outcome: 'denied', reason: 'no-token', subject: null },
    ];
    for (const c of cases) {
      const before = await latest();
      const response = await h.get(c.path, c.token);
      expect(response.status, c.path).toBe(c.status);
      const rows = (await rowsOf()).filter((row) => row.id > (before?.id ?? 0));
      expect(rows, c.path).toHaveLength(1);
      expect(rows[0]).toMatchObject({ outcome: c.outcome, status: c.status, reason: c.reason, subject: c.subject, kind: 'person-level' });
      expect(rows[0]?.prev_hash).toBe(before?.hash ?? GENESIS_HASH);
      expect(rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(await verify(API_SCHEMA)).toMatchObject({ code: 0 });
  });

  it('answers a referral the caller may not see exactly like one that does not exist', async () => {
    const health = await h.token('ministry', 'HEALTH');
    for (const suffix of ['', '/flow']) {
      const hidden = await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}${suffix}`, health);
      const missing = await h.get(`/v1/referrals/${randomUUID()}${suffix}`, health);
      expect([hidden.status, missing.status]).toEqual([404, 404]);
      expect(hidden.headers.get('content-type')).toBe(missing.headers.get('content-type'));
      expect(hidden.headers.get('www-authenticate')).toBe(missing.headers.get('www-authenticate'));
      expect(await hidden.json()).toEqual(await missing.json());
    }
  });

  it('records a bad token as such, with no subject and nothing of the token', async () => {
    const forged = await mintDevToken({
      secret: 'another-secret-another-secret-another',
      issuer: DEFAULT_ISSUER,
      audience: DEFAULT_AUDIENCE,
      role: 'coordination-office',
    });
    expect((await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}`, forged)).status).toBe(401);
    const row = await lastRow();
    expect(row).toMatchObject({
      outcome: 'denied',
      status: 401,
      reason: 'bad-token',
      subject: null,
      role: null,
      filters: {},
      endpoint: '/v1/referrals/:id',
    });
    const text = JSON.stringify(row);
    for (const part of forged.split('.')) expect(text).not.toContain(part);
    expect(text).not.toContain(SEED.justiceToChildWelfare);
  });

  it('serves the head to the coordination office only and logs each new head without content', async () => {
    const justice = await h.token('ministry', 'JUSTICE');
    expect((await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}`, justice)).status).toBe(200);
    const last = await lastRow();
    const served = (await (await h.get('/v1/audit/head', office)).json()) as { id: number; hash: string; head: string };
    expect(served).toEqual({ id: last.id, hash: last.hash, head: `${last.id}:${last.hash}` });
    expect((await h.get('/v1/audit/head', justice)).status).toBe(403);
    expect((await h.get('/v1/audit/head')).status).toBe(401);

    const logged = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === 'audit head');
    const entry = logged.find((line) => (line['auditHead'] as { id: number }).id === last.id);
    expect(entry).toMatchObject({ level: 'info', auditHead: { id: last.id, hash: last.hash } });
    expect(JSON.stringify(entry)).not.toContain(SEED.justiceToChildWelfare);
    expect(JSON.stringify(entry)).not.toContain('dev-ministry-justice');
  });

  it('shows outcome, status and reason in /v1/audit', async () => {
    const health = await h.token('ministry', 'HEALTH');
    await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}`, health);
    const body = (await (await h.get('/v1/audit?limit=1', office)).json()) as { items: Array<Record<string, unknown>> };
    expect(body.items[0]).toMatchObject({
      outcome: 'denied',
      status: 404,
      reason: 'not-visible',
      subject: 'dev-ministry-health',
      filters: { id: SEED.justiceToChildWelfare },
      referralIds: [],
    });
  });
});

describe('audit verify', () => {
  it('exits 0 on an intact chain, with or without the head kept outside', async () => {
    await chainIn('chain_intact');
    const head = await lastRow('chain_intact');
    const plain = await verify('chain_intact');
    expect(plain.code, plain.output).toBe(0);
    expect(plain.output).toContain(`audit chain intact: 5 rows, head ${head.id}:${head.hash}`);
    expect(await verify('chain_intact', ['--head', `${head.id}:${head.hash}`])).toMatchObject({ code: 0 });
  });

  it('refuses an edit through the API’s own rights: the table is append-only', async () => {
    await chainIn('chain_locked', 2);
    await expect(h.db.withSchema('chain_locked').table('audit').where({ id: 1 }).update({ subject: 'someone-else' })).rejects.toThrow(
      /append-only/,
    );
    await expect(h.db.withSchema('chain_locked').table('audit').where({ id: 2 }).del()).rejects.toThrow(/append-only/);
  });

  it('exits 1 naming the row a superuser edited by hand', async () => {
    await chainIn('chain_edited');
    await tamper((trx) => trx.withSchema('chain_edited').table('audit').where({ id: 3 }).update({ subject: 'someone-else' }));
    const result = await verify('chain_edited');
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('audit chain broken at row 3: its hash does not match its content');
  });

  it('exits 1 naming the row after a deleted one', async () => {
    await chainIn('chain_gap');
    await tamper((trx) => trx.withSchema('chain_gap').table('audit').where({ id: 3 }).del());
    const result = await verify('chain_gap');
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('audit chain broken at row 4: follows row 2: row 3 is missing');
  });

  it('exits 1 naming the remembered head when the tail was deleted (which only the head kept outside can show)', async () => {
    await chainIn('chain_tail');
    const head = await lastRow('chain_tail');
    await tamper((trx) => trx.withSchema('chain_tail').table('audit').where('id', '>', 3).del());
    expect(await verify('chain_tail')).toMatchObject({ code: 0 });
    const result = await verify('chain_tail', ['--head', `${head.id}:${head.hash}`]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain(`audit chain broken at row ${head.id}: the remembered head is missing: the chain ends at row 3`);
  });

  it('exits 1 naming the first row of a chain recomputed without the key', async () => {
    await chainIn('chain_forged');
    const forgedSeal = auditSeal('a-key-that-is-not-the-audit-key-0123456789');
    // Row 2 edited, then every hash recomputed in order, as someone who knows the format but not the key would.
    await tamper(async (trx) => {
      const table = () => trx.withSchema('chain_forged').table('audit');
      await table().where({ id: 2 }).update({ subject: 'someone-else' });
      let prevHash = GENESIS_HASH;
      for (const row of (await table().orderBy('id', 'asc')) as Row[]) {
        const hash = forgedSeal(contentOf(row), prevHash);
        await table().where({ id: row.id }).update({ prev_hash: prevHash, hash });
        prevHash = hash;
      }
    });
    // The forgery is consistent under its own key: only the real key tells.
    expect(await verify('chain_forged', [], 'a-key-that-is-not-the-audit-key-0123456789')).toMatchObject({ code: 0 });
    const result = await verify('chain_forged');
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('audit chain broken at row 1: its hash does not match its content');
  });

  it('exits 2 on bad usage', async () => {
    expect(await verify(API_SCHEMA, ['--head', 'not-a-head'])).toMatchObject({ code: 2 });
  });
});

describe('several view API replicas', () => {
  it('extend one unbroken chain when two instances record decisions at the same time', async () => {
    const schema = 'chain_two';
    const apis: RunningViewApi[] = [];
    try {
      // One after the other: both run the same migrations at start.
      for (let i = 0; i < 2; i += 1) apis.push(await start(viewApiConfig(h.database.url, { apiSchema: schema }), { logger: quiet }));
      const tokens = await Promise.all(
        ['replica-a', 'replica-b'].map((subject) =>
          mintDevToken({
            secret: SECRET,
            issuer: DEFAULT_ISSUER,
            audience: DEFAULT_AUDIENCE,
            role: 'ministry',
            ministry: 'JUSTICE',
            subject,
          }),
        ),
      );
      const paths: Array<[string, number]> = [
        [`/v1/referrals/${SEED.justiceToChildWelfare}`, 200],
        [`/v1/referrals/${SEED.healthToHealth}`, 404],
        [`/v1/referrals/${randomUUID()}`, 404],
        ['/v1/referrals', 200],
      ];
      const perInstance = 40;
      const statuses = await Promise.all(
        apis.flatMap((api, i) =>
          Array.from({ length: perInstance }, async (_, n) => {
            const [route, expected] = paths[n % paths.length] as [string, number];
            const response = await fetch(`${api.url}${route}`, { headers: { authorization: `Bearer ${tokens[i]}` } });
            await response.arrayBuffer();
            return [response.status, expected];
          }),
        ),
      );
      for (const [status, expected] of statuses) expect(status).toBe(expected);

      const rows = await rowsOf(schema);
      expect(rows.map((row) => row.id)).toEqual(Array.from({ length: 2 * perInstance }, (_, i) => i + 1));
      expect(new Set(rows.map((row) => row['subject']))).toEqual(new Set(['replica-a', 'replica-b']));
      rows.forEach((row, i) => expect(row.prev_hash).toBe(i === 0 ? GENESIS_HASH : rows[i - 1]?.hash));
      const result = await verify(schema);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain(`audit chain intact: ${2 * perInstance} rows`);
    } finally {
      for (const api of apis) await api.stop();
    }
  });
});

/** The fields the hash covers, as the API reads them back (what a forger would recompute). */
function contentOf(row: Record<string, unknown>): AuditContent {
  return {
    id: Number(row['id']),
    at: (row['at'] as Date).toISOString(),
    kind: row['kind'] as AuditContent['kind'],
    outcome: row['outcome'] as AuditContent['outcome'],
    status: Number(row['status']),
    reason: (row['reason'] as AuditContent['reason']) ?? null,
    subject: (row['subject'] as string | null) ?? null,
    role: (row['role'] as string | null) ?? null,
    ministry: (row['ministry'] as string | null) ?? null,
    endpoint: String(row['endpoint']),
    filters: row['filters'] as Record<string, unknown>,
    referralIds: Array.isArray(row['referral_ids'])
      ? row['referral_ids'].map(String)
      : String(row['referral_ids']) === '{}'
        ? []
        : String(row['referral_ids']).slice(1, -1).split(','),
    requestId: String(row['request_id']),
  };
}
