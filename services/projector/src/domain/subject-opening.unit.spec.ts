import { describe, expect, it } from 'vitest';
import { newDataKey, SEALED_PSEUDONYM_PLACEHOLDER, type SealedSubject } from '@passerelle/contracts';
import { loadCatalogue } from '@passerelle/schemas';
import { InMemoryView } from '../testing/in-memory-view.ts';
import { minute, referral } from '../testing/event-builders.ts';
import { testRecordKeys } from '../testing/record-keys.ts';
import { planBatch } from './batch-plan.ts';
import { initiativeRowsOf } from './initiative.projection.ts';
import { foldReferral, type ReferralFact } from './referral.projection.ts';
import {
  openSealedSubject,
  SEALED_SUBJECT_UNREADABLE,
  UNREADABLE_SUBJECT,
  type SubjectKeyState,
  foreignCreation,
  REFERRAL_ID_OF_ANOTHER_MINISTRY,
} from './subject-opening.ts';
import type { AcceptedEvent } from './view-model.ts';

const catalogue = initiativeRowsOf(loadCatalogue());

/** A key store in memory: referral id → key state, changed by the test as the projector would. */
function keyStore(entries: Record<string, SubjectKeyState> = {}) {
  const keys = new Map(Object.entries(entries));
  return {
    keys,
    reader: async (ids: readonly string[]) =>
      new Map(ids.flatMap((id) => (keys.has(id) ? [[id, keys.get(id) as SubjectKeyState] as const] : []))),
  };
}

const factOf = (event: AcceptedEvent, opened?: ReferralFact['opened']): ReferralFact => {
  const { envelope: _envelope, ...payload } = event.payload as unknown as Record<string, unknown>;
  return {
    event_id: event.eventId,
    event_type: event.type as ReferralFact['event_type'],
    occurred_at: event.occurredAt,
    source_ministry: event.sourceMinistry,
    payload,
    ...(opened ? { opened } : {}),
  };
};

