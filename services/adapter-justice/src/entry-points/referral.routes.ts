import type { Router } from 'express';
import {
  csvContract,
  jsonContract,
  parseCsvBatch,
  parseNative,
  type AdapterKit,
  type MappingContext,
  type NativeRecord,
} from '@passerelle/adapter';
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

const fixtures = new URL('../../fixtures/', import.meta.url);

/** The routes as mounted below and as /openapi.json describes them. */
export const referralContracts = {
  referral: jsonContract({
    path: '/referrals',
    summary: 'One case-management referral (VWAP, court support, Victim Quick Response)',
    schema: justiceReferralSchema,
    events: ['ReferralCreated'],
    examples: [new URL('vwap-referral.json', fixtures), new URL('court-support-referral-minimal.json', fixtures)],
  }),
  batch: csvContract({
    path: '/referrals/batch',
    summary: 'A CSV batch upload, one referral per row',
    spec: {
      required: JUSTICE_BATCH_REQUIRED,
      optional: JUSTICE_BATCH_OPTIONAL,
      freeText: JUSTICE_BATCH_FREE_TEXT,
      row: justiceBatchRowSchema,
      maxRows: MAX_BATCH_ROWS,
    },
    events: ['ReferralCreated'],
    examples: [new URL('referral-batch.csv', fixtures)],
  }),
};

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
  const { referral: single, batch } = referralContracts;
  router.post(single.path, ...kit.json(single.body.mediaTypes), async (req, res) => {
    const referral = parseNative(single.body.schema, req.body);
    await kit.accept(req, res, [referralRecord(kit, referral, kit.mappingContext())]);
  });

  router.post(batch.path, ...kit.csv(), async (req, res) => {
    const rows = parseCsvBatch(req.body as string, batch.body.spec);
    const ctx = kit.mappingContext();
    await kit.accept(
      req,
      res,
      rows.map((row) => referralRecord(kit, batchRowToReferral(row.value), ctx, row.row)),
    );
  });
}
