import { MINISTRY_TOPIC_PREFIXES, openSubject, SealError, type PopulationFlagValues, type SealedSubject } from '@passerelle/contracts';
import type { Rejection } from './event-checks.ts';

/**
 * Opening a sealed ReferralCreated (crypto-shredding, libs/contracts sealed-subject.ts). The
 * projector reads the referral's data key from the key store before planning a batch, opens the
 * sealed subject and hands the fold the opened values beside the event (`opened`); the view's
 * referral row gets them, the history keeps the body as received (sealed, placeholders). No I/O
 * here: the keys come in through the store port (`readSubjectKeys`).
 */

/** A referral's data key as the projector sees it: usable, destroyed by a withdrawal (tombstone), or never created. */
export type SubjectKeyState =
  | { readonly state: 'live'; readonly key: Buffer; readonly createdBy?: string }
  | { readonly state: 'destroyed'; readonly createdBy?: string }
  | { readonly state: 'missing' };

/** Reads the data keys of these referrals (absent from the map means missing). */
export type SubjectKeyReader = (referralIds: readonly string[]) => Promise<ReadonlyMap<string, SubjectKeyState>>;

/** What the fold takes of a sealed creation's subject: the opened values, or nulls once its key is destroyed. */
export interface OpenedSubject {
  readonly subjectPseudonym: string | null;
  readonly populationFlags: PopulationFlagValues | null;
}

/** A subject whose data key was destroyed: the referral still counts, nothing person-level is readable. */
export const UNREADABLE_SUBJECT: OpenedSubject = { subjectPseudonym: null, populationFlags: null };

/** The dead-letter reason of a sealed creation that cannot be opened (no key, or a forged or tampered value). */
export const SEALED_SUBJECT_UNREADABLE = 'sealed_subject_unreadable';

/** The dead-letter reason of a creation for a referral id whose data key another ministry created. */
export const REFERRAL_ID_OF_ANOTHER_MINISTRY = 'referral_id_of_another_ministry';

const MINISTRIES: ReadonlySet<string> = new Set(Object.keys(MINISTRY_TOPIC_PREFIXES));

/**
 * A referral id belongs to the ministry whose adapter created its data key: the adapter creates
 * it in the transaction that accepts the referral, before anything is published, so no other
 * ministry can learn the id first. A ReferralCreated of that id from any other ministry (a
 * back-dated or duplicate creation meant to take the referral over and become a party to it) is
 * refused, sealed or not. A key without a ministry (a tombstone) binds nothing.
 */
export function foreignCreation(eventId: string, sourceMinistry: string, key: SubjectKeyState | undefined): Rejection | null {
  if (!key || key.state === 'missing' || !key.createdBy || !MINISTRIES.has(key.createdBy) || key.createdBy === sourceMinistry) return null;
  return {
    code: REFERRAL_ID_OF_ANOTHER_MINISTRY,
    text: `ReferralCreated ${eventId} from ${sourceMinistry} names a referral id created by another ministry`,
  };
}

/** The sealed subject a ReferralCreated body carries, or null for a legacy plaintext one. */
export function sealedSubjectOf(body: Readonly<Record<string, unknown>>): SealedSubject | null {
  const sealed = body['sealedSubject'];
  return sealed && typeof sealed === 'object' ? (sealed as SealedSubject) : null;
}

export type Opening = { readonly ok: true; readonly opened: OpenedSubject } | { readonly ok: false; readonly rejection: Rejection };

/**
 * Opens one sealed subject with its referral's key. A destroyed key is not an error: the subject
 * is unreadable for good, as a rebuild after a withdrawal must find it. A missing key or a value
 * that does not open under the key is: the event is dead-lettered (never the value in the reason).
 */
export function openSealedSubject(referralId: string, eventId: string, sealed: SealedSubject, key: SubjectKeyState | undefined): Opening {
  if (!key || key.state === 'missing') {
    return {
      ok: false,
      rejection: {
        code: SEALED_SUBJECT_UNREADABLE,
        text: `ReferralCreated ${eventId} is sealed but the key store holds no data key for its referral`,
      },
    };
  }
  if (key.state === 'destroyed') return { ok: true, opened: UNREADABLE_SUBJECT };
  try {
    const fields = openSubject(referralId, key.key, sealed);
    return { ok: true, opened: { subjectPseudonym: fields.subjectPseudonym, populationFlags: fields.populationFlags } };
  } catch (error) {
    if (!(error instanceof SealError) && !(error instanceof SyntaxError)) throw error;
    return {
      ok: false,
      rejection: {
        code: SEALED_SUBJECT_UNREADABLE,
        text: `ReferralCreated ${eventId}: its sealed subject does not open with its referral's data key (forged or tampered)`,
      },
    };
  }
}
