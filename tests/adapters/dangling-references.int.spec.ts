import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { post } from '@passerelle/adapter/testing';
import type { Knex } from '@passerelle/db';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { countRows, openDatabase, startAdapters, stopAdapters, type AdapterName, type StartedAdapter } from './adapter-harness.ts';

/**
 * A lifecycle record (status change, consent withdrawal, FHIR Task, gap resolution) naming by the
 * ministry's own number a record this adapter never accepted the creation of is refused with 400,
 * nothing written, the field named and never its value; once the creation is accepted (earlier, or
 * earlier in the same request) it is accepted.
 */
const stack = inject('stack');
const NAMES = ['justice', 'child-welfare', 'education', 'health'] as const satisfies readonly AdapterName[];
type Name = (typeof NAMES)[number];

let database: TestDatabase;
let db: Knex;
let adapters: Record<AdapterName, StartedAdapter>;

const fixtureText = (service: Name, name: string): string =>
  readFileSync(new URL(`../../services/adapter-${service}/fixtures/${name}`, import.meta.url), 'utf8');
const fixture = (service: Name, name: string): Record<string, unknown> => JSON.parse(fixtureText(service, name)) as Record<string, unknown>;
const fresh = (): string => randomBytes(5).toString('hex').toUpperCase();

interface Problem {
  status: number;
  detail: string;
  errors: { field: string; reason: string }[];
}

/** How each adapter creates a referral and reports a lifecycle record about it, by its own number. */
const SHAPES: Record<Name, { field: string; create: (ref: string) => [string, unknown]; status: (ref: string) => [string, unknown] }> = {
  justice: {
    field: 'referralNumber',
    create: (ref) => ['/referrals', { ...fixture('justice', 'vwap-referral.json'), referralNumber: ref }],
    status: (ref) => ['/referrals/status-changes', { ...fixture('justice', 'status-change.json'), referralNumber: ref }],
  },
  'child-welfare': {
    field: 'casReference',
    create: (ref) => ['/referrals', { ...fixture('child-welfare', 'cas-referral.json'), casReference: ref }],
    status: (ref) => ['/referrals/status-changes', { ...fixture('child-welfare', 'status-change.json'), casReference: ref }],
  },
  education: {
    field: 'boardReferralId',
    create: (ref) => ['/referrals', { ...fixture('education', 'school-board-referral.json'), boardReferralId: ref }],
    status: (ref) => ['/referrals/status-changes', { ...fixture('education', 'status-change.json'), boardReferralId: ref }],
  },
  health: {
    field: 'focus.reference',
    create: (ref) => ['/fhir/ServiceRequest', { ...fixture('health', 'service-request-full.json'), id: ref.toLowerCase() }],
    status: (ref) => [
      '/fhir/Task',
      {
        ...fixture('health', 'task-accepted.json'),
        id: `task-${ref.toLowerCase()}`,
        focus: { reference: `ServiceRequest/${ref.toLowerCase()}` },
      },
    ],
  },
};

const send = (name: Name, path: string, body: unknown, headers: Record<string, string> = {}, contentType?: string) =>
  post(adapters[name].url, path, body, { token: adapters[name].token, headers, ...(contentType ? { contentType } : {}) });

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'adapters_dangling');
  db = openDatabase(database.url);
  adapters = await startAdapters({ ...stack, databaseUrl: database.url }, NAMES);
});

afterAll(async () => {
  await stopAdapters(adapters ?? {});
  await db?.destroy();
  await database?.drop();
});

