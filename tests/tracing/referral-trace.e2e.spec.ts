import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { post } from '@passerelle/adapter/testing';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createTestDatabase, freePort, kafkaEnvFor, waitFor, type TestDatabase } from '@passerelle/testing';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, mintDevToken } from '@passerelle/view-api';
import { personalCanary } from '../support/personal-canary.ts';
import { startService, type ServiceProcess } from './service-processes.ts';
import { ancestorsOf, describeTrace, queryText, readTrace, type ZipkinSpan } from './zipkin-trace.ts';

/** How long the view and the flow may take to show a referral posted through the whole stack. */
const WAIT_MS = 90_000;

const stack = inject('stack');
const canary = personalCanary();

interface Hop {
  readonly eventId: string;
  readonly eventType: string;
  readonly ministry: string;
  readonly acceptedAt: string | null;
  readonly publishedAt: string | null;
  readonly receivedByViewAt: string;
  readonly pipeline: { acceptedToPublishedMs: number | null; publishedToAppliedMs: number | null; acceptedToAppliedMs: number | null };
  readonly traceId: string | null;
  readonly traceUrl: string | null;
}

/**
 * The ministry's own system, as a traced HTTP client: its CLIENT span is the root of the
 * trace the adapter continues, as it would be for a ministry that runs OpenTelemetry.
 */
