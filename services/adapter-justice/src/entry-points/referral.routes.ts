import type { Router } from 'express';
import { parseCsvBatch, parseNative, type AdapterKit, type MappingContext, type NativeRecord } from '@passerelle/adapter';
import {
  JUSTICE_BATCH_FREE_TEXT,
  JUSTICE_BATCH_OPTIONAL,
  JUSTICE_BATCH_REQUIRED,
  batchRowToReferral,
  justiceBatchRowSchema,
  justiceReferralSchema,
  type JusticeReferral,
} from '../domain/justice-referral.schema.ts';
import { codedContentOf, mapJusticeReferral, personOf, sourceIdOf } from '../domain/justice-referral.mapper.ts';

/** Most rows one upload may carry; larger exports are split by the sender. */
const MAX_BATCH_ROWS = 5_000;

function referralRecord(kit: AdapterKit, referral: JusticeReferral, ctx: MappingContext, row?: number): NativeRecord {
  return {
    sourceKey: sourceIdOf(referral),
    content: codedContentOf(referral),
    ...(row === undefined ? {} : { row, label: `row ${row}` }),
    build: async (ids) => {
      const person = personOf(referral);
      const referralId = await ids.idFor('referral', sourceIdOf(referral));
      const subjectPseudonym = kit.pseudonymiser.person(person.system, person.id);
      return [{ type: 'ReferralCreated', payload: mapJusticeReferral(referral, { referralId, subjectPseudonym }, ctx) }];
    },
  };
}

/** POST /referrals (one case-management record, JSON) and POST /referrals/batch (CSV upload). */
export function mountReferralRoutes(router: Router, kit: AdapterKit): void {
  router.post('/referrals', ...kit.json(), async (req, res) => {
    const referral = parseNative(justiceReferralSchema, req.body);
    await kit.accept(req, res, [referralRecord(kit, referral, kit.mappingContext())]);
  });

  router.post('/referrals/batch', ...kit.csv(), async (req, res) => {
    const rows = parseCsvBatch(req.body as string, {
      required: JUSTICE_BATCH_REQUIRED,
      optional: JUSTICE_BATCH_OPTIONAL,
      freeText: JUSTICE_BATCH_FREE_TEXT,
      row: justiceBatchRowSchema,
      maxRows: MAX_BATCH_ROWS,
    });
    const ctx = kit.mappingContext();
    await kit.accept(
      req,
      res,
      rows.map((row) => referralRecord(kit, batchRowToReferral(row.value), ctx, row.row)),
    );
  });
}
