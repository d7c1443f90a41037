import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { post } from '@passerelle/adapter/testing';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createTestDatabase, freePort, kafkaEnvFor, waitFor, type TestDatabase } from '@passerelle/testing';
import { personalCanary } from '../support/personal-canary.ts';
import { startService, type ServiceProcess } from './service-processes.ts';
import { describeTrace, readTrace, type ZipkinSpan } from './zipkin-trace.ts';

const stack = inject('stack');
const canary = personalCanary();

interface LogLine {
  readonly msg?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly topic?: string;
  readonly fields?: readonly string[];
  readonly status?: number;
}

/** The JSON lines a service wrote (its other output, such as tsx's, left out). */
function logLines(service: ServiceProcess): LogLine[] {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

interface RemoteSpan extends ZipkinSpan {
  readonly remoteEndpoint?: { readonly serviceName?: string; readonly ipv4?: string; readonly port?: number };
}

interface DependencyLink {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
}

const [brokerHost, brokerPort] = (stack.kafkaBrokers[0] as string).split(':') as [string, string];

describe('logs, traces and the dependency graph tell one story', () => {
  let database: TestDatabase;
  let adapter: ServiceProcess;
  let projector: ServiceProcess;
  const token = randomBytes(24).toString('hex');
  const began = Date.now();
  const traced = () => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') });

  beforeAll(async () => {
    database = await createTestDatabase(stack.databaseUrl, 'log_correlation_e2e');
    const otel = { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${stack.zipkinUrl}/api/v2/spans` };
    const [adapterPort, projectorPort] = await Promise.all([freePort(), freePort()]);
    projector = await startService('projector', projectorPort as number, {
      ...otel,
      ...kafkaEnvFor(stack, 'projector'),
      LOG_LEVEL: 'debug',
      DATABASE_URL: database.url,
      PASSERELLE_REGISTRY_URL: stack.registryUrl,
      PASSERELLE_RECORD_KEY_SECRET: 'test-only-record-key-secret-for-the-log-correlation-e2e',
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
      PASSERELLE_CONSUMER_GROUP: `passerelle-projector-logs-${randomBytes(4).toString('hex')}`,
      PASSERELLE_TOPIC_PATTERN: '^justice\\.referrals\\.v1$',
    });
    adapter = await startService('adapter-justice', adapterPort as number, {
      ...otel,
      ...kafkaEnvFor(stack, 'justice'),
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      PASSERELLE_REGISTRY_URL: stack.registryUrl,
      PASSERELLE_MINISTRY_TOKEN: token,
      PASSERELLE_PSEUDONYM_KEY: randomBytes(24).toString('hex'),
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
    });
  }, 240_000);

  afterAll(async () => {
    await adapter?.stop();
    await projector?.stop();
    await database?.drop();
  });

  const referral = (region: string) => ({
    referralNumber: canary.referralNumber,
    program: 'vwap',
    caseNumber: canary.caseNumber,
    victim: { personId: canary.justicePersonId, firstName: canary.givenName, lastName: canary.familyName, dateOfBirth: canary.birthDate },
    referredTo: { serviceType: 'childrens_aid_society', ministry: 'child_welfare' },
    supportNeeded: 'housing',
    region,
    urgency: 'urgent',
    consent: 'standard',
    referredAt: new Date().toISOString(),
    notes: canary.note,
  });

  let trace: { traceId: string; spans: RemoteSpan[] };

  it('a log line of a traced request carries the trace id and a span id of the trace Zipkin stores', async () => {
    const caller = traced();
    const answer = await post(adapter.url, '/referrals', referral('north_west'), {
      token,
      headers: { traceparent: `00-${caller.traceId}-${caller.spanId}-01` },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);

    const spans = (await readTrace(stack.zipkinUrl, caller.traceId, (found) =>
      found.some((s) => s.kind === 'CONSUMER' && s.localEndpoint?.serviceName === 'projector'),
    )) as RemoteSpan[];
    trace = { traceId: caller.traceId, spans };
    const accepted = logLines(adapter).find((line) => line.msg === 'records accepted' && line.traceId === caller.traceId);
    const request = logLines(adapter).find((line) => line.msg === 'request' && line.traceId === caller.traceId);

    expect(accepted, adapter.output().slice(-3_000)).toBeDefined();
    expect(request).toBeDefined();
    expect(
      spans.map((s) => s.id),
      describeTrace(spans),
    ).toEqual(expect.arrayContaining([accepted?.spanId, request?.spanId]));
  });

  it('a log line written while the projector handles a batch carries the trace of that batch’s span in Zipkin', async () => {
    const line = await waitFor(
      'a chunk applied on justice.referrals.v1',
      async () => logLines(projector).find((l) => l.msg === 'chunk applied' && l.topic === 'justice.referrals.v1' && l.traceId),
      60_000,
    );

    const spans = await readTrace(stack.zipkinUrl, line.traceId as string, (found) => found.some((s) => s.id === line.spanId));

    const batch = spans.find((s) => s.id === line.spanId);
    expect(batch, describeTrace(spans)).toMatchObject({ kind: 'CONSUMER', name: 'process justice.referrals.v1' });
    expect(batch?.localEndpoint?.serviceName).toBe('projector');
  });

  it('the Kafka spans of the referral name the broker as their remote endpoint', () => {
    const publish = trace.spans.find((s) => s.kind === 'PRODUCER' && s.localEndpoint?.serviceName === 'adapter-justice');
    const apply = trace.spans.find((s) => s.kind === 'CONSUMER' && s.localEndpoint?.serviceName === 'projector');
    const broker = {
      serviceName: 'kafka',
      ...(/^\d+\.\d+\.\d+\.\d+$/.test(brokerHost) ? { ipv4: brokerHost } : {}),
      port: Number(brokerPort),
    };

    expect(publish?.remoteEndpoint, describeTrace(trace.spans)).toEqual(broker);
    expect(apply?.remoteEndpoint).toEqual(broker);
  });

  it('Zipkin’s dependency graph shows the justice adapter → kafka → projector after a referral flowed', async () => {
    const links = await waitFor(
      'both links',
      async () => {
        const now = Date.now();
        const response = await fetch(`${stack.zipkinUrl}/api/v2/dependencies?endTs=${now}&lookback=${now - began + 60_000}`);
        const found = (await response.json()) as DependencyLink[];
        const wanted = [
          found.find((l) => l.parent === 'adapter-justice' && l.child === 'kafka'),
          found.find((l) => l.parent === 'kafka' && l.child === 'projector'),
        ];
        return wanted.every(Boolean) ? wanted : undefined;
      },
      30_000,
    );

    for (const link of links) expect(link?.callCount).toBeGreaterThanOrEqual(1);
  });

  it('a refused request logs the names of the fields that failed, under its trace, never their values', async () => {
    const caller = traced();
    const region = `atlantis-${randomBytes(3).toString('hex')}`;
    const answer = await post(adapter.url, '/referrals', referral(region), {
      token,
      headers: { traceparent: `00-${caller.traceId}-${caller.spanId}-01` },
    });
    expect(answer.status).toBe(400);

    const refused = await waitFor(
      'the refusal in the log',
      async () => logLines(adapter).find((line) => line.msg === 'request refused' && line.traceId === caller.traceId),
      10_000,
    );

    expect(refused.status).toBe(400);
    expect(
      refused.fields?.some((field) => field.includes('region')),
      JSON.stringify(refused),
    ).toBe(true);
    expect(refused.spanId).toMatch(/^[0-9a-f]{16}$/);
    const output = adapter.output() + projector.output();
    expect(output).not.toContain(region);
    for (const [what, value] of Object.entries(canary)) expect(output, what).not.toContain(value);
  });
});
