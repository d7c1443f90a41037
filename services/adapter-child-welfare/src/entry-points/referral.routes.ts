import type { Router } from 'express';
import {
  consentSourceKey,
  consentWithdrawalContent,
  csvContract,
  jsonContract,
  parseCsvBatch,
  parseNative,
  statusChangeContent,
  statusSourceKey,
  type AdapterKit,
  type MappingContext,
  type NativeRecord,
} from '@passerelle/adapter';
import {
  CAS_EXPORT_FREE_TEXT,
  CAS_EXPORT_OPTIONAL,
  CAS_EXPORT_REQUIRED,
  casExportRowSchema,
  casReferralSchema,
  type CasExportRow,
  type CasReferral,
} from '../domain/cas-record.schema.ts';
import {
  codedContentOf,
  mapCasConsentWithdrawalRow,
  mapCasReferral,
  mapCasStatusRow,
  personOf,
  rowToReferral,
  sourceIdOf,
  statusOfRow,
} from '../domain/cas-record.mapper.ts';

const MAX_EXPORT_ROWS = 5_000;

const fixtures = new URL('../../fixtures/', import.meta.url);

/** The routes as mounted below and as /openapi.json describes them. */
export const referralContracts = {
  referral: jsonContract({
    path: '/referrals',
    summary: 'One referral from a children’s aid society (JSON)',
    schema: casReferralSchema,
    events: ['ReferralCreated'],
    examples: [new URL('cas-referral.json', fixtures)],
  }),
  batch: csvContract({
    path: '/referrals/batch',
    summary: 'A society’s CSV export: referrals, status changes and consent withdrawals by row',
    spec: {
      required: CAS_EXPORT_REQUIRED,
      optional: CAS_EXPORT_OPTIONAL,
      freeText: CAS_EXPORT_FREE_TEXT,
      row: casExportRowSchema,
      maxRows: MAX_EXPORT_ROWS,
    },
    events: ['ReferralCreated', 'ReferralStatusChanged', 'ConsentWithdrawn'],
    examples: [new URL('cas-export.csv', fixtures)],
  }),
};

function referralRecord(kit: AdapterKit, referral: CasReferral, ctx: MappingContext, row?: number): NativeRecord {
  const source = sourceIdOf(referral.casReference);
  return {
    sourceKey: source,
    content: codedContentOf(referral),
    ...(row === undefined ? {} : { row, label: `row ${row}` }),
    build: async (ids) => {
      const person = personOf(referral);
      const referralId = await ids.idFor('referral', source);
      return [
        {
          type: 'ReferralCreated',
          payload: mapCasReferral(referral, { referralId, subjectPseudonym: kit.pseudonymiser.person(person.system, person.id) }, ctx),
        },
      ];
    },
  };
}

function exportRowRecord(kit: AdapterKit, row: CasExportRow, line: number, ctx: MappingContext): NativeRecord {
  if (row.record_type === 'referral') return referralRecord(kit, rowToReferral(row), ctx, line);
  const source = sourceIdOf(row.cas_reference);
  const where = { row: line, label: `row ${line}` };
  // A status or withdrawal row names a referral accepted before, or by an earlier row of this export.
  const referenceField = `row ${line}, column cas_reference`;
  if (row.record_type === 'status') {
    const change = statusOfRow(row);
    return {
      ...where,
      sourceKey: statusSourceKey(source, change),
      content: statusChangeContent(source, change),
      build: async (ids) => [
        { type: 'ReferralStatusChanged', payload: mapCasStatusRow(row, await ids.createdIdFor('referral', source, referenceField), ctx) },
      ],
    };
  }
  return {
    ...where,
    sourceKey: consentSourceKey(source),
    content: consentWithdrawalContent(source, row.event_date),
    build: async (ids) => [
      {
        type: 'ConsentWithdrawn',
        payload: mapCasConsentWithdrawalRow(row, await ids.createdIdFor('referral', source, referenceField), ctx),
      },
    ],
  };
}

/** POST /referrals (one JSON record) and POST /referrals/batch (a society's CSV export). */
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
      rows.map((row) => exportRowRecord(kit, row.value, row.row, ctx)),
    );
  });
}