describe.each(NAMES)('%s: a status naming a referral by its own number', (name) => {
  const shape = SHAPES[name];

  it('is refused with 400 naming the field, never its value, writing nothing, while the referral was never accepted', async () => {
    const ref = `DANGLING-${fresh()}`;
    const [path, body] = shape.status(ref);
    const before = await countRows(db, adapters[name].schema);
    const refused = await send(name, path, body, { 'idempotency-key': `dangling-${ref}` });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    const problem = refused.body as unknown as Problem;
    expect(problem.errors.map((error) => error.field)).toEqual([shape.field]);
    expect(problem.detail).toMatch(/nothing was accepted/);
    expect(JSON.stringify(refused.body).toLowerCase()).not.toContain(ref.toLowerCase());
    expect(await countRows(db, adapters[name].schema)).toEqual(before);

    // Sent again as it was: the same refusal, still nothing written.
    const again = await send(name, path, body, { 'idempotency-key': `dangling-${ref}` });
    expect(again.status).toBe(400);
    expect((again.body as unknown as Problem).errors).toEqual(problem.errors);
    expect(await countRows(db, adapters[name].schema)).toEqual(before);
  });

  it('is accepted once its creation was, and a retry of the same request gets the same answer', async () => {
    const ref = `KNOWN-${fresh()}`;
    const [createPath, createBody] = shape.create(ref);
    const created = await send(name, createPath, createBody);
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const [path, body] = shape.status(ref);
    const headers = { 'idempotency-key': `status-${ref}` };
    const accepted = await send(name, path, body, headers);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const events = accepted.body['events'] as { referralId: string }[];
    expect(events[0]?.referralId).toBe((created.body['events'] as { referralId: string }[])[0]?.referralId);

    const before = await countRows(db, adapters[name].schema);
    for (const retry of [await send(name, path, body, headers), await send(name, path, body)]) {
      expect(retry.status).toBe(202);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body).toEqual(accepted.body);
    }
    expect(await countRows(db, adapters[name].schema)).toEqual(before);
  });
});

describe.each(['justice', 'child-welfare', 'education'] as const)('%s: other lifecycle records', (name) => {
  it('refuses a consent withdrawal by an unknown number, naming the field', async () => {
    const ref = `DANGLING-${fresh()}`;
    const field = SHAPES[name].field;
    const before = await countRows(db, adapters[name].schema);
    const refused = await send(name, '/referrals/consent-withdrawals', { ...fixture(name, 'consent-withdrawal.json'), [field]: ref });
    expect(refused.status).toBe(400);
    expect((refused.body as unknown as Problem).errors.map((error) => error.field)).toEqual([field]);
    expect(JSON.stringify(refused.body)).not.toContain(ref);
    expect(await countRows(db, adapters[name].schema)).toEqual(before);
  });

  it('accepts a status naming another ministry’s referral by referralId, which it cannot know', async () => {
    const change = { ...fixture(name, 'status-change.json'), [SHAPES[name].field]: undefined, referralId: randomUUID() };
    expect((await send(name, '/referrals/status-changes', change)).status).toBe(202);
  });
});

describe.each(NAMES)('%s: a gap resolution by gapReference', (name) => {
  it('is refused while the gap was never reported, accepted once it was', async () => {
    const ref = `GAP-${fresh()}`;
    const resolution = { ...fixture(name, 'service-gap-resolution.json'), gapReference: ref };
    const before = await countRows(db, adapters[name].schema);
    const refused = await send(name, '/service-gaps/resolutions', resolution);
    expect(refused.status).toBe(400);
    expect((refused.body as unknown as Problem).errors.map((error) => error.field)).toEqual(['gapReference']);
    expect(JSON.stringify(refused.body)).not.toContain(ref);
    expect(await countRows(db, adapters[name].schema)).toEqual(before);

    expect((await send(name, '/service-gaps', { ...fixture(name, 'service-gap.json'), gapReference: ref })).status).toBe(202);
    expect((await send(name, '/service-gaps/resolutions', resolution)).status).toBe(202);
  });
});

describe('child-welfare: an export creating then updating in one request', () => {
  const lines = fixtureText('child-welfare', 'cas-export.csv').trim().split('\n');
  const header = lines[0] ?? '';
  const withReference = (line: string, ref: string): string => line.replace(/^(\w+,\w+,)[^,]+/, `$1${ref}`);
  const referralRow = lines.find((line) => line.startsWith('referral,')) ?? '';
  const statusRow = lines.find((line) => line.startsWith('status,')) ?? '';

  it('accepts a status row after its referral row', async () => {
    const ref = `CASO-${fresh()}`;
    const csv = `${[header, withReference(referralRow, ref), withReference(statusRow, ref)].join('\n')}\n`;
    const accepted = await send('child-welfare', '/referrals/batch', csv, {}, 'text/csv');
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const events = accepted.body['events'] as { eventType: string; referralId: string }[];
    expect(events.map((event) => event.eventType)).toEqual(['ReferralCreated', 'ReferralStatusChanged']);
    expect(events[1]?.referralId).toBe(events[0]?.referralId);
    const again = await send('child-welfare', '/referrals/batch', csv, {}, 'text/csv');
    expect(again.status).toBe(202);
    expect(again.body).toEqual(accepted.body);
  });

  it('refuses the whole export for a status row naming a referral never accepted, naming its row and column', async () => {
    const known = `CASO-${fresh()}`;
    const unknown = `CASO-${fresh()}`;
    const csv = `${[header, withReference(referralRow, known), withReference(statusRow, unknown)].join('\n')}\n`;
    const before = await countRows(db, adapters['child-welfare'].schema);
    const refused = await send('child-welfare', '/referrals/batch', csv, {}, 'text/csv');
    expect(refused.status).toBe(400);
    expect((refused.body as unknown as Problem).errors.map((error) => error.field)).toEqual(['row 3, column cas_reference']);
    expect(JSON.stringify(refused.body)).not.toContain(unknown);
    expect(await countRows(db, adapters['child-welfare'].schema)).toEqual(before);
  });
});

