import { ContractError, RegistryRequestError, familyOf, messageKeyOf, type DecodedEvent } from '@passerelle/contracts';
import type { Initiative } from '@passerelle/schemas';
import { topicOwnership } from './topic-ownership.ts';

/** Why a message went to the dead-letter topic: a stable code and a text without payload values. */
export interface Rejection {
  readonly code: string;
  readonly text: string;
}

export type CheckOutcome = { readonly ok: true; readonly aggregateId: string } | { readonly ok: false; readonly rejection: Rejection };

const reject = (code: string, text: string): CheckOutcome => ({ ok: false, rejection: { code, text } });

/**
 * The checks a well-formed event must pass before it may change the view: it travels on a
 * topic of its own family, its publisher owns that topic (provenance: the broker's ACLs let
 * only the owner write there, so a mismatch is a forgery or a misconfigured adapter), its
 * correlation id names its entity, a referral's creation names that owner as its referring
 * ministry, and its codes mean something to the coordination office. Whether a status change or
 * withdrawal comes from a party to its referral is judged in the fold (referral.projection.ts),
 * which knows the referral's creation whatever the arrival order.
 * UNKNOWN is what an older reader sees for a symbol added later: such events wait in the
 * dead-letter topic for a redrive once the projector knows the symbol.
 */
export function checkEvent(event: DecodedEvent, topic: string, initiatives: ReadonlyMap<string, Initiative>): CheckOutcome {
  const ownership = topicOwnership(topic);
  if (!ownership)
    return reject('unknown_topic_owner', `topic ${topic} is not named <ministry>.<family>.v1, so its owner cannot be checked`);
  if (familyOf(event.type) !== ownership.family)
    return reject('wrong_topic_family', `${event.type} belongs on a ${familyOf(event.type)} topic, not on ${topic}`);
  const envelope = event.payload.envelope;
  if (envelope.sourceMinistry !== ownership.owner) {
    return reject(
      'provenance_mismatch',
      `${event.type} ${envelope.eventId} says it comes from ${envelope.sourceMinistry} but travels on ${topic}, owned by ${ownership.owner}`,
    );
  }
  const entityId = messageKeyOf(event.type, event.payload as never);
  if (envelope.correlationId !== entityId)
    return reject(
      'correlation_mismatch',
      `${event.type} ${envelope.eventId}: the envelope's correlationId is not the id of the entity it is about`,
    );

  switch (event.type) {
    case 'ReferralCreated':
      if (event.payload.region === 'UNKNOWN') return reject('unknown_region', `ReferralCreated ${envelope.eventId} has region UNKNOWN`);
      if (event.payload.referringMinistry === 'UNKNOWN')
        return reject('unknown_ministry', `ReferralCreated ${envelope.eventId} has referringMinistry UNKNOWN`);
      // Only the referring ministry creates a referral, on its own topic: the broker proves who wrote it.
      if (event.payload.referringMinistry !== ownership.owner) {
        return reject(
          'referring_ministry_not_topic_owner',
          `ReferralCreated ${envelope.eventId} names ${event.payload.referringMinistry} as referring ministry but travels on ${topic}, owned by ${ownership.owner}`,
        );
      }
      break;
    case 'ReferralStatusChanged':
      if (event.payload.status === 'UNKNOWN')
        return reject('unknown_status', `ReferralStatusChanged ${envelope.eventId} has status UNKNOWN`);
      break;
    case 'InitiativeMilestoneRecorded': {
      const initiative = initiatives.get(event.payload.initiativeId);
      if (!initiative)
        return reject(
          'unknown_initiative',
          `InitiativeMilestoneRecorded ${envelope.eventId} names initiative ${event.payload.initiativeId}, which is not in the strategy catalogue`,
        );
      if (initiative.leadMinistry !== envelope.sourceMinistry) {
        return reject(
          'not_initiative_lead',
          `InitiativeMilestoneRecorded ${envelope.eventId}: ${envelope.sourceMinistry} does not lead ${initiative.id} (${initiative.leadMinistry} does)`,
        );
      }
      if (event.payload.status === 'UNKNOWN')
        return reject('unknown_milestone_status', `InitiativeMilestoneRecorded ${envelope.eventId} has status UNKNOWN`);
      break;
    }
    case 'ServiceGapReported':
      if (event.payload.region === 'UNKNOWN') return reject('unknown_region', `ServiceGapReported ${envelope.eventId} has region UNKNOWN`);
      break;
    case 'ServiceGapResolved':
    case 'ConsentWithdrawn':
      break;
    default: {
      const unchecked: never = event;
      throw new Error(`no checks for event type ${(unchecked as DecodedEvent).type}`);
    }
  }
  return { ok: true, aggregateId: entityId };
}

/**
 * How a decode failure is handled: retried later (the registry is down or refuses us, which
 * says nothing about the message) or dead-lettered with a reason (the bytes are the problem).
 */
export function classifyDecodeFailure(error: unknown): { readonly retry: true } | { readonly retry: false; readonly rejection: Rejection } {
  if (error instanceof ContractError) {
    if (error.retryable || error instanceof RegistryRequestError) return { retry: true };
    return { retry: false, rejection: { code: error.code.toLowerCase(), text: error.message } };
  }
  // An unexpected failure on these bytes would fail the same way on every retry and stall the partition.
  return { retry: false, rejection: { code: 'decode_failed', text: `decoding failed: ${(error as Error)?.name ?? 'error'}` } };
}
