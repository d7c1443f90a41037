import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { LogCapture, testAdapterConfig } from '@passerelle/adapter/testing';
import type { RunningAdapter } from '@passerelle/adapter';
import type { Knex } from 'knex';
import { ADAPTER_MODULES, ADAPTER_NAMES, countRows, openDatabase, type RowCounts } from '../adapters/adapter-harness.ts';
import { startViewApi, type ViewApiHarness } from '../view-api/harness.ts';
import { CANARY, POLLUTION_KEY, generateCases, generateQueryCases, type AdapterName, type SweepCase } from './generator.ts';

const stack = inject('stack');

const SEED = Number(process.env['PASSERELLE_SWEEP_SEED'] ?? 20_261_128);
const CASES = Number(process.env['PASSERELLE_SWEEP_CASES'] ?? 6_000);
const QUERY_CASES = Math.max(200, Math.round(CASES / 10));
const BATCH = 250;
/** Kept low: the shared PostgreSQL has 100 connection slots for every suite running at once. */
const CONCURRENCY = 6;
/** A 503 asks the client to come back (the database was out of connections): retried like a client would. */
const RETRIES_ON_503 = 3;

const NAMES = ADAPTER_NAMES;

interface Running {
  readonly url: string;
  readonly token: string;
  readonly schema: string;
  readonly running: RunningAdapter;
  readonly logs: LogCapture;
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly headers: Headers;
}

/** Whether a problem's errors name `expected` or the element holding it (or an element inside it). */
function names(fields: readonly string[], expected: string): boolean {
  return fields.some(
    (f) =>
      f === expected ||
      [`${expected}.`, `${expected}[`, `${expected},`].some((p) => f.startsWith(p)) ||
      [`${f}.`, `${f}[`].some((p) => expected.startsWith(p)),
  );
}

/** What is wrong with an answer, checked the same way for every case; empty when nothing is. */
function problemsWithAnswer(answer: Answer, expectedField?: string): string[] {
  const found: string[] = [];
  if (answer.status >= 500) found.push(`answered ${answer.status}`);
  if (answer.text.includes(CANARY)) found.push('echoed the canary value');
  if (
    /\bat .+\.(ts|js):\d+/.test(answer.text) ||
    /\b(select|insert into|update .+ set|delete from)\b/i.test(answer.text.replace(/"(field|reason|detail)":"[^"]*"/g, ''))
  ) {
    found.push('carries a stack trace or SQL text');
  }
  if (answer.status < 300) return found;
  // A request that speaks FHIR is refused in FHIR: an OperationOutcome, its issues naming the elements.
  if (answer.contentType.includes('application/fhir+json')) return [...found, ...problemsWithOutcome(answer, expectedField)];
  if (!answer.contentType.includes('application/problem+json')) {
    found.push(`a ${answer.status} answer of type ${answer.contentType || '(none)'}`);
    return found;
  }
  let body: { type?: unknown; title?: unknown; status?: unknown; errors?: unknown };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    found.push('a problem body that is not JSON');
    return found;
  }
  if (typeof body.type !== 'string' || typeof body.title !== 'string' || body.status !== answer.status)
    found.push('a problem body without type, title or the right status');
  const fields = Array.isArray(body.errors) ? (body.errors as { field?: unknown }[]).map((e) => String(e.field)) : [];
  if (answer.status === 400 && fields.length === 0) found.push('a 400 naming no field');
  if (answer.status === 400 && expectedField !== undefined && !names(fields, expectedField))
    found.push(`names ${JSON.stringify(fields.slice(0, 3))}, not ${expectedField}`);
  return found;
}

