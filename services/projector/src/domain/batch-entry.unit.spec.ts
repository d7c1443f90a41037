import { describe, expect, it } from 'vitest';
import { newDataKey, type DecodedEvent } from '@passerelle/contracts';
import { sampleEvents } from '@passerelle/contracts/testing';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { minute, referral, serviceGap } from '../testing/event-builders.ts';
import { classifyDecoded, createdReferralIds, deadLetterRowOf, openChunkSubjects } from './batch-entry.ts';
import { REFERRAL_ID_OF_ANOTHER_MINISTRY, SEALED_SUBJECT_UNREADABLE, UNREADABLE_SUBJECT } from './subject-opening.ts';

const initiatives = initiativesById(loadCatalogue());
const HEADER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const ENVELOPE_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function decodedCreation(overrides: { traceparent?: string | null } = {}): DecodedEvent {
  const event = sampleEvents('JUSTICE').ReferralCreated;
  return {
    type: 'ReferralCreated',
    payload: { ...event, envelope: { ...event.envelope, traceparent: overrides.traceparent ?? null } },
    schemaId: 1,
  } as DecodedEvent;
}

describe('classifying a decoded message', () => {
  it('accepts an event that passes the checks, at its source position, in the trace its header names', () => {
    const decoded = decodedCreation({ traceparent: `00-${ENVELOPE_TRACE}-00f067aa0ba902b7-01` });
    const position = { topic: 'justice.referrals.v1', partition: 3, offset: 42 };

    const verdict = classifyDecoded(decoded, position, `00-${HEADER_TRACE}-b7ad6b7169203331-01`, initiatives);

    expect(verdict).toEqual({
      accepted: true,
      event: {
        eventId: decoded.payload.envelope.eventId,
        type: 'ReferralCreated',
        payload: decoded.payload,
        occurredAt: decoded.payload.envelope.occurredAt,
        sourceMinistry: 'JUSTICE',
        position,
        traceId: HEADER_TRACE,
      },
    });
  });

  it("falls back on the envelope's trace when the message header carries none, and on none when neither does", () => {
    const position = { topic: 'justice.referrals.v1', partition: 0, offset: 1 };

    expect(
      classifyDecoded(decodedCreation({ traceparent: `00-${ENVELOPE_TRACE}-00f067aa0ba902b7-01` }), position, undefined, initiatives),
    ).toMatchObject({ accepted: true, event: { traceId: ENVELOPE_TRACE } });
    expect(classifyDecoded(decodedCreation(), position, undefined, initiatives)).toMatchObject({
      accepted: true,
      event: { traceId: null },
    });
  });

  it('refuses an event the checks refuse, naming its id and type for the dead letter', () => {
    const decoded = decodedCreation();

    const verdict = classifyDecoded(decoded, { topic: 'health.referrals.v1', partition: 0, offset: 7 }, undefined, initiatives);

    expect(verdict).toEqual({
      accepted: false,
      rejection: expect.objectContaining({ code: 'provenance_mismatch' }),
      eventId: decoded.payload.envelope.eventId,
      eventType: 'ReferralCreated',
    });
  });
});

describe("opening a chunk's sealed creations", () => {
  it('asks for the key of each created referral once, and for none when the chunk creates nothing', () => {
    const r = referral();
    const gap = serviceGap();

    expect(
      createdReferralIds([r.created(minute(0)), r.status('RECEIVED', minute(1)), r.created(minute(2)), gap.reported(minute(0))]),
    ).toEqual([r.referralId]);
    expect(createdReferralIds([r.status('RECEIVED', minute(1)), gap.reported(minute(0))])).toEqual([]);
  });

  it('keeps other events and plaintext creations as they are, and gives a sealed creation its opened subject', () => {
    const plain = referral();
    const sealed = referral();
    const key = newDataKey();
    const events = [plain.created(minute(0)), plain.status('RECEIVED', minute(1)), sealed.sealedCreated(key, minute(0))];

    const { kept, refused } = openChunkSubjects(events, new Map([[sealed.referralId, { state: 'live', key }]]));

    expect(refused).toEqual([]);
    expect(kept.slice(0, 2)).toEqual(events.slice(0, 2));
    expect(kept[2]).toEqual({ ...events[2], opened: { subjectPseudonym: sealed.pseudonym, populationFlags: expect.any(Object) } });
  });

  it('keeps a sealed creation whose key was destroyed, unreadable, and refuses one whose key is missing', () => {
    const shredded = referral();
    const keyless = referral();
    const events = [shredded.sealedCreated(newDataKey(), minute(0)), keyless.sealedCreated(newDataKey(), minute(0))];

    const { kept, refused } = openChunkSubjects(events, new Map([[shredded.referralId, { state: 'destroyed' }]]));

    expect(kept).toEqual([{ ...events[0], opened: UNREADABLE_SUBJECT }]);
    expect(refused).toEqual([{ event: events[1], rejection: expect.objectContaining({ code: SEALED_SUBJECT_UNREADABLE }) }]);
  });

  it('refuses a creation, sealed or not, of a referral id whose key another ministry created', () => {
    const r = referral();
    const key = newDataKey();
    const events = [r.created(minute(0), {}, 'HEALTH'), r.sealedCreated(key, minute(0), {}, 'HEALTH')];

    const { kept, refused } = openChunkSubjects(events, new Map([[r.referralId, { state: 'live', key, createdBy: 'JUSTICE' }]]));

    expect(kept).toEqual([]);
    expect(refused.map((entry) => [entry.event, entry.rejection.code])).toEqual([
      [events[0], REFERRAL_ID_OF_ANOTHER_MINISTRY],
      [events[1], REFERRAL_ID_OF_ANOTHER_MINISTRY],
    ]);
  });
});

describe('the dead-letter row of a refused message', () => {
  it('records the position, the reason cut to 500 characters, and the event when it was decoded', () => {
    const row = deadLetterRowOf(
      { topic: 'justice.referrals.v1', partition: 2, offset: 9 },
      { rejection: { code: 'unknown_region', text: 'x'.repeat(600) }, eventId: 'e-1', eventType: 'ReferralCreated' },
      true,
      minute(3),
    );

    expect(row).toEqual({
      source_topic: 'justice.referrals.v1',
      source_partition: 2,
      source_offset: 9,
      reason_code: 'unknown_region',
      reason: 'x'.repeat(500),
      event_id: 'e-1',
      event_type: 'ReferralCreated',
      published: true,
      dead_lettered_at: minute(3),
    });
  });

  it('has no event id or type for a message that did not decode', () => {
    expect(
      deadLetterRowOf(
        { topic: 't', partition: 0, offset: 0 },
        { rejection: { code: 'empty_message', text: 'the message has no value' } },
        false,
        0,
      ),
    ).toMatchObject({ event_id: null, event_type: null, published: false });
  });
});
