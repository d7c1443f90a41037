import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { LogCapture, testAdapterConfig } from '@passerelle/adapter/testing';
import * as health from '@passerelle/adapter-health';
import type { FhirCapabilityStatement, FhirOperationOutcome } from '@passerelle/adapter-health';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { countRows, openDatabase, startAdapters, stopAdapters, type StartedAdapter } from './adapter-harness.ts';

const stack = inject('stack');
const fixtures = new URL('../../services/adapter-health/fixtures/', import.meta.url);
const FHIR_JSON = 'application/fhir+json';

/** FHIR R4 value sets the shapes are checked against (hl7.org/fhir/R4/valueset-*.html). */
const PUBLICATION_STATUS = ['draft', 'active', 'retired', 'unknown'];
const CAPABILITY_KIND = ['instance', 'capability', 'requirements'];
const TYPE_RESTFUL_INTERACTION = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
];
/** The FHIR R4 resource types this server may serve (all in hl7.org/fhir/R4/resourcelist.html). */
const R4_RESOURCE_TYPES_SERVED = ['ServiceRequest', 'Task', 'StructureDefinition', 'CodeSystem', 'ValueSet'];
const ISSUE_SEVERITY = ['fatal', 'error', 'warning', 'information'];
const ISSUE_TYPE = [
  'invalid',
  'structure',
  'required',
  'value',
  'invariant',
  'security',
  'login',
  'unknown',
  'expired',
  'forbidden',
  'suppressed',
  'processing',
  'not-supported',
  'duplicate',
  'multiple-matches',
  'not-found',
  'deleted',
  'too-long',
  'code-invalid',
  'extension',
  'too-costly',
  'business-rule',
  'conflict',
  'transient',
  'lock-error',
  'no-store',
  'exception',
  'timeout',
  'incomplete',
  'throttled',
  'informational',
];
const DATE_TIME =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;

/** OperationOutcome's required elements and bound codes (R4: issue 1..*, severity and code 1..1, required bindings). */
function expectOperationOutcome(body: unknown): asserts body is FhirOperationOutcome {
  const outcome = body as FhirOperationOutcome;
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue.length).toBeGreaterThan(0);
  for (const issue of outcome.issue) {
    expect(ISSUE_SEVERITY).toContain(issue.severity);
    expect(ISSUE_TYPE).toContain(issue.code);
    for (const expression of issue.expression ?? []) expect(expression).toMatch(/^[A-Z][A-Za-z]+(\.[A-Za-z][A-Za-z0-9]*(\[\d+\])?)*$/);
  }
}

let database: TestDatabase;
let adapter: StartedAdapter;
let db: ReturnType<typeof openDatabase>;

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'fhir_native');
  db = openDatabase(database.url);
  ({ health: adapter } = await startAdapters({ ...stack, databaseUrl: database.url }, ['health']));
});
afterAll(async () => {
  await stopAdapters({ health: adapter });
  await db?.destroy();
  await database?.drop();
});

