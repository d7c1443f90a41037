import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  MalformedMessageError,
  publisherRuleOf,
  RegistryUnavailableError,
  topicFor,
  UnknownSchemaIdError,
  WrongMagicByteError,
  type DecodedEvent,
  type PublisherRule,
} from '@passerelle/contracts';
import { sampleEvents } from '@passerelle/contracts/testing';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { checkEvent, classifyDecodeFailure } from './event-checks.ts';
import { topicOwnership } from './topic-ownership.ts';
import { traceIdOf } from './trace-context.ts';

const initiatives = initiativesById(loadCatalogue());

function decoded<T extends DecodedEvent['type']>(type: T, payload: Extract<DecodedEvent, { type: T }>['payload']): DecodedEvent {
  return { type, payload, schemaId: 1 } as DecodedEvent;
}

describe('event checks', () => {
  it('accepts an event published by the owner of its topic and returns its entity id', () => {
    const event = sampleEvents('JUSTICE').ReferralCreated;

    expect(checkEvent(decoded('ReferralCreated', event), 'justice.referrals.v1', initiatives)).toEqual({
      ok: true,
      aggregateId: event.referralId,
    });
  });

  it('reads the owner from the last three segments, so test topics with a namespace work', () => {
    expect(topicOwnership('t1a2b3c4.child-welfare.service-gaps.v1')).toEqual({ owner: 'CHILD_WELFARE', family: 'service-gaps' });
    expect(topicOwnership('passerelle.dead-letter.v1')).toBeUndefined();
  });

  it('rejects an event whose source ministry does not own its topic (provenance_mismatch)', () => {
    const event = sampleEvents('HEALTH').ReferralCreated;

    const outcome = checkEvent(decoded('ReferralCreated', event), 'justice.referrals.v1', initiatives);

    expect(outcome).toMatchObject({ ok: false, rejection: { code: 'provenance_mismatch' } });
  });

  it('rejects a referral creation naming another referring ministry than the topic owner, even when its envelope says the owner sent it', () => {
    const justice = sampleEvents('JUSTICE').ReferralCreated;
    const forged = { ...justice, referringMinistry: 'HEALTH' as const };

    const outcome = checkEvent(decoded('ReferralCreated', forged), 'justice.referrals.v1', initiatives);

    expect(outcome).toMatchObject({ ok: false, rejection: { code: 'referring_ministry_not_topic_owner' } });
    expect(JSON.stringify(outcome)).not.toContain(forged.subjectPseudonym);
  });

  it('rejects an event on a topic of another family', () => {
    const event = sampleEvents('JUSTICE').ReferralCreated;

    expect(checkEvent(decoded('ReferralCreated', event), 'justice.service-gaps.v1', initiatives)).toMatchObject({
      ok: false,
      rejection: { code: 'wrong_topic_family' },
    });
  });

  it('rejects a milestone of an initiative the catalogue does not know, and one published by a ministry that does not lead it', () => {
    const known = sampleEvents().InitiativeMilestoneRecorded; // S2016-P2-04, led by JUSTICE
    const unknown = { ...known, initiativeId: 'S2016-P9-99', envelope: { ...known.envelope, correlationId: 'S2016-P9-99' } };
    const fromHealth = { ...known, envelope: { ...known.envelope, sourceMinistry: 'HEALTH' as const } };

    expect(checkEvent(decoded('InitiativeMilestoneRecorded', unknown), 'justice.initiative-milestones.v1', initiatives)).toMatchObject({
      ok: false,
      rejection: { code: 'unknown_initiative' },
    });
    expect(checkEvent(decoded('InitiativeMilestoneRecorded', fromHealth), 'health.initiative-milestones.v1', initiatives)).toMatchObject({
      ok: false,
      rejection: { code: 'not_initiative_lead' },
    });
  });

  it('rejects UNKNOWN regions and statuses, and a correlation id that is not the entity', () => {
    const events = sampleEvents('JUSTICE');
    const noRegion = { ...events.ReferralCreated, region: 'UNKNOWN' as const };
    const noStatus = {
      ...events.ReferralStatusChanged,
      envelope: { ...events.ReferralStatusChanged.envelope, sourceMinistry: 'JUSTICE' as const },
      status: 'UNKNOWN' as const,
    };
    const gap = {
      ...events.ServiceGapReported,
      envelope: { ...events.ServiceGapReported.envelope, sourceMinistry: 'JUSTICE' as const },
      region: 'UNKNOWN' as const,
    };
    const miscorrelated = {
      ...events.ConsentWithdrawn,
      envelope: { ...events.ConsentWithdrawn.envelope, correlationId: events.ServiceGapReported.gapId },
    };

    expect(checkEvent(decoded('ReferralCreated', noRegion), 'justice.referrals.v1', initiatives)).toMatchObject({
      ok: false,
      rejection: { code: 'unknown_region' },
    });
    expect(checkEvent(decoded('ReferralStatusChanged', noStatus), 'justice.referrals.v1', initiatives)).toMatchObject({
      ok: false,
      rejection: { code: 'unknown_status' },
    });
    expect(checkEvent(decoded('ServiceGapReported', gap), 'justice.service-gaps.v1', initiatives)).toMatchObject({
      ok: false,
      rejection: { code: 'unknown_region' },
    });
    expect(checkEvent(decoded('ConsentWithdrawn', miscorrelated), 'justice.referrals.v1', initiatives)).toMatchObject({
      ok: false,
      rejection: { code: 'correlation_mismatch' },
    });
  });

  it('never quotes the pseudonym or other payload values in a rejection', () => {
    const event = { ...sampleEvents('HEALTH').ReferralCreated, region: 'UNKNOWN' as const };

    const outcome = checkEvent(decoded('ReferralCreated', event), 'justice.referrals.v1', initiatives);

    expect(JSON.stringify(outcome)).not.toContain(event.subjectPseudonym);
  });
});

