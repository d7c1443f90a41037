import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { post } from '@passerelle/adapter/testing';
import { consumeEventIds, countRows, decodeAll, eventIdsOf } from './adapter-harness.ts';
import { startAdaptersFixture, type AdaptersFixture } from './adapters-fixture.ts';

const stack = inject('stack');
const fixture = (service: string, name: string): string =>
  readFileSync(new URL(`../../services/adapter-${service}/fixtures/${name}`, import.meta.url), 'utf8');

describe('ministry adapters publish what they accept', () => {
  let harness: AdaptersFixture;

  beforeAll(async () => {
    harness = await startAdaptersFixture(stack, 'adapters_publish');
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('puts a referral posted to each ministry adapter on that ministry’s referrals topic, decodable through the registry and keyed by referralId', async () => {
    const posts = [
      {
        name: 'justice',
        path: '/referrals',
        body: fixture('justice', 'vwap-referral.json'),
        type: 'application/json',
        ministry: 'JUSTICE',
      },
      {
        name: 'child-welfare',
        path: '/referrals',
        body: fixture('child-welfare', 'cas-referral.json'),
        type: 'application/json',
        ministry: 'CHILD_WELFARE',
      },
      {
        name: 'health',
        path: '/fhir/ServiceRequest',
        body: fixture('health', 'service-request-full.json'),
        type: 'application/fhir+json',
        ministry: 'HEALTH',
      },
      {
        name: 'education',
        path: '/referrals',
        body: fixture('education', 'school-board-referral.json'),
        type: 'application/json',
        ministry: 'EDUCATION',
      },
    ] as const;

    const answers = await Promise.all(
      posts.map((p) => post(harness.adapters[p.name].url, p.path, p.body, { token: harness.adapters[p.name].token, contentType: p.type })),
    );

    for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const ids = answers.map((a) => eventIdsOf(a.body)[0] as string);
    const topics = ['justice', 'child-welfare', 'health', 'education'].map((m) => `${m}.referrals.v1`);
    const messages = await consumeEventIds(stack, topics, new Set(ids));
    const decoded = await decodeAll(stack.registryUrl, messages);
    expect(decoded).toHaveLength(4);
    posts.forEach((p, i) => {
      const event = decoded.find((d) => d.payload.envelope.eventId === ids[i]);
      expect(event?.type).toBe('ReferralCreated');
      expect(event?.topic).toBe(`${p.name}.referrals.v1`);
      expect(event?.payload.envelope.sourceMinistry).toBe(p.ministry);
      expect(event?.key).toBe((event?.payload as { referralId: string }).referralId);
      expect((answers[i]?.body['events'] as { key: string }[])[0]?.key).toBe(event?.key);
    });
  });

  it('puts a milestone of an initiative the coordination office leads on coordination-office.initiative-milestones.v1', async () => {
    const answer = await post(
      harness.adapters['coordination-office'].url,
      '/initiative-milestones',
      {
        initiativeId: 'S2016-P4-04',
        status: 'reached',
        recordedAt: '2025-03-01T12:00:00Z',
        measure: { unit: 'organizations_funded', quantity: 14 },
      },
      { token: harness.adapters['coordination-office'].token },
    );

    expect(answer.status).toBe(202);
    const [message] = await consumeEventIds(stack, ['coordination-office.initiative-milestones.v1'], new Set(eventIdsOf(answer.body)));
    const [event] = await decodeAll(stack.registryUrl, message ? [message] : []);
    expect(event).toMatchObject({
      type: 'InitiativeMilestoneRecorded',
      key: 'S2016-P4-04',
      payload: { initiativeId: 'S2016-P4-04', status: 'REACHED', measure: { unit: 'ORGANIZATIONS_FUNDED', quantity: 14 } },
    });
  });

  it('publishes a status change, gap and consent withdrawal under the referral and gap ids the first record was given', async () => {
    const justice = harness.adapters.justice;
    const token = { token: justice.token };
    const created = await post(
      justice.url,
      '/referrals',
      { ...JSON.parse(fixture('justice', 'court-support-referral-minimal.json')), referralNumber: 'CS-2025-900001' },
      token,
    );
    const status = await post(
      justice.url,
      '/referrals/status-changes',
      { referralNumber: 'CS-2025-900001', status: 'declined', reason: 'capacity_full', changedAt: '2025-03-05T10:00:00Z' },
      token,
    );
    const withdrawn = await post(
      justice.url,
      '/referrals/consent-withdrawals',
      { referralNumber: 'CS-2025-900001', withdrawnAt: '2025-03-06T10:00:00Z' },
      token,
    );
    const gap = await post(
      justice.url,
      '/service-gaps',
      {
        gapReference: 'JUS-GAP-1',
        observedAt: '2025-03-01T00:00:00Z',
        region: 'north_west',
        serviceCategory: 'housing',
        severity: 'high',
        gapCode: 'no_service_in_region',
        affectedPopulations: { indigenous: true },
      },
      token,
    );
    const resolved = await post(
      justice.url,
      '/service-gaps/resolutions',
      { gapReference: 'JUS-GAP-1', resolvedAt: '2025-03-09T00:00:00Z', resolution: 'service_added' },
      token,
    );

    for (const answer of [created, status, withdrawn, gap, resolved]) expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const referralId = (created.body['events'] as { key: string }[])[0]?.key;
    const gapId = (gap.body['events'] as { key: string }[])[0]?.key;
    const ids = [status, withdrawn, resolved].map((a) => eventIdsOf(a.body)[0] as string);
    const decoded = await decodeAll(
      stack.registryUrl,
      await consumeEventIds(stack, ['justice.referrals.v1', 'justice.service-gaps.v1'], new Set(ids)),
    );
    expect(decoded.find((d) => d.type === 'ReferralStatusChanged')).toMatchObject({
      key: referralId,
      payload: { status: 'DECLINED', reasonCode: 'CAPACITY_FULL' },
    });
    expect(decoded.find((d) => d.type === 'ConsentWithdrawn')).toMatchObject({ key: referralId });
    expect(decoded.find((d) => d.type === 'ServiceGapResolved')).toMatchObject({ key: gapId, payload: { resolution: 'SERVICE_ADDED' } });
  });

  it('answers a resubmitted record with its original 202 and event ids, writing nothing new', async () => {
    const { url, token, schema } = harness.adapters.education;
    const body = fixture('education', 'school-board-referral-minimal.json');
    const first = await post(url, '/referrals', body, { token });
    const before = await countRows(harness.db, schema);

    const again = await post(url, '/referrals', JSON.stringify(JSON.parse(body), null, 4), { token });

    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await countRows(harness.db, schema)).toEqual(before);
  });

  it('answers 409 naming nothing but the conflict when a different record comes under an accepted source id, and writes nothing', async () => {
    const { url, token, schema } = harness.adapters.education;
    const original = JSON.parse(fixture('education', 'school-board-referral-minimal.json')) as Record<string, unknown>;
    await post(url, '/referrals', { ...original, boardReferralId: 'OCDSB-SR-2025-0999' }, { token });
    const before = await countRows(harness.db, schema);

    const changed = await post(url, '/referrals', { ...original, boardReferralId: 'OCDSB-SR-2025-0999', urgency: 'emergency' }, { token });

    expect(changed.status).toBe(409);
    expect(changed.body).toMatchObject({ status: 409, errors: [{ field: 'body', reason: expect.stringContaining('different record') }] });
    expect(await countRows(harness.db, schema)).toEqual(before);
  });

  it('keys a request by its Idempotency-Key header: the same body replays, a different body gets 409', async () => {
    const { url, token, schema } = harness.adapters.justice;
    const headers = { 'Idempotency-Key': 'upload-2025-03-05-a' };
    const batch = fixture('justice', 'referral-batch.csv');
    const first = await post(url, '/referrals/batch', batch, { token, contentType: 'text/csv', headers });
    const before = await countRows(harness.db, schema);

    const replay = await post(url, '/referrals/batch', batch, { token, contentType: 'text/csv', headers });
    const other = await post(url, '/referrals/batch', batch.replace('north_west', 'north_east'), {
      token,
      contentType: 'text/csv',
      headers,
    });

    expect(first.status).toBe(202);
    expect(eventIdsOf(first.body)).toHaveLength(3);
    expect((first.body['events'] as { row: number }[]).map((e) => e.row)).toEqual([2, 3, 4]);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual(first.body);
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    expect(await countRows(harness.db, schema)).toEqual(before);
  });

  it('accepts each of many concurrent identical submissions once', async () => {
    const { url, token, schema } = harness.adapters['child-welfare'];
    const body = { ...JSON.parse(fixture('child-welfare', 'cas-referral.json')), casReference: 'CAST-2025-777777' };
    const before = await countRows(harness.db, schema);

    const answers = await Promise.all(Array.from({ length: 8 }, () => post(url, '/referrals', body, { token })));

    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((a) => eventIdsOf(a.body)[0])).size).toBe(1);
    const after = await countRows(harness.db, schema);
    expect(after.outbox - before.outbox).toBe(1);
  });

  it('reports readiness with PostgreSQL required and Kafka informative, and exposes outbox metrics', async () => {
    const { url } = harness.adapters.health;

    const ready = await fetch(`${url}/readyz`);
    const metrics = await (await fetch(`${url}/metrics`)).text();

    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      checks: [
        { name: 'postgres', required: true, ok: true },
        { name: 'kafka', required: false },
      ],
    });
    expect(metrics).toMatch(/^outbox_depth \d+/m);
    expect(metrics).toMatch(/^outbox_oldest_unpublished_age_seconds [\d.e+-]+/m);
    expect(metrics).toContain('adapter_events_accepted_total{event_type="ReferralCreated"}');
  });
});
