import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Knex } from 'knex';
import { post } from '@passerelle/adapter/testing';
import {
  NO_POPULATION_FLAGS,
  SEALED_PSEUDONYM_PLACEHOLDER,
  openSubject,
  type DecodedEvent,
  type SealedSubject,
} from '@passerelle/contracts';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { readDataKeys } from '@passerelle/db';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import {
  ADAPTER_NAMES,
  consumeEventIds,
  decodeAll,
  eventIdsOf,
  openDatabase,
  startAdapters,
  stopAdapters,
  type AdapterName,
  type ConsumedMessage,
  type StartedAdapter,
} from './adapter-harness.ts';
import { personalCanary } from '../support/personal-canary.ts';

const stack = inject('stack');
type ReferralCreated = Extract<DecodedEvent, { type: 'ReferralCreated' }>['payload'];
const canary = personalCanary();

function spansText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
      links: s.links,
      resource: s.resource.attributes,
    })),
  );
}

describe('personal values never leave an adapter', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  let database: TestDatabase;
  let db: Knex;
  let adapters: Record<AdapterName, StartedAdapter>;
  let messages: ConsumedMessage[] = [];
  let answers: { status: number; text: string }[] = [];
  /** The referrals as published, and their subjects opened with the key store's data keys. */
  let referrals: { payload: ReferralCreated; value: Buffer; subjectPseudonym: string }[] = [];

  beforeAll(async () => {
    // Registered before the adapters start, so the acceptance spans and the relay's producer spans are recorded.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    database = await createTestDatabase(stack.databaseUrl, 'adapters_canary');
    db = openDatabase(database.url);
    adapters = await startAdapters({ ...stack, databaseUrl: database.url });

    const send = async (name: AdapterName, path: string, body: unknown, contentType = 'application/json') => {
      const answer = await post(adapters[name].url, path, body, { token: adapters[name].token, contentType });
      return { ...answer, text: JSON.stringify(answer.body) };
    };
    const hcnSystem = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-on-patient-hcn';
    const sent = [
      await send('justice', '/referrals', {
        referralNumber: 'VWAP-CANARY-1',
        program: 'vwap',
        caseNumber: canary.caseNumber,
        victim: {
          personId: canary.justicePersonId,
          firstName: canary.givenName,
          lastName: canary.familyName,
          dateOfBirth: canary.birthDate,
          address: { line: canary.address, city: 'Thunder Bay' },
          phone: '807-555-0199',
        },
        referredTo: { serviceType: 'community_agency' },
        supportNeeded: 'housing',
        region: 'north_west',
        urgency: 'urgent',
        consent: 'standard',
        referredAt: '2025-03-03T10:00:00-05:00',
        notes: canary.note,
      }),
      await send(
        'justice',
        '/referrals/batch',
        `referral_number,program,person_id,last_name,first_name,date_of_birth,address,case_number,receiving_service_type,support_needed,region,urgency,consent,referred_at,notes\n` +
          `VWAP-CANARY-2,vwap,${canary.justicePersonId}-B,${canary.familyName},${canary.givenName},${canary.birthDate},"${canary.address}",${canary.caseNumber},community_agency,counselling,toronto,routine,standard,2025-03-04,${canary.note}\n`,
        'text/csv',
      ),
      await send('child-welfare', '/referrals', {
        agencyCode: 'CASTB',
        casReference: 'CASTB-CANARY-1',
        child: {
          childId: canary.childId,
          givenName: canary.givenName,
          familyName: canary.familyName,
          birthDate: canary.birthDate,
          address: canary.address,
        },
        legalStatus: 'in_care',
        serviceRequested: 'trauma_counselling',
        receivingServiceType: 'health_provider',
        region: 'west',
        responseTime: '12_hours',
        consentScope: 'standard',
        referralDate: '2025-03-02',
        workerNotes: canary.note,
      }),
      await send(
        'health',
        '/fhir/ServiceRequest',
        {
          resourceType: 'ServiceRequest',
          id: 'sr-canary-1',
          text: {
            status: 'generated',
            div: `<div>${canary.givenName} ${canary.familyName}, born ${canary.birthDate}, ${canary.address}</div>`,
          },
          status: 'active',
          intent: 'order',
          subject: {
            reference: 'Patient/p-canary',
            identifier: { system: hcnSystem, value: canary.healthCard },
            display: `${canary.givenName} ${canary.familyName}`,
          },
          requester: { display: canary.familyName },
          note: [{ text: canary.note }],
          extension: [{ url: 'https://passerelle.ontario.example/fhir/StructureDefinition/service-region', valueCode: 'toronto' }],
        },
        'application/fhir+json',
      ),
      await send(
        'health',
        '/fhir/Task',
        {
          resourceType: 'Task',
          id: 'task-canary-1',
          status: 'accepted',
          intent: 'order',
          focus: { reference: 'ServiceRequest/sr-canary-1', display: canary.familyName },
          lastModified: '2025-03-05T10:00:00Z',
          note: [{ text: canary.note }],
        },
        'application/fhir+json',
      ),
      await send('education', '/referrals', {
        boardNumber: 'B66052',
        boardReferralId: 'TDSB-CANARY-1',
        student: {
          oen: canary.oen,
          legalFirstName: canary.givenName,
          legalLastName: canary.familyName,
          dateOfBirth: canary.birthDate,
          homeAddress: canary.address,
        },
        referredTo: { serviceType: 'childrens_aid_society', ministry: 'child_welfare' },
        supportNeeded: 'child_protection',
        region: 'toronto',
        urgency: 'urgent',
        consent: 'standard',
        referredOn: '2025-03-05T12:00:00Z',
        staffNotes: canary.note,
      }),
      await send('education', '/service-gaps', {
        gapReference: 'EDU-GAP-CANARY',
        observedAt: '2025-03-01T00:00:00Z',
        region: 'toronto',
        serviceCategory: 'housing',
        severity: 'moderate',
        gapCode: 'waitlist_too_long',
        description: `${canary.familyName} waited 9 weeks`,
      }),
      await send('coordination-office', '/initiative-milestones', {
        initiativeId: 'S2016-P3-02',
        status: 'started',
        recordedAt: '2025-03-01T00:00:00Z',
        notes: canary.note,
      }),
    ];
    // Refused records carrying the same values: neither the answers nor the logs may quote them.
    const refused = [
      await send('justice', '/referrals', {
        referralNumber: canary.caseNumber,
        program: canary.familyName,
        victim: { personId: 1, firstName: canary.givenName, dateOfBirth: canary.address },
      }),
      await send(
        'health',
        '/fhir/ServiceRequest',
        {
          resourceType: 'ServiceRequest',
          id: 'sr-canary-2',
          status: 'active',
          intent: 'order',
          subject: { identifier: { system: hcnSystem, value: `${canary.healthCard}X` } },
        },
        'application/fhir+json',
      ),
      await send('justice', '/referrals', `{"referralNumber": "${canary.familyName}`),
    ];
    answers = [...sent, ...refused];
    for (const answer of sent) expect(answer.status, answer.text).toBe(202);
    for (const answer of refused) expect(answer.status).toBe(400);
    const ids = new Set(sent.flatMap((answer) => eventIdsOf(answer.body)));
    messages = await consumeEventIds(
      stack,
      [
        'justice.referrals.v1',
        'child-welfare.referrals.v1',
        'health.referrals.v1',
        'education.referrals.v1',
        'education.service-gaps.v1',
        'coordination-office.initiative-milestones.v1',
      ],
      ids,
    );
    expect(new Set(messages.map((m) => m.eventId))).toEqual(ids);

    const decoded = await decodeAll(stack.registryUrl, messages);
    const created = decoded.flatMap((event, i) =>
      event.type === 'ReferralCreated' ? [{ payload: event.payload, value: messages[i]?.value ?? Buffer.alloc(0) }] : [],
    );
    const keys = new Map(
      await readDataKeys(
        db,
        testKeyEncryptionKey(),
        created.map((c) => c.payload.referralId),
      ),
    );
    referrals = created.map(({ payload, value }) => {
      const key = keys.get(payload.referralId);
      if (key?.state !== 'live' || payload.sealedSubject === null) return { payload, value, subjectPseudonym: '' };
      return {
        payload,
        value,
        subjectPseudonym: openSubject(payload.referralId, key.key, payload.sealedSubject as SealedSubject).subjectPseudonym,
      };
    });
  });

  afterAll(async () => {
    await stopAdapters(adapters ?? {});
    await db?.destroy();
    await database?.drop();
    await provider.shutdown();
  });

  // The planted values, and once the subjects are opened, the pseudonyms they travel sealed as.
  const everything = (): [string, string][] => [
    ...Object.entries(canary),
    ...referrals.map((r, i): [string, string] => [`pseudonym of referral ${i}`, r.subjectPseudonym]),
  ];

  it('publishes every referral with placeholders and its subject sealed under its own data key, which opens to a keyed pseudonym', () => {
    expect(referrals).toHaveLength(5);
    for (const { payload, subjectPseudonym } of referrals) {
      expect(payload.subjectPseudonym).toBe(SEALED_PSEUDONYM_PLACEHOLDER);
      expect(payload.populationFlags).toEqual(NO_POPULATION_FLAGS);
      expect(subjectPseudonym).toMatch(/^[0-9a-f]{64}$/);
      expect(subjectPseudonym).not.toBe(SEALED_PSEUDONYM_PLACEHOLDER);
    }
    expect(new Set(referrals.map((r) => r.subjectPseudonym)).size).toBe(5);
  });

  it('keeps each pseudonym out of the raw bytes of its Kafka record', () => {
    for (const { value, subjectPseudonym } of referrals) {
      expect(value.toString('latin1')).not.toContain(subjectPseudonym);
      expect(value.includes(Buffer.from(subjectPseudonym, 'hex'))).toBe(false);
    }
  });

  it('keeps them out of the outbox, idempotency and source-id tables', async () => {
    const rows = await Promise.all(
      ADAPTER_NAMES.flatMap((name) =>
        ['outbox', 'idempotency_keys', 'source_ids'].map((table) => db.withSchema(adapters[name].schema).table(table).select('*')),
      ),
    );
    const text = JSON.stringify(rows);

    expect(rows.flat().length).toBeGreaterThan(20);
    for (const [what, value] of everything()) expect(text, what).not.toContain(value);
  });

  it('keeps them out of the Kafka message values, keys and headers', () => {
    const text = messages
      .map((m) => `${m.value.toString('utf8')}|${m.value.toString('latin1')}|${m.key}|${JSON.stringify(m.headers)}`)
      .join('\n');

    expect(messages.length).toBe(8);
    for (const [what, value] of everything()) expect(text, what).not.toContain(value);
  });

  it('keeps them out of every log line, including those of refused requests', () => {
    const text = ADAPTER_NAMES.map((name) => adapters[name].logs.text()).join('\n');

    expect(text).toContain('records accepted');
    for (const [what, value] of everything()) expect(text, what).not.toContain(value);
  });

  it('keeps them out of the exported spans, which carry the request trace through to each publish', () => {
    const spans = exporter.getFinishedSpans();
    const text = spansText(spans);

    const accepts = spans.filter((s) => s.name.startsWith('accept '));
    const sends = spans.filter((s) => s.name.startsWith('send '));
    expect(accepts.length).toBeGreaterThanOrEqual(8);
    expect(sends.length).toBeGreaterThanOrEqual(8);
    expect(new Set(accepts.map((s) => s.spanContext().traceId))).toEqual(new Set(sends.map((s) => s.spanContext().traceId)));
    for (const [what, value] of everything()) expect(text, what).not.toContain(value);
  });

  it('keeps them out of the answers, accepted or refused', () => {
    const text = answers.map((a) => a.text).join('\n');

    for (const [what, value] of everything()) expect(text, what).not.toContain(value);
  });
});
