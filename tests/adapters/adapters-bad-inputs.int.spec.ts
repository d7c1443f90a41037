import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { ADAPTER_NAMES, countRows, type AdapterName, type RowCounts } from './adapter-harness.ts';
import { startAdaptersFixture, type AdaptersFixture } from './adapters-fixture.ts';

const stack = inject('stack');
const fixture = (service: string, name: string): string =>
  readFileSync(new URL(`../../services/adapter-${service}/fixtures/${name}`, import.meta.url), 'utf8');
const json = (service: string, name: string): Record<string, unknown> => JSON.parse(fixture(service, name)) as Record<string, unknown>;

/** A value planted in bad inputs: no answer may quote it. */
const CANARY = 'Zebulon-Quartermaine';

const justiceReferral = json('justice', 'vwap-referral.json');
const csvHeader = 'referral_number,program,person_id,receiving_service_type,support_needed,region,urgency,consent,referred_at';
const csvRow = (overrides: Partial<Record<string, string>> = {}): string =>
  Object.entries({
    referral_number: 'VWAP-9',
    program: 'vwap',
    person_id: 'JP-9',
    receiving_service_type: 'community_agency',
    support_needed: 'housing',
    region: 'toronto',
    urgency: 'routine',
    consent: 'standard',
    referred_at: '2025-03-05',
    ...overrides,
  })
    .map(([, v]) => v)
    .join(',');
const nested = (depth: number): unknown => (depth === 0 ? 'x' : { a: nested(depth - 1) });

interface BadInput {
  readonly name: string;
  readonly adapter: AdapterName;
  readonly path: string;
  readonly body: string | Buffer;
  readonly contentType?: string;
  readonly auth?: 'valid' | 'none' | 'wrong' | 'basic' | 'other-ministry';
  readonly headers?: Record<string, string>;
  readonly status: number;
  /** A field the problem details must name, when the failure is about one. */
  readonly field?: string;
}

const body = (value: unknown): string => JSON.stringify(value);
const withRef = (changes: Record<string, unknown>): string => body({ ...justiceReferral, ...changes });

/** Instants outside the plausible window (libs/contracts time-window.ts): PostgreSQL refuses year 0000 and would store 0001 as it is. */
const IMPLAUSIBLE_INSTANTS = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1899-12-31T23:59:59Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '2200-01-01T00:00:00Z',
];
const IMPLAUSIBLE_DAYS = ['0000-01-01', '0001-01-01', '1899-12-31', '9999-12-31'];
const OUTSIDE_THE_TIME_WINDOW: readonly BadInput[] = [
  ...IMPLAUSIBLE_INSTANTS.map((at): BadInput => ({
    name: `a referral made at ${at}`,
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ referredAt: at }),
    status: 400,
    field: 'referredAt',
  })),
  ...IMPLAUSIBLE_INSTANTS.map((at): BadInput => ({
    name: `a ServiceRequest authored at ${at}`,
    adapter: 'health',
    path: '/fhir/ServiceRequest',
    contentType: 'application/fhir+json',
    body: body({ ...json('health', 'service-request-full.json'), authoredOn: at }),
    status: 400,
    field: 'authoredOn',
  })),
  ...IMPLAUSIBLE_INSTANTS.map((at): BadInput => ({
    name: `a student referred at ${at}`,
    adapter: 'education',
    path: '/referrals',
    body: body({ ...json('education', 'school-board-referral.json'), referredOn: at }),
    status: 400,
    field: 'referredOn',
  })),
  ...IMPLAUSIBLE_INSTANTS.map((at): BadInput => ({
    name: `a milestone recorded at ${at}`,
    adapter: 'coordination-office',
    path: '/initiative-milestones',
    body: body({ initiativeId: 'S2016-P1-04', status: 'started', recordedAt: at }),
    status: 400,
    field: 'recordedAt',
  })),
  ...IMPLAUSIBLE_DAYS.map((day): BadInput => ({
    name: `a society referral dated ${day}`,
    adapter: 'child-welfare',
    path: '/referrals',
    body: body({ ...json('child-welfare', 'cas-referral.json'), referralDate: day }),
    status: 400,
    field: 'referralDate',
  })),
  ...IMPLAUSIBLE_DAYS.map((day): BadInput => ({
    name: `a victim born on ${day}`,
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ victim: { personId: 'JP-1', dateOfBirth: day } }),
    status: 400,
    field: 'victim.dateOfBirth',
  })),
  ...IMPLAUSIBLE_DAYS.map((day): BadInput => ({
    name: `a CSV referral dated ${day}`,
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `${csvHeader}\n${csvRow({ referred_at: day })}`,
    status: 400,
    field: 'row 2, column referred_at',
  })),
];