describe('sealed subjects in the fold', () => {
  it('a sealed creation folded with its opened subject gives the row a plaintext creation gives, its pseudonym kept sealed at rest', () => {
    const r = referral();
    const key = newDataKey();
    const plain = r.created(minute(0));
    const sealed = { ...r.sealedCreated(key, minute(0)), eventId: plain.eventId };
    const opening = openSealedSubject(r.referralId, sealed.eventId, sealed.payload.sealedSubject as never, { state: 'live', key });
    if (!opening.ok) throw new Error(opening.rejection.text);

    const fromSealed = foldReferral([factOf(sealed, opening.opened)], testRecordKeys).row;
    const fromPlain = foldReferral([factOf(plain)], testRecordKeys).row;

    expect({ ...fromSealed, subject_pseudonym: r.pseudonym, subject_sealed: null }).toEqual(fromPlain);
    expect(fromSealed).toMatchObject({
      subject_pseudonym: null,
      subject_sealed: sealed.payload.sealedSubject,
      indigenous: true,
      young_women: true,
      youth_in_or_leaving_care: false,
    });
    expect(JSON.stringify(fromSealed)).not.toContain(r.pseudonym);
  });

  it('never takes a sealed creation’s placeholders for data: without its opened subject the row holds nothing person-level', () => {
    const r = referral();

    const row = foldReferral([factOf(r.sealedCreated(newDataKey(), minute(0)))], testRecordKeys).row;

    expect(row).toMatchObject({
      subject_pseudonym: null,
      subject_sealed: null,
      indigenous: null,
      young_women: null,
      region: 'NORTH_WEST',
      status: 'REQUESTED',
    });
    expect(row?.subject_pseudonym).not.toBe(SEALED_PSEUDONYM_PLACEHOLDER);
  });

  it('opens with a live key, gives nothing readable once the key is destroyed, and refuses a missing key or a tampered value', () => {
    const r = referral();
    const key = newDataKey();
    const sealed = r.sealedCreated(key).payload.sealedSubject as SealedSubject;
    const tampered: SealedSubject = {
      ...sealed,
      ciphertext: Buffer.from(Buffer.from(sealed.ciphertext, 'base64').map((byte, i) => (i === 0 ? byte ^ 1 : byte))).toString('base64'),
    };

    expect(openSealedSubject(r.referralId, 'e', sealed, { state: 'live', key })).toMatchObject({
      ok: true,
      opened: { subjectPseudonym: r.pseudonym },
    });
    expect(openSealedSubject(r.referralId, 'e', sealed, { state: 'destroyed' })).toEqual({ ok: true, opened: UNREADABLE_SUBJECT });
    for (const [value, state] of [
      [sealed, { state: 'missing' }],
      [sealed, undefined],
      [tampered, { state: 'live', key }],
      [sealed, { state: 'live', key: newDataKey() }],
    ] as const) {
      const opening = openSealedSubject(r.referralId, 'e', value, state);
      expect(opening).toMatchObject({ ok: false, rejection: { code: SEALED_SUBJECT_UNREADABLE } });
      expect(JSON.stringify(opening)).not.toContain(r.pseudonym);
    }
    // Bound to its referral: another referral's key and id do not open it.
    expect(openSealedSubject(referral().referralId, 'e', sealed, { state: 'live', key }).ok).toBe(false);
  });

  it('the view gets the opened subject, the history keeps the body as received, and a later refold from the history opens it again', async () => {
    const r = referral();
    const key = newDataKey();
    const store = keyStore({ [r.referralId]: { state: 'live', key } });
    const view = new InMemoryView(catalogue, testRecordKeys, store.reader);

    await view.apply([r.sealedCreated(key, minute(0))]);
    await view.apply([r.status('RECEIVED', minute(5))]);
    const snapshot = view.snapshot();

    expect(snapshot.referrals[0]).toMatchObject({
      status: 'RECEIVED',
      subject_pseudonym: null,
      subject_sealed: { algorithm: 'AES_256_GCM' },
      indigenous: true,
    });
    expect(JSON.stringify(snapshot.referrals)).not.toContain(r.pseudonym);
    const created = snapshot.referral_history.find((row) => row.event_type === 'ReferralCreated');
    expect(created?.payload).toMatchObject({
      subjectPseudonym: SEALED_PSEUDONYM_PLACEHOLDER,
      populationFlags: { indigenous: null },
      sealedSubject: { algorithm: 'AES_256_GCM' },
    });
    expect(JSON.stringify(snapshot.referral_history)).not.toContain(r.pseudonym);
    expect(created).not.toHaveProperty('opened');
  });

  it('a destroyed key leaves the referral counted by its codes, with no pseudonym and no flags', async () => {
    const r = referral();
    const view = new InMemoryView(catalogue, testRecordKeys, keyStore({ [r.referralId]: { state: 'destroyed' } }).reader);

    await view.apply([r.sealedCreated(newDataKey(), minute(0)), r.status('RECEIVED', minute(5))]);

    expect(view.snapshot().referrals[0]).toMatchObject({
      status: 'RECEIVED',
      region: 'NORTH_WEST',
      service_category: 'TRAUMA_COUNSELLING',
      subject_pseudonym: null,
      subject_sealed: null,
      indigenous: null,
      young_women: null,
    });
  });

  it('a party’s withdrawal plans one erasure with what it purged, strips the sealed subject from the history, and none on a replay', async () => {
    const r = referral();
    const key = newDataKey();
    const created = r.sealedCreated(key, minute(0));
    const withdrawal = r.withdrawn(minute(30), 'HEALTH');
    const { envelope: _e, ...body } = created.payload as unknown as Record<string, unknown>;
    const history = [
      {
        event_id: created.eventId,
        referral_id: r.referralId,
        event_type: 'ReferralCreated' as const,
        source_ministry: created.sourceMinistry,
        occurred_at: created.occurredAt,
        source_topic: 't',
        source_partition: 0,
        source_offset: 0,
        trace_id: null,
        payload: body,
        accepted_at: null,
        published_at: null,
        consumed_at: 0,
      },
    ];

    const plan = planBatch(
      [withdrawal],
      {
        referralHistory: new Map([[r.referralId, history]]),
        gapHistory: new Map(),
        initiativeProgress: new Map(),
        openedSubjects: new Map([[created.eventId, { subjectPseudonym: r.pseudonym, populationFlags: null }]]),
      },
      1,
      testRecordKeys,
    );

    expect(plan.erasures).toEqual([
      {
        referral_id: r.referralId,
        withdrawal_event_id: withdrawal.eventId,
        withdrawn_at: minute(30),
        places: { viewReferralRows: 1, historyRows: 1 },
      },
    ]);
    expect(plan.strippedFields).toContain('sealedSubject');
    expect(plan.referrals[0]).toMatchObject({
      subject_pseudonym: null,
      subject_sealed: null,
      indigenous: null,
      consent_withdrawn_at: minute(30),
    });

    const view = new InMemoryView(catalogue, testRecordKeys, keyStore({ [r.referralId]: { state: 'live', key } }).reader);
    await view.apply([created]);
    await view.apply([withdrawal]);
    await view.apply([withdrawal]);
    expect(view.erasures().map((row) => row.withdrawal_event_id)).toEqual([withdrawal.eventId]);
    expect(view.snapshot().referral_history.find((row) => row.event_type === 'ReferralCreated')?.payload).not.toHaveProperty(
      'sealedSubject',
    );
  });

  it('a non-party’s withdrawal erases nothing and plans no erasure', async () => {
    const r = referral();
    const key = newDataKey();
    const view = new InMemoryView(catalogue, testRecordKeys, keyStore({ [r.referralId]: { state: 'live', key } }).reader);

    await view.apply([r.sealedCreated(key, minute(0))]);
    await view.apply([r.withdrawn(minute(30), 'EDUCATION')]);

    expect(view.erasures()).toEqual([]);
    expect(view.snapshot().referrals[0]).toMatchObject({ subject_sealed: { algorithm: 'AES_256_GCM' }, indigenous: true });
  });
});

describe('who owns a referral id', () => {
  it('refuses a creation of a referral id whose data key another ministry created, live or destroyed; a tombstone or no key binds nothing', () => {
    const key = newDataKey();
    expect(foreignCreation('e', 'EDUCATION', { state: 'live', key, createdBy: 'JUSTICE' })).toMatchObject({
      code: REFERRAL_ID_OF_ANOTHER_MINISTRY,
    });
    expect(foreignCreation('e', 'EDUCATION', { state: 'destroyed', createdBy: 'JUSTICE' })).toMatchObject({
      code: REFERRAL_ID_OF_ANOTHER_MINISTRY,
    });
    expect(foreignCreation('e', 'JUSTICE', { state: 'live', key, createdBy: 'JUSTICE' })).toBeNull();
    expect(foreignCreation('e', 'EDUCATION', { state: 'destroyed', createdBy: 'tombstone' })).toBeNull();
    expect(foreignCreation('e', 'EDUCATION', { state: 'missing' })).toBeNull();
    expect(foreignCreation('e', 'EDUCATION', undefined)).toBeNull();
  });
});
