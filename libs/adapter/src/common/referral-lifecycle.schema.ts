import { z } from 'zod';
import { whenObject } from '../field-problems.ts';
import {
  REFERRAL_STATUS_REASON_SYMBOLS,
  REFERRAL_STATUS_SYMBOLS,
  type ReferralStatus,
  type ReferralStatusReason,
} from '@passerelle/schemas/generated';
import { droppedText, instant, lowerCodeOf, passerelleId, sourceId } from '../native-fields.ts';

/**
 * Status changes and consent withdrawals name their referral by the ministry's own number
 * (`referenceField`, e.g. referralNumber) or, for a referral another ministry made, by the
 * Passerelle referralId it was given.
 */
function exactlyOneTarget(referenceField: string) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    if ((value[referenceField] === undefined) === (value['referralId'] === undefined)) {
      ctx.addIssue({ code: 'custom', path: [referenceField], message: `give exactly one of ${referenceField} and referralId` });
    }
  };
}

/** Parsed lifecycle records; the reference sits under the ministry's own field name. */
export interface ParsedStatusChange {
  readonly referralId?: string;
  readonly status: Exclude<ReferralStatus, 'UNKNOWN'>;
  readonly reason?: Exclude<ReferralStatusReason, 'UNKNOWN'>;
  readonly changedAt: number;
  readonly [referenceField: string]: unknown;
}

export interface ParsedConsentWithdrawal {
  readonly referralId?: string;
  readonly withdrawnAt: number;
  readonly [referenceField: string]: unknown;
}

export function referralStatusChangeSchema(referenceField: string): z.ZodType<ParsedStatusChange> {
  const schema = z
    .strictObject({
      [referenceField]: sourceId().optional(),
      referralId: passerelleId().optional(),
      status: lowerCodeOf(REFERRAL_STATUS_SYMBOLS),
      reason: lowerCodeOf(REFERRAL_STATUS_REASON_SYMBOLS).optional(),
      changedAt: instant(),
      notes: droppedText(),
    })
    .superRefine(exactlyOneTarget(referenceField), { when: whenObject });
  return schema as unknown as z.ZodType<ParsedStatusChange>;
}

export function consentWithdrawalSchema(referenceField: string): z.ZodType<ParsedConsentWithdrawal> {
  const schema = z
    .strictObject({
      [referenceField]: sourceId().optional(),
      referralId: passerelleId().optional(),
      withdrawnAt: instant(),
      notes: droppedText(),
    })
    .superRefine(exactlyOneTarget(referenceField), { when: whenObject });
  return schema as unknown as z.ZodType<ParsedConsentWithdrawal>;
}
