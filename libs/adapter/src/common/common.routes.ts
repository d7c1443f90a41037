import type { Router } from 'express';
import { parseNative } from '../field-problems.ts';
import type { AdapterKit } from '../adapter-service.ts';
import { serviceGapReportSchema, serviceGapResolutionSchema } from './service-gap.schema.ts';
import { gapSourceId, mapServiceGapReport, mapServiceGapResolution } from './service-gap.mapper.ts';
import { initiativeMilestoneSchema } from './initiative-milestone.schema.ts';
import { checkLeadership, mapInitiativeMilestone, milestoneSourceKey } from './initiative-milestone.mapper.ts';
import { consentWithdrawalSchema, referralStatusChangeSchema } from './referral-lifecycle.schema.ts';
import {
  consentSourceKey,
  consentWithdrawalContent,
  mapConsentWithdrawal,
  mapStatusChange,
  referralSourceId,
  statusChangeContent,
  statusSourceKey,
} from './referral-lifecycle.mapper.ts';

export interface CommonRoutes {
  readonly serviceGaps: boolean;
  readonly milestones: boolean;
  /** JSON status changes and consent withdrawals, naming referrals by this field of the ministry's own. */
  readonly referralLifecycle?: { readonly referenceField: string };
}

/** Service gaps, initiative milestones and referral lifecycle records: the same JSON shapes at every adapter. */
export function mountCommonRoutes(router: Router, kit: AdapterKit, which: CommonRoutes): void {
  const lifecycle = which.referralLifecycle;
  if (lifecycle) {
    const field = lifecycle.referenceField;
    const statusSchema = referralStatusChangeSchema(field);
    const consentSchema = consentWithdrawalSchema(field);
    /** The referral a lifecycle record names, as a source id for the allocator or a Passerelle id as is. */
    const target = (value: Record<string, unknown>): { sourceId?: string; referralId?: string } =>
      typeof value['referralId'] === 'string' ? { referralId: value['referralId'] } : { sourceId: referralSourceId(String(value[field])) };

    router.post('/referrals/status-changes', ...kit.json(), async (req, res) => {
      const change = parseNative(statusSchema, req.body);
      const to = target(change);
      const ctx = kit.mappingContext();
      const targetKey = to.referralId ?? to.sourceId ?? '';
      await kit.accept(req, res, [
        {
          sourceKey: statusSourceKey(targetKey, change),
          content: statusChangeContent(targetKey, change),
          build: async (ids) => [
            {
              type: 'ReferralStatusChanged',
              payload: mapStatusChange(change, to.referralId ?? (await ids.idFor('referral', to.sourceId ?? '')), ctx),
            },
          ],
        },
      ]);
    });

    router.post('/referrals/consent-withdrawals', ...kit.json(), async (req, res) => {
      const withdrawal = parseNative(consentSchema, req.body);
      const to = target(withdrawal);
      const ctx = kit.mappingContext();
      const targetKey = to.referralId ?? to.sourceId ?? '';
      await kit.accept(req, res, [
        {
          sourceKey: consentSourceKey(targetKey),
          content: consentWithdrawalContent(targetKey, withdrawal.withdrawnAt),
          build: async (ids) => [
            {
              type: 'ConsentWithdrawn',
              payload: mapConsentWithdrawal(withdrawal.withdrawnAt, to.referralId ?? (await ids.idFor('referral', to.sourceId ?? '')), ctx),
            },
          ],
        },
      ]);
    });
  }

  if (which.serviceGaps) {
    router.post('/service-gaps', ...kit.json(), async (req, res) => {
      const report = parseNative(serviceGapReportSchema, req.body);
      const ctx = kit.mappingContext();
      await kit.accept(req, res, [
        {
          sourceKey: gapSourceId(report.gapReference),
          // Free text is left out of the fingerprint: it never leaves, so editing it changes nothing.
          content: { ...report, description: undefined },
          build: async (ids) => [
            {
              type: 'ServiceGapReported',
              payload: mapServiceGapReport(report, await ids.idFor('gap', gapSourceId(report.gapReference)), ctx),
            },
          ],
        },
      ]);
    });

    router.post('/service-gaps/resolutions', ...kit.json(), async (req, res) => {
      const resolution = parseNative(serviceGapResolutionSchema, req.body);
      const ctx = kit.mappingContext();
      const target = resolution.gapId ?? gapSourceId(resolution.gapReference ?? '');
      await kit.accept(req, res, [
        {
          sourceKey: `gap-resolution|${target}`,
          content: { ...resolution, notes: undefined },
          build: async (ids) => [
            {
              type: 'ServiceGapResolved',
              payload: mapServiceGapResolution(resolution, resolution.gapId ?? (await ids.idFor('gap', target)), ctx),
            },
          ],
        },
      ]);
    });
  }

  if (which.milestones) {
    router.post('/initiative-milestones', ...kit.json(), async (req, res) => {
      const milestone = parseNative(initiativeMilestoneSchema, req.body);
      checkLeadership(milestone.initiativeId, kit.ministry, kit.initiatives);
      const ctx = kit.mappingContext();
      await kit.accept(req, res, [
        {
          sourceKey: milestoneSourceKey(milestone),
          content: { ...milestone, notes: undefined },
          build: async () => [{ type: 'InitiativeMilestoneRecorded', payload: mapInitiativeMilestone(milestone, ctx) }],
        },
      ]);
    });
  }
}