describe('health: Tasks and Bundles', () => {
  const bundleOf = (type: 'transaction' | 'batch', resources: Record<string, unknown>[]) => ({
    resourceType: 'Bundle',
    type,
    entry: resources.map((resource) => ({ resource, request: { method: 'POST', url: resource['resourceType'] } })),
  });
  const request = (id: string) => ({ ...fixture('health', 'service-request-full.json'), id });
  const task = (id: string, sr: string) => ({
    ...fixture('health', 'task-accepted.json'),
    id,
    focus: { reference: `ServiceRequest/${sr}` },
  });

  it('answers a FHIR client an OperationOutcome whose issue points at the reference', async () => {
    const sr = `sr-${fresh().toLowerCase()}`;
    const refused = await send('health', '/fhir/Task', task(`t-${sr}`, sr), {}, 'application/fhir+json');
    expect(refused.status).toBe(400);
    const outcome = refused.body as { resourceType: string; issue: { expression?: string[] }[] };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue.map((issue) => issue.expression?.[0])).toEqual(['Task.focus.reference']);
    expect(JSON.stringify(outcome)).not.toContain(sr);
  });

  it('names the basedOn entry when that is where the Task names its ServiceRequest', async () => {
    const sr = `sr-${fresh().toLowerCase()}`;
    const minimal = { ...fixture('health', 'task-minimal.json'), id: `t-${sr}`, basedOn: [{ reference: `ServiceRequest/${sr}` }] };
    const refused = await send('health', '/fhir/Task', minimal);
    expect(refused.status).toBe(400);
    expect((refused.body as unknown as Problem).errors.map((error) => error.field)).toEqual(['basedOn[0].reference']);
  });

  it('accepts a transaction creating a ServiceRequest then updating it by ServiceRequest/<id>, and replays it', async () => {
    const sr = `sr-${fresh().toLowerCase()}`;
    const bundle = bundleOf('transaction', [request(sr), task(`t-${sr}`, sr)]);
    const headers = { 'idempotency-key': `tx-${sr}` };
    const accepted = await send('health', '/fhir', bundle, headers);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const events = accepted.body['events'] as { eventType: string; referralId: string }[];
    expect(events.map((event) => event.eventType)).toEqual(['ReferralCreated', 'ReferralStatusChanged']);
    expect(events[1]?.referralId).toBe(events[0]?.referralId);
    const again = await send('health', '/fhir', bundle, headers);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(accepted.body);
  });

  it('refuses a transaction whose Task comes before its ServiceRequest or names one never accepted, writing nothing', async () => {
    const sr = `sr-${fresh().toLowerCase()}`;
    const before = await countRows(db, adapters.health.schema);
    for (const bundle of [
      bundleOf('transaction', [task(`t-${sr}`, sr), request(sr)]),
      bundleOf('transaction', [request(`${sr}-other`), task(`t-${sr}`, sr)]),
    ]) {
      const refused = await send('health', '/fhir', bundle);
      expect(refused.status).toBe(400);
      const fields = (refused.body as unknown as Problem).errors.map((error) => error.field);
      expect(fields).toHaveLength(1);
      expect(fields[0]).toMatch(/^entry\[[01]\]\.resource\.focus\.reference$/);
    }
    expect(await countRows(db, adapters.health.schema)).toEqual(before);
  });

  it('answers a batch entry by entry: a Task after its ServiceRequest accepted, one naming none refused', async () => {
    const sr = `sr-${fresh().toLowerCase()}`;
    const answer = await send('health', '/fhir', bundleOf('batch', [request(sr), task(`t-${sr}`, sr), task(`t2-${sr}`, `${sr}-none`)]));
    expect(answer.status).toBe(200);
    const statuses = (answer.body['entry'] as { response: { status: string } }[]).map((entry) => entry.response.status);
    expect(statuses).toEqual(['202 Accepted', '202 Accepted', '400 Invalid request']);
  });
});
