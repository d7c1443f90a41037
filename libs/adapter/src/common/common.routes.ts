import type { Router } from 'express';
import { parseNative } from '../field-problems.ts';
import type { AdapterKit } from '../adapter-service.ts';
import type { CommonContracts } from './common.contracts.ts';
import { gapSourceId, mapServiceGapReport, mapServiceGapResolution } from './service-gap.mapper.ts';
import { checkLeadership, mapInitiativeMilestone, milestoneSourceKey } from './initiative-milestone.mapper.ts';
import {
  consentSourceKey,
  consentWithdrawalContent,
  mapConsentWithdrawal,
  mapStatusChange,
  referralSourceId,
  statusChangeContent,
  statusSourceKey,
} from './referral-lifecycle.mapper.ts';

/**
 * Service gaps, initiative milestones and referral lifecycle records: the same JSON shapes at every
 * adapter, mounted as their contracts (common.contracts.ts) describe them.
 */
export function mountCommonRoutes(router: Router, kit: AdapterKit, contracts: CommonContracts, referenceField?: string): void {
  const { statusChanges, consentWithdrawals, serviceGaps, gapResolutions, milestones } = contracts;
  /** The field a refusal names when the referral's source number is unknown here (never its value). */
  const referenceName = referenceField ?? 'referralId';
  /** The referral a lifecycle record names, as a source id for the allocator or a Passerelle id as is. */
  const target = (value: Record<string, unknown>): { sourceId?: string; referralId?: string } =>
    typeof value['referralId'] === 'string'
      ? { referralId: value['referralId'] }
      : { sourceId: referralSourceId(String(value[referenceField ?? ''])) };

  if (statusChanges) {
    router.post(statusChanges.path, ...kit.json(statusChanges.body.mediaTypes), async (req, res) => {
      const change = parseNative(statusChanges.body.schema, req.body);
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
              payload: mapStatusChange(
                change,
                to.referralId ?? (await ids.createdIdFor('referral', to.sourceId ?? '', referenceName)),
                ctx,
              ),
            },
          ],
        },
      ]);
    });
  }

  if (consentWithdrawals) {
    router.post(consentWithdrawals.path, ...kit.json(consentWithdrawals.body.mediaTypes), async (req, res) => {
      const withdrawal = parseNative(consentWithdrawals.body.schema, req.body);
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
              payload: mapConsentWithdrawal(
                withdrawal.withdrawnAt,
                to.referralId ?? (await ids.createdIdFor('referral', to.sourceId ?? '', referenceName)),
                ctx,
              ),
            },
          ],
        },
      ]);
    });
  }

  if (serviceGaps) {
    router.post(serviceGaps.path, ...kit.json(serviceGaps.body.mediaTypes), async (req, res) => {
      const report = parseNative(serviceGaps.body.schema, req.body);
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
  }

  if (gapResolutions) {
    router.post(gapResolutions.path, ...kit.json(gapResolutions.body.mediaTypes), async (req, res) => {
      const resolution = parseNative(gapResolutions.body.schema, req.body);
      const ctx = kit.mappingContext();
      const target = resolution.gapId ?? gapSourceId(resolution.gapReference ?? '');
      await kit.accept(req, res, [
        {
          sourceKey: `gap-resolution|${target}`,
          content: { ...resolution, notes: undefined },
          build: async (ids) => [
            {
              type: 'ServiceGapResolved',
              payload: mapServiceGapResolution(
                resolution,
                resolution.gapId ?? (await ids.createdIdFor('gap', target, 'gapReference')),
                ctx,
              ),
            },
          ],
        },
      ]);
    });
  }

  if (milestones) {
    router.post(milestones.path, ...kit.json(milestones.body.mediaTypes), async (req, res) => {
      const milestone = parseNative(milestones.body.schema, req.body);
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