const BAD_INPUTS: readonly BadInput[] = [
  ...OUTSIDE_THE_TIME_WINDOW,
  // Wrong types and missing fields.
  {
    name: 'a referral without its referral number',
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ referralNumber: undefined }),
    status: 400,
    field: 'referralNumber',
  },
  {
    name: 'a region given as a number',
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ region: 5 }),
    status: 400,
    field: 'region',
  },
  {
    name: 'a person id given as a number',
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ victim: { personId: 45521, firstName: CANARY } }),
    status: 400,
    field: 'victim.personId',
  },
  {
    name: 'risk factors given as a string',
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ riskFactors: CANARY }),
    status: 400,
    field: 'riskFactors',
  },
  {
    name: 'a referral time in the future',
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ referredAt: '2999-01-01T00:00:00Z' }),
    status: 400,
    field: 'referredAt',
  },
  {
    name: 'a referral time without an offset',
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ referredAt: '2025-03-03 10:15' }),
    status: 400,
    field: 'referredAt',
  },
  {
    name: 'a birth date in a local format',
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ victim: { personId: 'JP-1', dateOfBirth: '14/07/2001' } }),
    status: 400,
    field: 'victim.dateOfBirth',
  },
  {
    name: 'a field the shape does not have',
    adapter: 'justice',
    path: '/referrals',
    body: withRef({ regoin: 'toronto' }),
    status: 400,
    field: 'regoin',
  },
  {
    name: 'a student grade given as words',
    adapter: 'education',
    path: '/referrals',
    body: body({ ...json('education', 'school-board-referral.json'), student: { oen: '123456789', grade: 'ten' } }),
    status: 400,
    field: 'student.grade',
  },
  {
    name: 'a malformed Ontario Education Number',
    adapter: 'education',
    path: '/referrals',
    body: body({ ...json('education', 'school-board-referral.json'), student: { oen: '12345' } }),
    status: 400,
    field: 'student.oen',
  },
  // Unknown enum values.
  { name: 'an unknown urgency', adapter: 'justice', path: '/referrals', body: withRef({ urgency: CANARY }), status: 400, field: 'urgency' },
  {
    name: 'an unknown legal status of a child',
    adapter: 'child-welfare',
    path: '/referrals',
    body: body({ ...json('child-welfare', 'cas-referral.json'), legalStatus: 'ward' }),
    status: 400,
    field: 'legalStatus',
  },
  {
    name: 'an unknown gap severity',
    adapter: 'health',
    path: '/service-gaps',
    body: body({
      gapReference: 'G-1',
      observedAt: '2025-03-01T00:00:00Z',
      region: 'east',
      serviceCategory: 'housing',
      severity: 'apocalyptic',
      gapCode: 'other',
    }),
    status: 400,
    field: 'severity',
  },
  {
    name: 'an unknown gap resolution',
    adapter: 'justice',
    path: '/service-gaps/resolutions',
    body: body({ gapReference: 'G-1', resolvedAt: '2025-03-01T00:00:00Z', resolution: 'magic' }),
    status: 400,
    field: 'resolution',
  },
  {
    name: 'an unknown referral status',
    adapter: 'education',
    path: '/referrals/status-changes',
    body: body({ boardReferralId: 'B-1', status: 'lost', changedAt: '2025-03-01T00:00:00Z' }),
    status: 400,
    field: 'status',
  },
  {
    name: 'a status change naming both a reference and a referral id',
    adapter: 'justice',
    path: '/referrals/status-changes',
    body: body({
      referralNumber: 'V-1',
      referralId: '3f2b8c4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f',
      status: 'accepted',
      changedAt: '2025-03-01T00:00:00Z',
    }),
    status: 400,
    field: 'referralNumber',
  },
  // FHIR resources.
  {
    name: 'a draft ServiceRequest',
    adapter: 'health',
    path: '/fhir/ServiceRequest',
    contentType: 'application/fhir+json',
    body: body({ ...json('health', 'service-request-minimal.json'), status: 'draft' }),
    status: 400,
    field: 'status',
  },
  {
    name: 'a health card number of the wrong shape',
    adapter: 'health',
    path: '/fhir/ServiceRequest',
    contentType: 'application/fhir+json',
    body: body({
      ...json('health', 'service-request-minimal.json'),
      subject: { identifier: { system: 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-on-patient-hcn', value: '12AB' } },
    }),
    status: 400,
    field: 'subject.identifier.value',
  },
  {
    name: 'a Patient posted as a ServiceRequest',
    adapter: 'health',
    path: '/fhir/ServiceRequest',
    contentType: 'application/fhir+json',
    body: body({ resourceType: 'Patient', id: 'p-1', name: [{ family: CANARY }] }),
    status: 400,
    field: 'resourceType',
  },
  {
    name: 'an unknown code of the service-category code system',
    adapter: 'health',
    path: '/fhir/ServiceRequest',
    contentType: 'application/fhir+json',
    body: body({
      ...json('health', 'service-request-minimal.json'),
      category: [{ coding: [{ system: 'https://passerelle.ontario.example/fhir/CodeSystem/service-category', code: 'spa-day' }] }],
    }),
    status: 400,
    field: 'category[0].coding[0].code',
  },
  {
    name: 'a Task that names no ServiceRequest',
    adapter: 'health',
    path: '/fhir/Task',
    contentType: 'application/fhir+json',
    body: body({ resourceType: 'Task', id: 't-1', status: 'accepted', intent: 'order' }),
    status: 400,
    field: 'focus',
  },
  {
    name: 'a Task status outside the FHIR value set',
    adapter: 'health',
    path: '/fhir/Task',
    contentType: 'application/fhir+json',
    body: body({ ...json('health', 'task-accepted.json'), status: 'finished' }),
    status: 400,
    field: 'status',
  },
  // Initiatives the ministry does not lead.
  {
    name: 'a milestone of an initiative health leads, sent by justice',
    adapter: 'justice',
    path: '/initiative-milestones',
    body: body({ initiativeId: 'S2016-P1-05', status: 'started', recordedAt: '2025-03-01T00:00:00Z' }),
    status: 403,
    field: 'initiativeId',
  },
  {
    name: 'a milestone of an initiative justice leads, sent by the coordination office',
    adapter: 'coordination-office',
    path: '/initiative-milestones',
    body: body({ initiativeId: 'S2016-P2-01', status: 'started', recordedAt: '2025-03-01T00:00:00Z' }),
    status: 403,
    field: 'initiativeId',
  },
  {
    name: 'a milestone of an initiative the catalogue does not have',
    adapter: 'education',
    path: '/initiative-milestones',
    body: body({ initiativeId: 'S2016-P9-99', status: 'started', recordedAt: '2025-03-01T00:00:00Z' }),
    status: 400,
    field: 'initiativeId',
  },
  {
    name: 'a negative milestone quantity',
    adapter: 'education',
    path: '/initiative-milestones',
    body: body({
      initiativeId: 'S2016-P1-03',
      status: 'reached',
      recordedAt: '2025-03-01T00:00:00Z',
      measure: { unit: 'people_trained', quantity: -3 },
    }),
    status: 400,
    field: 'measure.quantity',
  },
  // Bodies that are not what they claim.
  {
    name: 'a body that is not JSON',
    adapter: 'justice',
    path: '/referrals',
    body: `{"referralNumber": ${CANARY}`,
    status: 400,
    field: 'body',
  },
  { name: 'a JSON array instead of a record', adapter: 'justice', path: '/referrals', body: '[]', status: 400, field: 'body' },
  {
    name: 'bytes that are not UTF-8',
    adapter: 'justice',
    path: '/referrals',
    body: Buffer.concat([Buffer.from('{"referralNumber":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
    status: 400,
    field: 'body',
  },
  { name: 'JSON nested 200 levels deep', adapter: 'justice', path: '/referrals', body: body(nested(200)), status: 400, field: 'body' },
  { name: 'an oversized JSON body', adapter: 'justice', path: '/referrals', body: withRef({ notes: 'x'.repeat(70 * 1024) }), status: 413 },
  {
    name: 'an oversized CSV upload',
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `${csvHeader}\n${`${csvRow()}\n`.repeat(40_000)}`,
    status: 413,
  },
  // Content types.
  {
    name: 'a text/plain body',
    adapter: 'justice',
    path: '/referrals',
    contentType: 'text/plain',
    body: withRef({}),
    status: 415,
    field: 'Content-Type',
  },
  {
    name: 'JSON declared in Latin-1',
    adapter: 'justice',
    path: '/referrals',
    contentType: 'application/json; charset=iso-8859-1',
    body: withRef({}),
    status: 415,
    field: 'Content-Type',
  },
  {
    name: 'a CSV upload sent as JSON',
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'application/json',
    body: `${csvHeader}\n${csvRow()}`,
    status: 415,
    field: 'Content-Type',
  },
  {
    name: 'a gzip body that inflates past the body limit (a zip bomb)',
    adapter: 'justice',
    path: '/referrals',
    headers: { 'content-encoding': 'gzip' },
    body: gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20)),
    status: 413,
  },
  {
    name: 'a gzip body that is not gzip',
    adapter: 'justice',
    path: '/referrals',
    headers: { 'content-encoding': 'gzip' },
    body: withRef({}),
    status: 400,
    field: 'body',
  },
  {
    name: 'a brotli-encoded body',
    adapter: 'justice',
    path: '/referrals',
    headers: { 'content-encoding': 'br' },
    body: brotliCompressSync(withRef({})),
    status: 415,
    field: 'Content-Encoding',
  },
  {
    name: 'a body in a made-up content coding',
    adapter: 'justice',
    path: '/referrals',
    headers: { 'content-encoding': 'x-made-up' },
    body: withRef({}),
    status: 415,
    field: 'Content-Encoding',
  },
  // CSV batches.
  {
    name: 'a CSV upload with an unclosed quote',
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `${csvHeader}\n${csvRow()}\n"VWAP-10,vwap,JP-10`,
    status: 400,
    field: 'row 3',
  },
  {
    name: 'a CSV row with more cells than the header',
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `${csvHeader}\n${csvRow()},${CANARY}`,
    status: 400,
    field: 'row 2',
  },
  {
    name: 'a CSV row with an unknown region among valid rows',
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `${csvHeader}\n${csvRow()}\n${csvRow({ referral_number: 'VWAP-10', region: CANARY })}`,
    status: 400,
    field: 'row 3, column region',
  },
  {
    name: 'a formula in a coded CSV column',
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `${csvHeader}\n${csvRow({ person_id: '@SUM(A1:A9)' })}`,
    status: 400,
    field: 'row 2, column person_id',
  },
  {
    name: 'a CSV upload missing a required column',
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `${csvHeader.replace(',region', '')}\n${csvRow().replace(',toronto', '')}`,
    status: 400,
    field: 'row 1, column region',
  },
  {
    name: 'a CSV upload with only its header',
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `${csvHeader}\n`,
    status: 400,
    field: 'body',
  },
  {
    name: 'a society export row of type referral without its child id',
    adapter: 'child-welfare',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: fixture('child-welfare', 'invalid/cas-export-bad-rows.csv'),
    status: 400,
    field: 'row 3, column child_id',
  },
  // Credentials.
  { name: 'no credential', adapter: 'justice', path: '/referrals', auth: 'none', body: withRef({}), status: 401 },
  { name: 'a wrong bearer token', adapter: 'justice', path: '/referrals', auth: 'wrong', body: withRef({}), status: 401 },
  {
    name: 'basic authentication instead of a bearer token',
    adapter: 'justice',
    path: '/referrals',
    auth: 'basic',
    body: withRef({}),
    status: 401,
  },
  {
    name: 'the health token presented to the justice adapter',
    adapter: 'justice',
    path: '/referrals',
    auth: 'other-ministry',
    body: withRef({}),
    status: 401,
  },
  {
    name: 'a malformed Idempotency-Key',
    adapter: 'justice',
    path: '/referrals',
    headers: { 'idempotency-key': 'x'.repeat(300) },
    body: withRef({}),
    status: 400,
    field: 'Idempotency-Key',
  },
  {
    name: 'a door the coordination office does not have',
    adapter: 'coordination-office',
    path: '/service-gaps',
    body: body({}),
    status: 404,
  },
];

describe('adapters refuse bad inputs with problem details and write nothing', () => {
  let harness: AdaptersFixture;

  beforeAll(async () => {
    harness = await startAdaptersFixture(stack, 'adapters_bad_inputs');
  });

  afterAll(async () => {
    await harness?.stop();
  });

  async function allCounts(): Promise<Record<string, RowCounts>> {
    return Object.fromEntries(
      await Promise.all(ADAPTER_NAMES.map(async (name) => [name, await countRows(harness.db, harness.adapters[name].schema)] as const)),
    );
  }

  it(`covers at least 30 kinds of bad input (${BAD_INPUTS.length})`, () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(BAD_INPUTS.map((input) => input.name)).size).toBe(BAD_INPUTS.length);
  });

  it.each(BAD_INPUTS)('answers $name with $status and problem details', async (input) => {
    const adapter = harness.adapters[input.adapter];
    // Asks for problem details: health answers a FHIR Content-Type with an OperationOutcome otherwise (fhir-native.int.spec.ts).
    const headers: Record<string, string> = {
      accept: 'application/problem+json',
      'content-type': input.contentType ?? 'application/json',
      ...input.headers,
    };
    const auth = input.auth ?? 'valid';
    if (auth === 'valid') headers['authorization'] = `Bearer ${adapter.token}`;
    if (auth === 'wrong') headers['authorization'] = `Bearer ${'w'.repeat(40)}`;
    if (auth === 'basic') headers['authorization'] = `Basic ${Buffer.from(`user:${adapter.token}`).toString('base64')}`;
    if (auth === 'other-ministry') headers['authorization'] = `Bearer ${harness.adapters.health.token}`;
    const before = await allCounts();

    const response = await fetch(`${adapter.url}${input.path}`, { method: 'POST', headers, body: input.body });
    const text = await response.text();

    expect(response.status, text).toBe(input.status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = JSON.parse(text) as {
      type: string;
      title: string;
      status: number;
      detail: string;
      errors?: { field: string; reason: string }[];
    };
    expect(problem).toMatchObject({
      status: input.status,
      // A reference to a page of the adapter (RFC 9457 section 3.1.1: relative, with the full path).
      type: expect.stringMatching(/^\/problems\/[a-z-]+$/),
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect((await fetch(new URL(problem.type, `${adapter.url}${input.path}`))).status, problem.type).toBe(200);
    if (input.field) expect(problem.errors?.map((e) => e.field)).toContain(input.field);
    expect(text).not.toContain(CANARY);
    expect(await allCounts()).toEqual(before);
  });
});
