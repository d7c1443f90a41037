import { SEALED_PSEUDONYM_PLACEHOLDER } from '@passerelle/contracts';
import { openSealedSubject, sealedSubjectOf, type SubjectKeyState } from './subject-opening.ts';

/**
 * What `erasure verify` decides about one copy of a referral's subject: whether anything
 * person-level can still be read from it. Pure: the places are read by the entry point.
 */

/** Why a copy is readable: a plaintext pseudonym or flags (a legacy event), or a sealed value its live key opens. */
export type Readability = 'plaintext' | 'sealed-key-live';

/** One place where something of the subject can still be read: where, how many copies, why. Never the value. */
export interface ErasureFinding {
  readonly place: string;
  readonly count: number;
  readonly why: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A referral id as the command takes it; undefined when it is not a UUID. */
export function parseReferralId(value: string | undefined): string | undefined {
  return value !== undefined && UUID.test(value) ? value.toLowerCase() : undefined;
}

const hasFlags = (flags: unknown) =>
  !!flags &&
  typeof flags === 'object' &&
  Object.values(flags as Record<string, unknown>).some((value) => value !== null && value !== undefined);

/**
 * Whether an event body (a ReferralCreated's fields, as history rows, outboxes and decoded
 * messages hold them) still gives away its subject: a pseudonym other than the placeholder, a
 * flag that is not null, or a sealed subject that opens with the referral's key.
 */
export function readabilityOf(
  referralId: string,
  body: Readonly<Record<string, unknown>>,
  key: SubjectKeyState | undefined,
): Readability | undefined {
  const pseudonym = body['subjectPseudonym'];
  if (typeof pseudonym === 'string' && pseudonym !== '' && pseudonym !== SEALED_PSEUDONYM_PLACEHOLDER) return 'plaintext';
  if (hasFlags(body['populationFlags'])) return 'plaintext';
  const sealed = sealedSubjectOf(body);
  if (sealed && key?.state === 'live' && openSealedSubject(referralId, '', sealed, key).ok) return 'sealed-key-live';
  return undefined;
}

export const READABILITY_TEXT: Readonly<Record<Readability, string>> = {
  plaintext: 'plaintext pseudonym or population flags (a legacy event: migrate it with `topics seal`)',
  'sealed-key-live': "sealed subject that the referral's live data key opens",
};

/** Tallies readable copies by place and reason, in the order places were first seen. */
export class FindingTally {
  private readonly counts = new Map<string, { place: string; why: string; count: number }>();

  add(place: string, why: string, count = 1): void {
    if (count <= 0) return;
    const key = `${place}\u0000${why}`;
    const entry = this.counts.get(key);
    if (entry) entry.count += count;
    else this.counts.set(key, { place, why, count });
  }

  addReadable(place: string, readability: Readability | undefined): void {
    if (readability) this.add(place, READABILITY_TEXT[readability]);
  }

  findings(): ErasureFinding[] {
    return [...this.counts.values()].map(({ place, why, count }) => ({ place, count, why }));
  }
}
