import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startViewApi, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';
import { expectedFigures, figuresOfBody, viewRows } from './published-figures.ts';
import { SEED } from './view-seed.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * After a consent withdrawal the referral is reduced to what counts need: it is no longer served
 * person by person (list, by id), to anyone, while it stays in the published counts.
 */
let h: ViewApiHarness;

beforeAll(async () => {
  h = await startViewApi(inject('stack').databaseUrl, 'view_api_withdrawn');
  // What the projector leaves after a ConsentWithdrawn: no pseudonym, no flags, the time of withdrawal.
  await h.db
    .withSchema(VIEW_SCHEMA)
    .table(VIEW_TABLE.referrals)
    .where('referral_id', SEED.justiceToChildWelfare)
    .update({ subject_pseudonym: null, consent_withdrawn_at: new Date('2026-03-20T00:00:00Z') });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('a withdrawn referral', () => {
  it('is served by id to nobody, and listed to nobody', async () => {
    for (const [role, ministry] of [['coordination-office'], ['ministry', 'JUSTICE'], ['ministry', 'CHILD_WELFARE']] as const) {
      const token = await h.token(role, ministry);
      const one = await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}`, token);
      expect(one.status, `${role} ${ministry ?? ''}`).toBe(404);
      const listed = (await (await h.get('/v1/referrals?region=TORONTO&limit=200', token)).json()) as {
        items: Array<{ referralId: string }>;
      };
      expect(listed.items.map((r) => r.referralId)).not.toContain(SEED.justiceToChildWelfare);
    }
    // Another referral of the same region stays listed.
    const office = (await (await h.get('/v1/referrals?region=TORONTO&limit=200', await h.token('coordination-office'))).json()) as {
      items: Array<{ referralId: string }>;
    };
    expect(office.items.map((r) => r.referralId)).toContain(SEED.healthToHealth);
  });

  it('has no flow for anyone, operators included', async () => {
    for (const [role, ministry] of [['operator'], ['coordination-office'], ['ministry', 'JUSTICE']] as const) {
      expect((await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}/flow`, await h.token(role, ministry))).status, role).toBe(404);
    }
    expect((await h.get(`/v1/referrals/${SEED.healthToHealth}/flow`, await h.token('operator'))).status).toBe(200);
  });

  it('still counts in the published figures', async () => {
    const rows = await viewRows(h.db, VIEW_SCHEMA);
    expect(rows).toHaveLength(23);
    const body = (await (await h.get('/v1/stats/referrals?groupBy=region', await h.token('coordination-office'))).json()) as never;
    expect(figuresOfBody(body)).toEqual(expectedFigures(rows, { groupBy: ['region'] }));
  });
});

describe('a view still being keyed', () => {
  it('publishes no figure while a referral has no record key (503), and figures again once keyed', async () => {
    const office = await h.token('coordination-office');
    const table = h.db.withSchema(VIEW_SCHEMA).table(VIEW_TABLE.referrals);
    const [row] = (await table.clone().where('referral_id', SEED.healthToHealth).select('record_key')) as Array<{ record_key: string }>;
    await h.db.raw(`ALTER TABLE view.${VIEW_TABLE.referrals} ALTER COLUMN record_key DROP NOT NULL`);
    await h.db.withSchema(VIEW_SCHEMA).table(VIEW_TABLE.referrals).where('referral_id', SEED.healthToHealth).update({ record_key: null });
    try {
      const response = await h.get('/v1/stats/referrals?groupBy=region', office);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 503 });
    } finally {
      await h.db
        .withSchema(VIEW_SCHEMA)
        .table(VIEW_TABLE.referrals)
        .where('referral_id', SEED.healthToHealth)
        .update({ record_key: row?.record_key });
      await h.db.raw(`ALTER TABLE view.${VIEW_TABLE.referrals} ALTER COLUMN record_key SET NOT NULL`);
    }
    expect((await h.get('/v1/stats/referrals?groupBy=region', office)).status).toBe(200);
  });
});