describe('who may publish', () => {
  // The sample referral goes from JUSTICE to HEALTH and JUSTICE leads the sample initiative:
  // EDUCATION is neither, and sends every type on its own topic.
  const outsider = 'EDUCATION';

  function expectedOutcome(rule: PublisherRule): { ok: boolean; code?: string } {
    switch (rule) {
      case 'referring-ministry':
        return { ok: false, code: 'referring_ministry_not_topic_owner' };
      case 'initiative-lead':
        return { ok: false, code: 'not_initiative_lead' };
      case 'referral-party': // judged in the referral fold, which knows the parties
      case 'any-ministry':
        return { ok: true };
      default: {
        const unknown: never = rule;
        throw new Error(`no expectation for publisher rule ${String(unknown)}`);
      }
    }
  }

  it("lets an event through the checks from a ministry the type's publisher rule allows, and rejects it otherwise", () => {
    const events = sampleEvents('JUSTICE');
    for (const type of EVENT_TYPES) {
      const sample = events[type];
      const payload = { ...sample, envelope: { ...sample.envelope, sourceMinistry: outsider } };

      const outcome = checkEvent(decoded(type, payload as never), topicFor(outsider, type), initiatives);

      const expected = expectedOutcome(publisherRuleOf(type));
      expect(outcome.ok, type).toBe(expected.ok);
      if (!outcome.ok) expect(outcome.rejection.code, type).toBe(expected.code);
    }
  });
});

describe('decode failures', () => {
  it('dead-letters bad bytes and unknown schema ids with a lower-case reason code', () => {
    expect(classifyDecodeFailure(new WrongMagicByteError(7))).toMatchObject({ retry: false, rejection: { code: 'wrong_magic_byte' } });
    expect(classifyDecodeFailure(new UnknownSchemaIdError(99))).toMatchObject({ retry: false, rejection: { code: 'unknown_schema_id' } });
    expect(classifyDecodeFailure(new MalformedMessageError('short'))).toMatchObject({
      retry: false,
      rejection: { code: 'malformed_message' },
    });
  });

  it('retries when the registry is unavailable instead of dead-lettering', () => {
    expect(classifyDecodeFailure(new RegistryUnavailableError('down'))).toEqual({ retry: true });
  });
});

describe('trace ids', () => {
  it('takes the trace id from the message header, else from the envelope, and ignores invalid ones', () => {
    const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const envelope = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

    expect(traceIdOf(header, envelope)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf(undefined, envelope)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01', null)).toBeNull();
  });
});