/** What is wrong with an OperationOutcome refusal: its shape, and for a 400 whether its issues name the field. */
function problemsWithOutcome(answer: Answer, expectedField?: string): string[] {
  let body: { resourceType?: unknown; issue?: unknown };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    return ['an OperationOutcome that is not JSON'];
  }
  const issues = Array.isArray(body.issue)
    ? (body.issue as { severity?: unknown; code?: unknown; expression?: unknown; diagnostics?: unknown }[])
    : [];
  if (body.resourceType !== 'OperationOutcome' || issues.length === 0)
    return ['a FHIR refusal that is not an OperationOutcome with issues'];
  if (issues.some((i) => i.severity !== 'error' || typeof i.code !== 'string'))
    return ['an OperationOutcome issue without severity error and a code'];
  // `ServiceRequest.category[0].text` names the request's `category[0].text`.
  const fields = issues
    .flatMap((i) => (Array.isArray(i.expression) ? i.expression : []))
    .map((e) => String(e).replace(/^[A-Z][A-Za-z]+\./, ''));
  // An issue about no element (the body, a header) names it at the start of its diagnostics.
  const others = issues.filter((i) => !Array.isArray(i.expression)).map((i) => String(i.diagnostics ?? '').split(' ')[0] ?? '');
  fields.push(...others.filter((name) => name !== ''));
  const bodyLevel = others.length > 0;
  if (answer.status === 400 && fields.length === 0 && !bodyLevel) return ['a 400 OperationOutcome naming nothing'];
  if (answer.status === 400 && expectedField !== undefined && !names(fields, expectedField))
    return [`an OperationOutcome naming ${JSON.stringify(fields.slice(0, 3))}, not ${expectedField}`];
  return [];
}

async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}