function ministrySystem(serviceName: string) {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: new ZipkinExporter({ url: `${stack.zipkinUrl}/api/v2/spans` }) })],
  });
  const tracer = provider.getTracer('tests/tracing');
  return {
    async post(baseUrl: string, path: string, body: unknown, token: string) {
      const span = tracer.startSpan(`POST ${path}`, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST' } });
      const { traceId, spanId } = span.spanContext();
      try {
        const answer = await post(baseUrl, path, body, { token, headers: { traceparent: `00-${traceId}-${spanId}-01` } });
        span.setAttribute('http.response.status_code', answer.status);
        return { ...answer, traceId, spanId };
      } finally {
        span.end();
      }
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The chain the issue asks for, found in one trace: server → outbox insert, server → publish → apply → SQL. */
/** Each of `spans` descends from the adapter's request span: one trace from the ministry's request on. */
function expectUnderTheRequest(
  all: readonly ZipkinSpan[],
  server: ZipkinSpan | undefined,
  spans: readonly (ZipkinSpan | undefined)[],
  shown: string,
): void {
  for (const span of spans)
    expect(
      ancestorsOf(all, span).map((s) => s.id),
      shown,
    ).toContain(server?.id);
}

function hopsOf(spans: readonly ZipkinSpan[], adapter: string) {
  const server = spans.find((s) => s.kind === 'SERVER' && s.localEndpoint?.serviceName === adapter);
  const outboxInsert = spans.find(
    (s) => s.localEndpoint?.serviceName === adapter && /^insert into\s+("?[a-z_]+"?\.)?"outbox"/i.test(queryText(s)),
  );
  const publish = spans.find((s) => s.kind === 'PRODUCER' && s.localEndpoint?.serviceName === adapter);
  const apply = spans.find((s) => s.kind === 'CONSUMER' && s.localEndpoint?.serviceName === 'projector' && s.parentId === publish?.id);
  const viewInsert = spans.find(
    (s) =>
      s.localEndpoint?.serviceName === 'projector' &&
      s.parentId === apply?.id &&
      /insert into\s+"?view"?\."?referral_history"?/i.test(queryText(s)),
  );
  return { server, outboxInsert, publish, apply, viewInsert };
}

const complete = (adapter: string) => (spans: readonly ZipkinSpan[]) => hopsOf(spans, adapter).viewInsert !== undefined;

describe('one referral, followed through its traces', () => {
  let database: TestDatabase;
  const services: ServiceProcess[] = [];
  const justiceSystem = ministrySystem('justice-case-management');
  const childWelfareSystem = ministrySystem('child-welfare-case-system');
  const tokens = { justice: randomBytes(24).toString('hex'), childWelfare: randomBytes(24).toString('hex') };
  const jwtSecret = randomBytes(24).toString('hex');
  let adapters: { justice: ServiceProcess; childWelfare: ServiceProcess };
  let viewApi: ServiceProcess;
  let bearer: string;
  let referralId: string;
  const messageKeys = new Set<string>();
  let created: { traceId: string; spans: ZipkinSpan[] };
  let accepted: { traceId: string; spans: ZipkinSpan[] };

  beforeAll(async () => {
    database = await createTestDatabase(stack.databaseUrl, 'tracing_e2e');
    const otel = { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${stack.zipkinUrl}/api/v2/spans` };
    const adapterEnv = (principal: 'justice' | 'child-welfare', token: string) => ({
      ...otel,
      ...kafkaEnvFor(stack, principal),
      DATABASE_URL: database.url,
      PASSERELLE_REGISTRY_URL: stack.registryUrl,
      PASSERELLE_MINISTRY_TOKEN: token,
      PASSERELLE_PSEUDONYM_KEY: randomBytes(24).toString('hex'),
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
    });
    const [justicePort, childWelfarePort, projectorPort, viewApiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    // The projector first: it creates the view schema the view API reads. Its own consumer group
    // reads the two referral topics from the start; this spec looks only at its own referral.
    const projector = await startService('projector', projectorPort as number, {
      ...otel,
      ...kafkaEnvFor(stack, 'projector'),
      DATABASE_URL: database.url,
      PASSERELLE_REGISTRY_URL: stack.registryUrl,
      PASSERELLE_RECORD_KEY_SECRET: 'test-only-record-key-secret-for-the-tracing-e2e-0001',
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
      PASSERELLE_CONSUMER_GROUP: `passerelle-projector-tracing-${randomBytes(4).toString('hex')}`,
      PASSERELLE_TOPIC_PATTERN: '^(justice|child-welfare)\\.referrals\\.v1$',
    });
    services.push(projector);
    const started = await Promise.all([
      startService('adapter-justice', justicePort as number, adapterEnv('justice', tokens.justice)),
      startService('adapter-child-welfare', childWelfarePort as number, adapterEnv('child-welfare', tokens.childWelfare)),
      startService('view-api', viewApiPort as number, {
        ...otel,
        DATABASE_URL: database.url,
        PASSERELLE_JWT_SECRET: jwtSecret,
        PASSERELLE_AUDIT_HMAC_KEY: randomBytes(32).toString('hex'),
        PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
        PASSERELLE_TRACE_UI_URL: `${stack.zipkinUrl}/zipkin/traces/`,
      }),
    ]);
    services.push(...started);
    const [justice, childWelfare, view] = started as [ServiceProcess, ServiceProcess, ServiceProcess];
    adapters = { justice, childWelfare };
    viewApi = view;
    bearer = await mintDevToken({ secret: jwtSecret, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, role: 'coordination-office' });
  }, 240_000);

  afterAll(async () => {
    for (const service of services.reverse()) await service.stop();
    await justiceSystem.shutdown();
    await childWelfareSystem.shutdown();
    await database?.drop();
  });

  const flowOf = async (): Promise<Hop[] | undefined> => {
    const response = await fetch(`${viewApi.url}/v1/referrals/${referralId}/flow`, { headers: { authorization: `Bearer ${bearer}` } });
    if (response.status !== 200) return undefined;
    return ((await response.json()) as { hops: Hop[] }).hops;
  };

  it('a referral posted to the justice adapter is one trace from the ministry system through the outbox, the publish and the projector to the view', async () => {
    const posted = Date.now();
    const answer = await justiceSystem.post(
      adapters.justice.url,
      '/referrals',
      {
        referralNumber: canary.referralNumber,
        program: 'vwap',
        caseNumber: canary.caseNumber,
        victim: {
          personId: canary.justicePersonId,
          firstName: canary.givenName,
          lastName: canary.familyName,
          dateOfBirth: canary.birthDate,
          address: { line: canary.address, city: 'Thunder Bay' },
        },
        referredTo: { serviceType: 'childrens_aid_society', ministry: 'child_welfare' },
        supportNeeded: 'housing',
        region: 'north_west',
        urgency: 'urgent',
        consent: 'standard',
        referredAt: new Date().toISOString(),
        notes: canary.note,
      },
      tokens.justice,
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const events = answer.body['events'] as { eventId: string; key: string }[];
    referralId = (events[0] as { key: string }).key;
    for (const event of events) messageKeys.add(event.key);

    // The view shows the referral, and its flow names the trace of the request that created it.
    await waitFor(
      'the referral in the view',
      async () => {
        const response = await fetch(`${viewApi.url}/v1/referrals/${referralId}`, { headers: { authorization: `Bearer ${bearer}` } });
        return response.status === 200 ? true : undefined;
      },
      WAIT_MS,
    );
    const hops = await waitFor('the flow', flowOf, WAIT_MS);
    expect(hops.map((h) => h.eventType)).toEqual(['ReferralCreated']);
    const hop = hops[0] as Hop;
    expect(hop.traceId).toBe(answer.traceId);
    expect(hop.traceUrl).toBe(`${stack.zipkinUrl}/zipkin/traces/${answer.traceId}`);
    // The pipeline's own hops, as the adapter, Kafka and the projector timed them: in order, during this test.
    const times = [hop.acceptedAt, hop.publishedAt, hop.receivedByViewAt].map((at) => Date.parse(at ?? ''));
    expect(
      times.every((at) => at >= posted - 1_000 && at <= Date.now()),
      JSON.stringify(hop),
    ).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(hop.pipeline.acceptedToAppliedMs).toBe((times[2] ?? 0) - (times[0] ?? 0));

    const spans = await readTrace(stack.zipkinUrl, hop.traceId as string, complete('adapter-justice'));
    created = { traceId: hop.traceId as string, spans };
    const { server, outboxInsert, publish, apply, viewInsert } = hopsOf(spans, 'adapter-justice');
    const shown = describeTrace(spans);

    expect(spans.every((s) => s.traceId === hop.traceId)).toBe(true);
    expect(server?.parentId, shown).toBe(answer.spanId);
    expectUnderTheRequest(spans, server, [outboxInsert, publish], shown);
    expect((outboxInsert?.timestamp ?? Infinity) <= (publish?.timestamp ?? 0), shown).toBe(true);
    expect(apply?.parentId, shown).toBe(publish?.id);
    expect(viewInsert?.parentId, shown).toBe(apply?.id);
    expect(new Set(spans.map((s) => s.localEndpoint?.serviceName))).toEqual(
      new Set(['justice-case-management', 'adapter-justice', 'projector']),
    );
    // Messaging attributes after the OpenTelemetry conventions, on both sides of the topic.
    expect(publish?.tags).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'justice.referrals.v1',
      'messaging.operation.type': 'send',
    });
    expect(apply?.tags).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'justice.referrals.v1',
      'messaging.operation.type': 'process',
      'passerelle.projector.outcome': 'applied',
    });
    expect(apply?.tags?.['messaging.consumer.group.name']).toMatch(/^passerelle-projector-tracing-/);
    expect(apply?.tags?.['messaging.destination.partition.id']).toMatch(/^\d+$/);
    expect(apply?.tags?.['messaging.kafka.offset']).toMatch(/^\d+$/);
    expect(server?.tags).toMatchObject({ 'passerelle.ministry': 'JUSTICE', 'deployment.environment.name': 'development' });
  });

  it('a status change posted by the child welfare adapter is a second trace reachable from the same flow', async () => {
    const answer = await childWelfareSystem.post(
      adapters.childWelfare.url,
      '/referrals/status-changes',
      { referralId, status: 'accepted', changedAt: new Date().toISOString(), notes: canary.statusNote },
      tokens.childWelfare,
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    for (const event of answer.body['events'] as { key: string }[]) messageKeys.add(event.key);

    const hops = await waitFor(
      'the status change in the flow',
      async () => {
        const found = await flowOf();
        return found && found.length >= 2 ? found : undefined;
      },
      WAIT_MS,
    );
    expect(hops.map((h) => [h.eventType, h.ministry])).toEqual([
      ['ReferralCreated', 'JUSTICE'],
      ['ReferralStatusChanged', 'CHILD_WELFARE'],
    ]);
    const second = hops[1] as Hop;
    expect(second.traceId).toBe(answer.traceId);
    expect(second.traceId).not.toBe(created.traceId);
    expect(second.traceUrl).toBe(`${stack.zipkinUrl}/zipkin/traces/${answer.traceId}`);

    const spans = await readTrace(stack.zipkinUrl, second.traceId as string, complete('adapter-child-welfare'));
    accepted = { traceId: second.traceId as string, spans };
    const { server, outboxInsert, publish, apply, viewInsert } = hopsOf(spans, 'adapter-child-welfare');
    const shown = describeTrace(spans);

    expect(server?.parentId, shown).toBe(answer.spanId);
    expectUnderTheRequest(spans, server, [outboxInsert, publish], shown);
    expect(apply?.parentId, shown).toBe(publish?.id);
    expect(viewInsert?.parentId, shown).toBe(apply?.id);
    expect(publish?.tags?.['messaging.destination.name']).toBe('child-welfare.referrals.v1');
    expect(new Set(spans.map((s) => s.localEndpoint?.serviceName))).toEqual(
      new Set(['child-welfare-case-system', 'adapter-child-welfare', 'projector']),
    );
  });

  it('no exported span of either trace carries a personal value the ministries sent, or a Kafka message key', () => {
    const traces = [created, accepted];
    const everything = JSON.stringify(
      traces.flatMap((t) => t.spans.map((s) => ({ name: s.name, tags: s.tags, annotations: s.annotations }))),
    );

    expect(traces.every((t) => t.spans.length >= 8)).toBe(true);
    expect(messageKeys).toEqual(new Set([referralId]));
    for (const [what, value] of Object.entries(canary)) expect(everything, what).not.toContain(value);
    for (const key of messageKeys) expect(everything, 'message key').not.toContain(key);
    // SQL is recorded with its placeholders, never with the values bound to them.
    const statements = traces.flatMap((t) => t.spans.map(queryText)).filter((text) => /^insert/i.test(text));
    expect(statements.length).toBeGreaterThanOrEqual(4);
    for (const statement of statements) expect(statement).toMatch(/\$1/);
  });
});
