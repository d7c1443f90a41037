import type { z } from 'zod';
import { exampleIn, jsonContract, type JsonBodyContract, type RouteContract } from '../route-contract.ts';
import { initiativeMilestoneSchema } from './initiative-milestone.schema.ts';
import { consentWithdrawalSchema, referralStatusChangeSchema } from './referral-lifecycle.schema.ts';
import { serviceGapReportSchema, serviceGapResolutionSchema } from './service-gap.schema.ts';

export interface CommonRoutes {
  readonly serviceGaps: boolean;
  readonly milestones: boolean;
  /** JSON status changes and consent withdrawals, naming referrals by this field of the ministry's own. */
  readonly referralLifecycle?: { readonly referenceField: string };
}

type Contract<S extends z.ZodType> = RouteContract<JsonBodyContract<S>>;

/** The common routes an adapter mounts, each with its example read from the adapter's fixtures by a fixed name. */
export interface CommonContracts {
  readonly statusChanges?: Contract<ReturnType<typeof referralStatusChangeSchema>>;
  readonly consentWithdrawals?: Contract<ReturnType<typeof consentWithdrawalSchema>>;
  readonly serviceGaps?: Contract<typeof serviceGapReportSchema>;
  readonly gapResolutions?: Contract<typeof serviceGapResolutionSchema>;
  readonly milestones?: Contract<typeof initiativeMilestoneSchema>;
}

/**
 * The contracts of the common routes `which` mounts. Examples are the adapter's own fixtures
 * (`status-change.json`, `consent-withdrawal.json`, `service-gap.json`,
 * `service-gap-resolution.json`, `initiative-milestone.json`), since reference fields and the
 * initiatives a party leads differ from one adapter to the next.
 */
export function commonContracts(which: CommonRoutes, fixtures: URL): CommonContracts {
  const lifecycle = which.referralLifecycle;
  const field = lifecycle?.referenceField;
  return {
    ...(field === undefined
      ? {}
      : {
          statusChanges: jsonContract({
            path: '/referrals/status-changes',
            summary: 'A referral’s status changed',
            description: `The referral is named by the ministry’s own \`${field}\` or, for a referral another ministry made, by the Passerelle \`referralId\` it was given: exactly one of the two. A \`${field}\` this adapter never accepted a referral under is refused with 400, nothing written.`,
            schema: referralStatusChangeSchema(field),
            events: ['ReferralStatusChanged'],
            examples: exampleIn(fixtures, 'status-change.json'),
          }),
          consentWithdrawals: jsonContract({
            path: '/referrals/consent-withdrawals',
            summary: 'Consent to share a referral was withdrawn',
            description: `The referral is named by \`${field}\` (a referral this adapter accepted, else 400) or \`referralId\`, exactly one. Its data key is destroyed downstream; a later copy of the referral is refused with 409.`,
            schema: consentWithdrawalSchema(field),
            events: ['ConsentWithdrawn'],
            examples: exampleIn(fixtures, 'consent-withdrawal.json'),
          }),
        }),
    ...(which.serviceGaps
      ? {
          serviceGaps: jsonContract({
            path: '/service-gaps',
            summary: 'A service gap was observed',
            schema: serviceGapReportSchema,
            events: ['ServiceGapReported'],
            examples: exampleIn(fixtures, 'service-gap.json'),
          }),
          gapResolutions: jsonContract({
            path: '/service-gaps/resolutions',
            summary: 'A service gap was closed',
            description:
              'The gap is named by the ministry’s `gapReference` (a gap this adapter reported, else 400) or by Passerelle’s `gapId`, exactly one.',
            schema: serviceGapResolutionSchema,
            events: ['ServiceGapResolved'],
            examples: exampleIn(fixtures, 'service-gap-resolution.json'),
          }),
        }
      : {}),
    ...(which.milestones
      ? {
          milestones: jsonContract({
            path: '/initiative-milestones',
            summary: 'A milestone of a strategy initiative this party leads',
            schema: initiativeMilestoneSchema,
            events: ['InitiativeMilestoneRecorded'],
            examples: exampleIn(fixtures, 'initiative-milestone.json'),
            forbiddenWhen: 'the initiative is led by another party (the catalogue names the lead)',
          }),
        }
      : {}),
  };
}

/** The contracts as a list, in the order the routes are mounted (consent withdrawals last). */
export function commonContractList(contracts: CommonContracts): RouteContract[] {
  return [
    contracts.serviceGaps,
    contracts.gapResolutions,
    contracts.milestones,
    contracts.statusChanges,
    contracts.consentWithdrawals,
  ].filter((contract): contract is NonNullable<typeof contract> => contract !== undefined);
}