describe('the bad-input sweep over every adapter endpoint', () => {
  let database: TestDatabase;
  let db: Knex;
  const adapters = {} as Record<AdapterName, Running>;

  beforeAll(async () => {
    database = await createTestDatabase(stack.databaseUrl, 'sweep');
    db = openDatabase(database.url);
    await Promise.all(
      NAMES.map(async (name) => {
        const schema = `sweep_${name.replace(/-/g, '_')}`;
        // The sweep sends thousands of requests with one token: no rate limit here (one test below has one).
        const config = testAdapterConfig(
          { ...stack, databaseUrl: database.url },
          { databaseSchema: schema, logLevel: 'info', http: { rateLimitPerMinute: 0, requestTimeoutMs: 10_000 } },
        );
        const logs = new LogCapture();
        const running = await ADAPTER_MODULES[name].start(config, {
          relayPollIntervalMs: 500,
          relayMaxBackoffMs: 2_000,
          logDestination: logs,
          flushMs: 1_000,
        });
        adapters[name] = { url: running.url, token: config.ministryToken, schema, running, logs };
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(Object.values(adapters).map((a) => a.running.stop()));
    await db?.destroy();
    await database?.drop();
  });

  async function totalRows(): Promise<RowCounts> {
    const all = await Promise.all(NAMES.map((name) => countRows(db, adapters[name].schema)));
    return all.reduce(
      (sum, c) => ({ outbox: sum.outbox + c.outbox, idempotency: sum.idempotency + c.idempotency, sourceIds: sum.sourceIds + c.sourceIds }),
      { outbox: 0, idempotency: 0, sourceIds: 0 },
    );
  }

  function authorization(c: SweepCase): string | undefined {
    const own = adapters[c.adapter].token;
    switch (c.auth) {
      case 'valid':
        return `Bearer ${own}`;
      case 'none':
        return undefined;
      case 'wrong':
        return `Bearer ${own.slice(0, -2)}xx`;
      case 'basic':
        return `Basic ${Buffer.from(`user:${own}`).toString('base64')}`;
      case 'garbage':
        return `Bearer ${own} ${own}`;
      case 'other-ministry':
        return `Bearer ${adapters[c.adapter === 'justice' ? 'health' : 'justice'].token}`;
    }
  }

  async function send(c: SweepCase): Promise<Answer> {
    const headers: Record<string, string> = { ...c.headers };
    if (c.contentType !== undefined) headers['content-type'] = c.contentType;
    const auth = authorization(c);
    if (auth !== undefined) headers['authorization'] = auth;
    const response = await fetch(`${adapters[c.adapter].url}${c.path}`, {
      method: c.method,
      headers,
      ...(c.body !== undefined && !['GET', 'OPTIONS'].includes(c.method) ? { body: c.body } : {}),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text: await response.text(),
      headers: response.headers,
    };
  }

  it(
    `answers ${CASES} malformed and hostile requests with problem details (an OperationOutcome where FHIR is spoken), never 5xx, and writes nothing for what it refuses`,
    { timeout: 600_000 },
    async () => {
      const began = Date.now();
      const cases = generateCases({ seed: SEED, cases: CASES });
      console.log(
        `[sweep] seed ${SEED} (PASSERELLE_SWEEP_SEED), ${cases.length} cases (PASSERELLE_SWEEP_CASES), ${cases.filter((c) => c.expect === 'reject').length} to be refused`,
      );

      const failures: string[] = [];
      const byStatus = new Map<number, number>();
      const byCategory = new Map<string, number>();
      const endpoints = new Set<string>();
      let rowsByRejected = 0;
      let transportErrors = 0;
      let retried503 = 0;

      const check = async (c: SweepCase): Promise<void> => {
        if (c.category !== 'unknown path' && c.category !== 'wrong method') endpoints.add(c.endpoint);
        byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + 1);
        let answer: Answer;
        try {
          answer = await send(c);
          for (let attempt = 0; answer.status === 503 && answer.headers.has('retry-after') && attempt < RETRIES_ON_503; attempt += 1) {
            retried503 += 1;
            await sleep(1_000);
            answer = await send(c);
          }
        } catch (error) {
          transportErrors += 1;
          failures.push(`#${c.id} ${c.endpoint} [${c.category}]: no answer (${(error as Error).message})`);
          return;
        }
        byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
        const found = problemsWithAnswer(answer, c.field);
        if (c.expect === 'reject' && answer.status < 300) found.push(`accepted (${answer.status}) a case that must be refused`);
        if (c.expect === 'reject' && c.status !== undefined && answer.status < 500 && answer.status >= 300 && answer.status !== c.status)
          found.push(`answered ${answer.status}, expected ${c.status}`);
        for (const f of found) failures.push(`#${c.id} ${c.endpoint} [${c.category}]: ${f}`);
      };

      for (let start = 0; start < cases.length; start += BATCH) {
        const batch = cases.slice(start, start + BATCH);
        // Refusals first, alone: the row counts around them must not move.
        const before = await totalRows();
        await runLimited(
          batch.filter((c) => c.expect === 'reject'),
          CONCURRENCY,
          check,
        );
        const after = await totalRows();
        const written = after.outbox - before.outbox + (after.idempotency - before.idempotency) + (after.sourceIds - before.sourceIds);
        if (written !== 0) failures.push(`batch from #${start + 1}: refused cases wrote ${written} rows`);
        rowsByRejected += written;
        await runLimited(
          batch.filter((c) => c.expect === 'may-accept'),
          CONCURRENCY,
          check,
        );
      }

      // Still up, and nothing was added to Object.prototype by a __proto__ key.
      const health = await Promise.all(NAMES.map(async (name) => (await fetch(`${adapters[name].url}/healthz`)).status));
      const leakedInLogs = NAMES.filter((name) => adapters[name].logs.text().includes(CANARY));
      const seconds = (Date.now() - began) / 1000;
      const count = (predicate: (status: number) => boolean): number =>
        [...byStatus].filter(([s]) => predicate(s)).reduce((sum, [, n]) => sum + n, 0);
      const fourXx = [...byStatus]
        .filter(([s]) => s >= 400 && s < 500)
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ');
      console.log(
        [
          `[sweep] seed ${SEED} | cases ${cases.length} | endpoints ${endpoints.size} | duration ${seconds.toFixed(1)} s`,
          `[sweep] 2xx ${count((s) => s < 300)} | 4xx ${count((s) => s >= 400 && s < 500)} (${fourXx}) | 5xx ${count((s) => s >= 500)} | no answer ${transportErrors} | 503 retried ${retried503}`,
          `[sweep] rows written by refused cases: ${rowsByRejected} | failures: ${failures.length}`,
          `[sweep] by category: ${[...byCategory].map(([k, n]) => `${k} ${n}`).join(', ')}`,
        ].join('\n'),
      );
      if (failures.length > 0) console.log(`[sweep] first failures:\n  ${failures.slice(0, 40).join('\n  ')}`);
      if (process.env['PASSERELLE_SWEEP_REPORT']) {
        // Failures and the adapters' error lines (class, code and stack frames only), for whoever fixes them.
        const errors = NAMES.flatMap((name) =>
          adapters[name].logs
            .lines()
            .filter((l) => l['level'] === 50 || l['level'] === 'error')
            .map((l) => `${name}: ${JSON.stringify(l)}`),
        );
        writeFileSync(process.env['PASSERELLE_SWEEP_REPORT'], [...failures, ...errors].join('\n'));
      }

      expect(cases.length).toBeGreaterThanOrEqual(Math.min(CASES, 5_000));
      expect(count((s) => s >= 500)).toBe(0);
      expect(rowsByRejected).toBe(0);
      expect(failures.slice(0, 40)).toEqual([]);
      expect(health).toEqual(NAMES.map(() => 200));
      expect(Object.prototype).not.toHaveProperty(POLLUTION_KEY);
      expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
      expect(leakedInLogs).toEqual([]);
    },
  );
});

describe('the rate limit of an adapter', () => {
  let database: TestDatabase;

  // Apart from the sweep, once its adapters have stopped: the shared PostgreSQL has few connection slots.
  beforeAll(async () => {
    database = await createTestDatabase(stack.databaseUrl, 'sweep_rate');
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('answers 429 problem details with Retry-After once a ministry token has used its allowance', async () => {
    const config = testAdapterConfig(
      { ...stack, databaseUrl: database.url },
      { databaseSchema: 'sweep_rate_limited', logLevel: 'silent', http: { rateLimitPerMinute: 3, requestTimeoutMs: 10_000 } },
    );
    const running = await ADAPTER_MODULES['coordination-office'].start(config, { logDestination: new LogCapture(), flushMs: 500 });
    try {
      const post = () =>
        fetch(`${running.url}/initiative-milestones`, {
          method: 'POST',
          headers: { authorization: `Bearer ${config.ministryToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ initiativeId: 'S2016-P1-04', status: 'started', recordedAt: `2025-03-01T00:00:00Z`, notes: CANARY }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await post()).status);
      const refused = await post();
      const text = await refused.text();
      const probe = await fetch(`${running.url}/healthz`);

      expect(statuses).toEqual([202, 202, 202]);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      expect(
        problemsWithAnswer({
          status: refused.status,
          contentType: refused.headers.get('content-type') ?? '',
          text,
          headers: refused.headers,
        }),
      ).toEqual([]);
      expect(JSON.parse(text)).toMatchObject({ status: 429, title: 'Too many requests' });
      expect(probe.status).toBe(200);
    } finally {
      await running.stop();
    }
  });
});

describe('the query sweep over the view API', () => {
  let view: ViewApiHarness;
  let tokens: string[];

  beforeAll(async () => {
    view = await startViewApi(stack.databaseUrl, 'sweep_view', { http: { rateLimitPerMinute: 0, requestTimeoutMs: 10_000 } });
    tokens = [await view.token('coordination-office'), await view.token('operator'), await view.token('ministry', 'JUSTICE')];
  });

  afterAll(async () => {
    await view?.close();
  });

  it(`answers ${QUERY_CASES} hostile query strings and path ids with problem details, never 5xx`, { timeout: 300_000 }, async () => {
    const cases = generateQueryCases(SEED, QUERY_CASES);
    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    await runLimited(cases, 8, async (c) => {
      const response = await view.get(c.path, tokens[c.id % tokens.length]);
      const answer = {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        text: await response.text(),
        headers: response.headers,
      };
      byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
      const found = problemsWithAnswer(answer);
      if (answer.status === 400 && found.length === 0) {
        // The answer names a parameter that was sent, the path id, or the path when it cannot be decoded.
        const named = ((JSON.parse(answer.text) as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);
        if (![...c.fields, 'id', 'path'].some((field) => names(named, field)))
          found.push(`names ${JSON.stringify(named.slice(0, 3))}, none of ${JSON.stringify(c.fields)}`);
      }
      for (const f of found) failures.push(`#${c.id} GET ${c.category}: ${f}`);
    });
    const health = await view.get('/healthz');
    console.log(
      `[sweep:view-api] seed ${SEED} | cases ${cases.length} | by status ${[...byStatus]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')} | failures ${failures.length}`,
    );
    if (failures.length > 0) console.log(`[sweep:view-api] first failures:\n  ${failures.slice(0, 30).join('\n  ')}`);

    expect([...byStatus.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(failures.slice(0, 30)).toEqual([]);
    expect(health.status).toBe(200);
  });
});
