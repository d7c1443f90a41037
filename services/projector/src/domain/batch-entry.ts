import type { DecodedEvent } from '@passerelle/contracts';
import type { Initiative } from '@passerelle/schemas';
import { checkEvent, type Rejection } from './event-checks.ts';
import { foreignCreation, openSealedSubject, sealedSubjectOf, type SubjectKeyState } from './subject-opening.ts';
import { traceIdOf } from './trace-context.ts';
import type { AcceptedEvent, DeadLetterRow, SourcePosition } from './view-model.ts';

/**
 * What becomes of each message of a chunk once the consumer has read it: applied (accepted) or
 * dead-lettered with a reason. No I/O here: the consumer decodes, reads the data keys and
 * passes in what it got.
 */

/** A message refused before it reaches the view, with what is known of its event. */
export interface EntryRejection {
  readonly rejection: Rejection;
  readonly eventId?: string;
  readonly eventType?: string;
}

export type EntryVerdict = { readonly accepted: true; readonly event: AcceptedEvent } | ({ readonly accepted: false } & EntryRejection);

/** A message without a value (a tombstone or an empty record): nothing to decode. */
export const EMPTY_MESSAGE: Rejection = { code: 'empty_message', text: 'the message has no value' };

/**
 * A decoded message: accepted with its source position and trace, or refused by the checks
 * (event-checks.ts). The trace is the message header's, else the envelope's.
 */
export function classifyDecoded(
  decoded: DecodedEvent,
  position: SourcePosition,
  headerTraceparent: string | undefined,
  initiatives: ReadonlyMap<string, Initiative>,
): EntryVerdict {
  const envelope = decoded.payload.envelope;
  const check = checkEvent(decoded, position.topic, initiatives);
  if (!check.ok) return { accepted: false, rejection: check.rejection, eventId: envelope.eventId, eventType: decoded.type };
  return {
    accepted: true,
    event: {
      eventId: envelope.eventId,
      type: decoded.type,
      payload: decoded.payload,
      occurredAt: envelope.occurredAt,
      sourceMinistry: envelope.sourceMinistry,
      position,
      traceId: traceIdOf(headerTraceparent, envelope.traceparent),
    } as AcceptedEvent,
  };
}

const createdReferralId = (event: AcceptedEvent): string | undefined =>
  event.type === 'ReferralCreated' ? (event.payload as { referralId: string }).referralId : undefined;

/** The referrals whose data keys a chunk's creations need (each once, in order of appearance). */
export function createdReferralIds(events: readonly AcceptedEvent[]): string[] {
  return [...new Set(events.flatMap((event) => createdReferralId(event) ?? []))];
}

/**
 * Opens a chunk's sealed creations with their referrals' data keys, so that the fold gets the
 * subject beside the event (`opened`). One whose key is missing or whose sealed value does not
 * open is refused (`sealed_subject_unreadable`); one whose key was destroyed by a withdrawal stays
 * unreadable and is kept without its subject. Any creation, sealed or not, of a referral id whose
 * key another ministry created is refused (`referral_id_of_another_ministry`): it would take the
 * referral over. Other events are kept as they are, in order.
 */
export function openChunkSubjects(
  events: readonly AcceptedEvent[],
  keys: ReadonlyMap<string, SubjectKeyState>,
): { readonly kept: AcceptedEvent[]; readonly refused: { readonly event: AcceptedEvent; readonly rejection: Rejection }[] } {
  const kept: AcceptedEvent[] = [];
  const refused: { event: AcceptedEvent; rejection: Rejection }[] = [];
  for (const event of events) {
    const referralId = createdReferralId(event);
    const foreign = referralId === undefined ? null : foreignCreation(event.eventId, event.sourceMinistry, keys.get(referralId));
    if (foreign) {
      refused.push({ event, rejection: foreign });
      continue;
    }
    const sealed = referralId === undefined ? null : sealedSubjectOf(event.payload as unknown as Record<string, unknown>);
    if (!sealed || referralId === undefined) {
      kept.push(event);
      continue;
    }
    const opening = openSealedSubject(referralId, event.eventId, sealed, keys.get(referralId));
    if (opening.ok) kept.push({ ...event, opened: opening.opened });
    else refused.push({ event, rejection: opening.rejection });
  }
  return { kept, refused };
}

/** The row the view records for a refused message; the reason is cut to 500 characters. */
export function deadLetterRowOf(position: SourcePosition, entry: EntryRejection, published: boolean, now: number): DeadLetterRow {
  return {
    source_topic: position.topic,
    source_partition: position.partition,
    source_offset: position.offset,
    reason_code: entry.rejection.code,
    reason: entry.rejection.text.slice(0, 500),
    event_id: entry.eventId ?? null,
    event_type: entry.eventType ?? null,
    published,
    dead_lettered_at: now,
  };
}