const auth = () => ({ authorization: `Bearer ${adapter.token}` });
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${adapter.url}${path}`, { method: 'POST', headers: { ...auth(), 'content-type': FHIR_JSON, ...headers }, body });

describe('GET /fhir/metadata', () => {
  it('is a FHIR R4 CapabilityStatement, without a token, listing what the server really does', async () => {
    const response = await fetch(`${adapter.url}/fhir/metadata`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain(FHIR_JSON);
    const statement = (await response.json()) as FhirCapabilityStatement;

    expect(statement.resourceType).toBe('CapabilityStatement');
    expect(PUBLICATION_STATUS).toContain(statement.status);
    expect(statement.date).toMatch(DATE_TIME);
    expect(CAPABILITY_KIND).toContain(statement.kind);
    expect(statement.kind).toBe('instance');
    // cpb-2 (description, software or implementation) and cpb-15 (an instance has implementation).
    expect(statement.implementation?.description).toEqual(expect.any(String));
    expect(statement.fhirVersion).toBe('4.0.1');
    expect(statement.format).toEqual(['json']);
    const [rest, ...others] = statement.rest ?? [];
    expect(others).toEqual([]);
    expect(rest?.mode).toBe('server');
    expect(rest?.interaction).toEqual([{ code: 'transaction' }, { code: 'batch' }]);
    expect(rest?.security?.service?.[0]?.coding).toEqual([
      { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' },
    ]);
    const resources = rest?.resource ?? [];
    for (const resource of resources) {
      expect(R4_RESOURCE_TYPES_SERVED).toContain(resource.type);
      for (const interaction of resource.interaction ?? []) expect(TYPE_RESTFUL_INTERACTION).toContain(interaction.code);
      for (const operation of resource.operation ?? [])
        expect(operation).toEqual({ name: expect.any(String), definition: expect.any(String) });
    }

    // What it advertises is what express mounted: a create per POST /fhir/<Type>, an operation per $name, a read per GET by id.
    const mounted = adapter.running.routes.filter((route) => route.path.startsWith('/fhir/') && route.path !== '/fhir/metadata');
    const advertised = resources.flatMap((resource) => [
      ...(resource.interaction ?? []).map((i) => (i.code === 'create' ? `POST /fhir/${resource.type}` : `GET /fhir/${resource.type}/:id`)),
      ...(resource.operation ?? []).map((o) => `POST /fhir/${resource.type}/$${o.name}`),
    ]);
    expect(advertised.sort()).toEqual(mounted.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('is documented in a valid /openapi.json with every other route the adapter mounts', async () => {
    const document = (await (await fetch(`${adapter.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const mounted = adapter.running.routes.map((route) => `${route.method} ${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect([...new Set(mounted)].sort()).toEqual(documented.sort());
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
  });
});

const invalidFixtures = readdirSync(new URL('invalid/', fixtures)).map((file) => `invalid/${file}`);
const validFixtures = ['service-request-full.json', 'service-request-minimal.json', 'task-accepted.json', 'task-minimal.json'];
const typeOf = (text: string): string => (JSON.parse(text) as { resourceType: string }).resourceType;

describe('refusals to requests that ask for FHIR', () => {
  it.each(invalidFixtures)(
    '%s: 400 OperationOutcome with an expression per invalid element, the same status as problem details',
    async (file) => {
      const text = readFileSync(new URL(file, fixtures), 'utf8');
      const type = typeOf(text);
      const fhir = await post(`/fhir/${type}`, text);
      expect(fhir.status).toBe(400);
      expect(fhir.headers.get('content-type')).toContain(FHIR_JSON);
      const outcome = await fhir.json();
      expectOperationOutcome(outcome);
      expect(outcome.issue.every((issue) => issue.severity === 'error' && issue.code === 'invalid')).toBe(true);
      expect(outcome.issue.every((issue) => issue.expression?.[0]?.startsWith(`${type}.`))).toBe(true);

      const plain = await post(`/fhir/${type}`, text, { 'content-type': 'application/json' });
      expect(plain.status).toBe(400);
      expect(plain.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await plain.json()) as { errors: { field: string }[] };
      expect(outcome.issue.map((issue) => issue.expression?.[0])).toEqual(problem.errors.map((error) => `${type}.${error.field}`));
    },
  );

  it('answers 401, 403, 404, 409, 413 and 415 as OperationOutcome with their FHIR issue type, problem details otherwise', async () => {
    const task = readFileSync(new URL('task-accepted.json', fixtures), 'utf8');
    const other = (id: string) => JSON.stringify({ ...(JSON.parse(task) as object), id });
    // One Idempotency-Key, two bodies: the second is a conflict.
    const key = { 'idempotency-key': `fhir-native-${randomBytes(4).toString('hex')}` };
    // The Tasks' ServiceRequest first: a Task naming one this adapter never accepted is refused.
    expect((await post('/fhir/ServiceRequest', readFileSync(new URL('service-request-full.json', fixtures), 'utf8'))).status).toBe(202);
    expect((await post('/fhir/Task', other('task-idem-1'), key)).status).toBe(202);
    expect((await post('/fhir/Task', task)).status).toBe(202);
    const cases: { status: number; code: string; send: (fhir: Record<string, string>) => Promise<Response> }[] = [
      { status: 401, code: 'security', send: (h) => fetch(`${adapter.url}/fhir/Task`, { method: 'POST', headers: h, body: task }) },
      {
        status: 403,
        code: 'forbidden',
        send: (h) =>
          fetch(`${adapter.url}/initiative-milestones`, {
            method: 'POST',
            headers: { ...auth(), 'content-type': 'application/json', ...h },
            body: JSON.stringify({ initiativeId: 'S2016-P4-04', status: 'reached', recordedAt: '2025-02-28T00:00:00Z' }),
          }),
      },
      { status: 404, code: 'not-found', send: (h) => fetch(`${adapter.url}/fhir/Patient/p-1`, { headers: { ...auth(), ...h } }) },
      {
        status: 409,
        code: 'conflict',
        send: (h) => post('/fhir/Task', other('task-idem-2'), { 'content-type': 'application/json', ...key, ...h }),
      },
      {
        status: 413,
        code: 'too-long',
        send: (h) => post('/fhir/Task', JSON.stringify({ big: 'x'.repeat(70_000) }), { 'content-type': 'application/json', ...h }),
      },
      { status: 415, code: 'not-supported', send: (h) => post('/fhir/Task', task, { 'content-type': 'text/plain', ...h }) },
    ];
    for (const { status, code, send } of cases) {
      const fhir = await send({ accept: FHIR_JSON });
      expect(fhir.status, String(status)).toBe(status);
      expect(fhir.headers.get('content-type'), String(status)).toContain(FHIR_JSON);
      const outcome = await fhir.json();
      expectOperationOutcome(outcome);
      expect(
        outcome.issue.map((issue) => issue.code),
        String(status),
      ).toEqual(outcome.issue.map(() => code));

      const plain = await send({ accept: 'application/problem+json' });
      expect(plain.status, String(status)).toBe(status);
      expect(plain.headers.get('content-type'), String(status)).toContain('application/problem+json');
    }
  });

  it('refuses FHIR XML with 415 saying only JSON is supported', async () => {
    const response = await post('/fhir/ServiceRequest', '<ServiceRequest xmlns="http://hl7.org/fhir"/>', {
      'content-type': 'application/fhir+xml',
    });
    expect(response.status).toBe(415);
    const outcome = await response.json();
    expectOperationOutcome(outcome);
    expect(outcome.issue[0]).toMatchObject({ code: 'not-supported', diagnostics: expect.stringContaining('only') });
  });

  it('answers 429 as a throttled OperationOutcome once the rate limit is used up', async () => {
    const config = testAdapterConfig(
      { ...stack, databaseUrl: database.url },
      {
        databaseSchema: `fhir_rate_${randomBytes(3).toString('hex')}`,
        logLevel: 'silent',
        http: { rateLimitPerMinute: 1, requestTimeoutMs: 10_000 },
      },
    );
    const running = await health.start(config, { logDestination: new LogCapture(), flushMs: 500 });
    try {
      const send = () => fetch(`${running.url}/fhir/Task`, { method: 'POST', headers: { accept: FHIR_JSON }, body: '{}' });
      expect((await send()).status).toBe(401);
      const refused = await send();
      expect(refused.status).toBe(429);
      const outcome = await refused.json();
      expectOperationOutcome(outcome);
      expect(outcome.issue[0]?.code).toBe('throttled');
    } finally {
      await running.stop();
    }
  });
});

describe('$validate', () => {
  it.each([...validFixtures, ...invalidFixtures])('%s: agrees with POST and writes nothing', async (file) => {
    const text = readFileSync(new URL(file, fixtures), 'utf8');
    const type = typeOf(text);
    const before = await countRows(db, adapter.schema);
    const validation = await post(`/fhir/${type}/$validate`, text);
    expect(validation.status).toBe(200);
    expect(validation.headers.get('content-type')).toContain(FHIR_JSON);
    const outcome = await validation.json();
    expectOperationOutcome(outcome);
    expect(await countRows(db, adapter.schema)).toEqual(before);

    const accepted = await post(`/fhir/${type}`, text);
    const valid = !outcome.issue.some((issue) => issue.severity === 'error' || issue.severity === 'fatal');
    expect(valid).toBe(accepted.status === 202);
    if (valid) expect(outcome.issue).toEqual([expect.objectContaining({ severity: 'information', code: 'informational' })]);
    else {
      const refused = await accepted.json();
      expectOperationOutcome(refused);
      expect(outcome.issue.map((issue) => issue.expression)).toEqual(refused.issue.map((issue) => issue.expression));
    }
  });

  it('reads the resource from a Parameters resource too', async () => {
    const text = readFileSync(new URL('invalid/task-draft-without-focus.json', fixtures), 'utf8');
    const wrapped = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: JSON.parse(text) }] });
    const [direct, inParameters] = await Promise.all([post('/fhir/Task/$validate', text), post('/fhir/Task/$validate', wrapped)]);
    expect(await inParameters.json()).toEqual(await direct.json());
  });

  it('asks for a credential like POST', async () => {
    const response = await fetch(`${adapter.url}/fhir/Task/$validate`, {
      method: 'POST',
      headers: { 'content-type': FHIR_JSON },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expectOperationOutcome(await response.json());
  });
});

describe('the Passerelle extensions and code systems as FHIR resources', () => {
  it('serves each, without a token, at the path of its canonical URL', async () => {
    const statement = (await (await fetch(`${adapter.url}/fhir/metadata`)).json()) as FhirCapabilityStatement;
    const readable = (statement.rest?.[0]?.resource ?? []).filter((r) => r.interaction?.some((i) => i.code === 'read')).map((r) => r.type);
    expect(readable.sort()).toEqual(['CodeSystem', 'StructureDefinition', 'ValueSet']);
    const urls = [
      ...Object.values(health.FHIR_EXTENSIONS),
      ...Object.values(health.FHIR_CODE_SYSTEMS),
      ...Object.values(health.FHIR_CODE_SYSTEMS).map((url) => url.replace('/CodeSystem/', '/ValueSet/')),
    ];
    for (const url of urls) {
      const response = await fetch(`${adapter.url}${new URL(url).pathname}`);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toContain(FHIR_JSON);
      const resource = (await response.json()) as { resourceType: string; url: string; status: string };
      expect(resource.url, url).toBe(url);
      expect(url).toContain(`/fhir/${resource.resourceType}/`);
      expect(resource.status, url).toBe('active');
    }
  });

  it('answers an unknown id with 404, as an OperationOutcome to a FHIR client', async () => {
    const response = await fetch(`${adapter.url}/fhir/CodeSystem/no-such-system`, { headers: { accept: FHIR_JSON } });
    expect(response.status).toBe(404);
    const outcome = await response.json();
    expectOperationOutcome(outcome);
    expect(outcome.issue[0]?.code).toBe('not-found');
  });
});

describe('transaction and batch Bundles at POST /fhir', () => {
  const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8')) as Record<string, unknown>;
  const fresh = () => randomBytes(4).toString('hex');
  const uuid = () => randomUUID();

  it('accepts a transaction whole, a Task naming the ServiceRequest of the same Bundle by urn:uuid', async () => {
    const fullUrl = `urn:uuid:${uuid()}`;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl,
          resource: { ...fixture('service-request-full.json'), id: `sr-tx-${fresh()}` },
          request: { method: 'POST', url: 'ServiceRequest' },
        },
        {
          resource: { ...fixture('task-accepted.json'), id: `task-tx-${fresh()}`, focus: { reference: fullUrl } },
          request: { method: 'POST', url: 'Task' },
        },
      ],
    };
    const response = await post('/fhir', JSON.stringify(bundle));
    const answer = (await response.json()) as { events: { eventType: string; referralId: string; row: number }[] };
    expect(response.status, JSON.stringify(answer)).toBe(202);
    expect(answer.events.map((event) => [event.eventType, event.row])).toEqual([
      ['ReferralCreated', 0],
      ['ReferralStatusChanged', 1],
    ]);
    expect(answer.events[1]?.referralId).toBe(answer.events[0]?.referralId);
  });

  it('writes nothing of a transaction with one bad entry, naming the entry’s elements', async () => {
    const before = await countRows(db, adapter.schema);
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { ...fixture('service-request-minimal.json'), id: `sr-tx-${fresh()}` },
          request: { method: 'POST', url: 'ServiceRequest' },
        },
        { resource: fixture('invalid/task-draft-without-focus.json'), request: { method: 'POST', url: 'Task' } },
      ],
    };
    const response = await post('/fhir', JSON.stringify(bundle));
    expect(response.status).toBe(400);
    const outcome = await response.json();
    expectOperationOutcome(outcome);
    expect(outcome.issue.map((issue) => issue.expression?.[0])).toEqual([
      'Bundle.entry[1].resource.status',
      'Bundle.entry[1].resource.focus',
    ]);
    expect(await countRows(db, adapter.schema)).toEqual(before);
  });

  it('answers a batch entry by entry: the valid one accepted, the bad one refused with its OperationOutcome', async () => {
    const before = await countRows(db, adapter.schema);
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          resource: { ...fixture('service-request-minimal.json'), id: `sr-batch-${fresh()}` },
          request: { method: 'POST', url: 'ServiceRequest' },
        },
        { resource: fixture('invalid/task-draft-without-focus.json'), request: { method: 'POST', url: 'Task' } },
      ],
    };
    const response = await post('/fhir', JSON.stringify(bundle));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain(FHIR_JSON);
    const answer = (await response.json()) as {
      resourceType: string;
      type: string;
      entry: { response: { status: string; outcome: unknown } }[];
    };
    expect(answer).toMatchObject({ resourceType: 'Bundle', type: 'batch-response' });
    expect(answer.entry.map((entry) => entry.response.status)).toEqual(['202 Accepted', '400 Invalid request']);
    for (const entry of answer.entry) expectOperationOutcome(entry.response.outcome);
    const after = await countRows(db, adapter.schema);
    expect(after.outbox).toBe(before.outbox + 1);
  });

  it('answers a transaction that names one record twice, or conflicts with an accepted one, without a 5xx and writes nothing', async () => {
    const request = { ...fixture('service-request-minimal.json'), id: `sr-tx-${fresh()}` };
    const twice = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: request, request: { method: 'POST', url: 'ServiceRequest' } },
        { resource: { ...request, priority: 'stat' }, request: { method: 'POST', url: 'ServiceRequest' } },
      ],
    };
    const before = await countRows(db, adapter.schema);
    const response = await post('/fhir', JSON.stringify(twice));
    expect(response.status).toBe(409);
    expectOperationOutcome(await response.json());
    expect(await countRows(db, adapter.schema)).toEqual(before);
  });

  it('refuses a Bundle that is neither a transaction nor a batch, or whose entry is not a create of its resource type', async () => {
    const task = fixture('task-minimal.json');
    for (const bundle of [
      { resourceType: 'Bundle', type: 'collection', entry: [{ resource: task, request: { method: 'POST', url: 'Task' } }] },
      { resourceType: 'Bundle', type: 'batch', entry: [{ resource: task, request: { method: 'PUT', url: 'Task' } }] },
      { resourceType: 'Bundle', type: 'batch', entry: [{ resource: task, request: { method: 'POST', url: 'ServiceRequest' } }] },
    ]) {
      const response = await post('/fhir', JSON.stringify(bundle));
      expect(response.status, JSON.stringify(bundle)).toBe(400);
      expectOperationOutcome(await response.json());
    }
  });
});
