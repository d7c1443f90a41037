import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startViewApi, API_SCHEMA, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';
import { expectedFigures, figuresOfBody, searchOf, viewRows } from './published-figures.ts';
import { SEED } from './view-seed.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const stack = inject('stack');
let h: ViewApiHarness;
let initiativeId: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  h = await startViewApi(stack.databaseUrl, 'view_api');
  tokens['coordination-office'] = await h.token('coordination-office');
  tokens['justice'] = await h.token('ministry', 'JUSTICE');
  tokens['health'] = await h.token('ministry', 'HEALTH');
  tokens['operator'] = await h.token('operator');
  tokens['indigenous-partner'] = await h.token('indigenous-partner');
  initiativeId = (
    (await h.db.withSchema('view').table(VIEW_TABLE.initiatives).select('initiative_id').orderBy('initiative_id').first()) as {
      initiative_id: string;
    }
  ).initiative_id;
});
afterAll(async () => {
  await h?.close();
});

const auditRows = async () => Number(((await h.db.withSchema(API_SCHEMA).table('audit').count({ n: '*' })) as Array<{ n: string }>)[0]?.n);

describe('view API access control', () => {
  // caller → expected status, per endpoint. JUSTICE referred R1 to CHILD_WELFARE; HEALTH is neither party.
  // A role without referral access gets 403 for any id; a referral the caller may not see, 404 like a missing one.
  const matrix: Array<[string, Record<string, number>]> = [
    ['/v1/referrals', { 'coordination-office': 200, justice: 200, health: 200, operator: 403, 'indigenous-partner': 200 }],
    [
      `/v1/referrals/${SEED.justiceToChildWelfare}`,
      { 'coordination-office': 200, justice: 200, health: 404, operator: 403, 'indigenous-partner': 404 },
    ],
    [
      `/v1/referrals/${SEED.justiceToChildWelfare}/flow`,
      { 'coordination-office': 200, justice: 200, health: 404, operator: 200, 'indigenous-partner': 404 },
    ],
    [
      `/v1/referrals/${SEED.indigenousControlled}`,
      { 'coordination-office': 404, justice: 404, health: 404, operator: 403, 'indigenous-partner': 200 },
    ],
    [
      `/v1/referrals/${SEED.aggregateOnly}`,
      { 'coordination-office': 404, justice: 404, health: 404, operator: 403, 'indigenous-partner': 404 },
    ],
    [
      '/v1/stats/referrals?groupBy=region',
      { 'coordination-office': 200, justice: 200, health: 200, operator: 403, 'indigenous-partner': 200 },
    ],
    ['/v1/initiatives', { 'coordination-office': 200, justice: 200, health: 200, operator: 403, 'indigenous-partner': 200 }],
    ['/v1/initiatives/{initiative}', { 'coordination-office': 200, justice: 200, health: 200, operator: 403, 'indigenous-partner': 200 }],
    ['/v1/service-gaps', { 'coordination-office': 200, justice: 200, health: 200, operator: 403, 'indigenous-partner': 200 }],
    ['/v1/service-gaps/summary', { 'coordination-office': 200, justice: 200, health: 200, operator: 403, 'indigenous-partner': 200 }],
    ['/v1/dead-letters', { 'coordination-office': 403, justice: 403, health: 403, operator: 200, 'indigenous-partner': 403 }],
    ['/v1/pipeline', { 'coordination-office': 403, justice: 403, health: 403, operator: 200, 'indigenous-partner': 403 }],
    ['/v1/audit', { 'coordination-office': 200, justice: 403, health: 403, operator: 403, 'indigenous-partner': 403 }],
  ];

  for (const [path, expected] of matrix) {
    for (const [caller, status] of Object.entries(expected)) {
      it(`${caller} gets ${status} from ${path}`, async () => {
        const response = await h.get(path.replace('{initiative}', initiativeId), tokens[caller]);
        expect(response.status).toBe(status);
        if (status === 403) {
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          expect(await response.json()).toMatchObject({ status: 403, title: 'Forbidden' });
        }
        if (status === 404) {
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          expect(await response.json()).toMatchObject({ status: 404, title: 'Not found', detail: 'no such referral' });
        }
      });
    }
  }

  it('answers 401 with problem details for a missing, forged, expired or wrong-audience token on every endpoint', async () => {
    const forged = await h.token('coordination-office', undefined, { secret: 'another-secret-another-secret-another' });
    const expired = await h.token('coordination-office', undefined, { expiresIn: '-1m' });
    const wrongAudience = await h.token('coordination-office', undefined, { audience: 'someone-else' });
    for (const [path] of matrix) {
      for (const token of [undefined, forged, expired, wrongAudience, 'not-a-jwt']) {
        const response = await h.get(path.replace('{initiative}', initiativeId), token);
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
      }
    }
  });

  it('answers 403 to a token with an unknown role or a ministry token without a ministry', async () => {
    expect((await h.get('/v1/stats/referrals', await h.token('admin'))).status).toBe(403);
    expect((await h.get('/v1/stats/referrals', await h.token('ministry'))).status).toBe(403);
  });

  it('shows a ministry only the referrals it made or received, with standard consent', async () => {
    const body = (await (await h.get('/v1/referrals', tokens['justice'])).json()) as { items: Array<{ referralId: string }> };
    expect(body.items.map((r) => r.referralId)).toEqual([SEED.justiceToChildWelfare]);
  });

  it('keeps OCAP-controlled referrals for the Indigenous partner and aggregate-only ones from everyone', async () => {
    const partner = (await (await h.get('/v1/referrals', tokens['indigenous-partner'])).json()) as { items: Array<{ referralId: string }> };
    expect(partner.items.map((r) => r.referralId)).toEqual([SEED.indigenousControlled]);
    const office = (await (await h.get('/v1/referrals?limit=200', tokens['coordination-office'])).json()) as {
      items: Array<{ referralId: string }>;
    };
    const ids = office.items.map((r) => r.referralId);
    expect(ids).toHaveLength(21);
    expect(ids).not.toContain(SEED.indigenousControlled);
    expect(ids).not.toContain(SEED.aggregateOnly);
  });
});

describe('view API audit', () => {
  it('writes exactly one audit row per person-level response, naming the ids returned', async () => {
    const before = await auditRows();
    const response = await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}`, tokens['justice']);
    expect(response.status).toBe(200);
    expect(await auditRows()).toBe(before + 1);
    const [row] = (await h.db.withSchema(API_SCHEMA).table('audit').orderBy('id', 'desc').limit(1)) as Array<Record<string, unknown>>;
    expect(row).toMatchObject({
      subject: 'dev-ministry-justice',
      role: 'ministry',
      ministry: 'JUSTICE',
      endpoint: '/v1/referrals/:id',
      outcome: 'allowed',
      status: 200,
      reason: null,
    });
    expect(row?.['hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(String(row?.['referral_ids'])).toContain(SEED.justiceToChildWelfare);

    await h.get('/v1/referrals?region=TORONTO&limit=3', tokens['coordination-office']);
    await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}/flow`, tokens['operator']);
    expect(await auditRows()).toBe(before + 3);
  });

  it('writes no audit row for aggregates of no small slice, initiatives, gaps or their refusals', async () => {
    const before = await auditRows();
    for (const path of [
      '/v1/stats/referrals',
      '/v1/stats/referrals?region=TORONTO',
      '/v1/initiatives',
      '/v1/service-gaps',
      '/v1/service-gaps/summary',
    ]) {
      expect((await h.get(path, tokens['coordination-office'])).status).toBe(200);
    }
    expect((await h.get('/v1/stats/referrals', tokens['operator'])).status).toBe(403);
    expect((await h.get('/v1/initiatives')).status).toBe(401);
    expect(await auditRows()).toBe(before);
  });

  it('writes one row for each refused person-level request: 401 without a subject, 403, and a hidden referral answered 404', async () => {
    const before = await auditRows();
    expect((await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}`, tokens['health'])).status).toBe(404);
    expect((await h.get('/v1/referrals', tokens['operator'])).status).toBe(403);
    expect((await h.get('/v1/referrals')).status).toBe(401);
    expect(await auditRows()).toBe(before + 3);
    const rows = (await h.db.withSchema(API_SCHEMA).table('audit').orderBy('id', 'desc').limit(3)) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r['outcome'], r['status'], r['reason'], r['subject'], r['role'], r['endpoint']])).toEqual([
      ['denied', 401, 'no-token', null, null, '/v1/referrals'],
      ['denied', 403, 'role-lacks-access', 'dev-operator', 'operator', '/v1/referrals'],
      ['denied', 404, 'not-visible', 'dev-ministry-health', 'ministry', '/v1/referrals/:id'],
    ]);
  });

  it('audits an aggregate read that touches a small slice, with who asked and which slice', async () => {
    const before = await auditRows();
    expect((await h.get('/v1/stats/referrals?groupBy=region,status', tokens['justice'])).status).toBe(200);
    expect((await h.get('/v1/stats/referrals?region=EAST', tokens['coordination-office'])).status).toBe(200);
    expect(await auditRows()).toBe(before + 2);
    const rows = (await h.db.withSchema(API_SCHEMA).table('audit').orderBy('id', 'desc').limit(2)) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r['kind'], r['role'], r['ministry'], r['endpoint'], r['filters']])).toEqual([
      ['small-aggregate', 'coordination-office', null, '/v1/stats/referrals', { region: 'EAST' }],
      ['small-aggregate', 'ministry', 'JUSTICE', '/v1/stats/referrals', { groupBy: 'region,status' }],
    ]);
  });

  it('lets the coordination office read the audit log, newest first', async () => {
    await h.get(`/v1/referrals/${SEED.healthToHealth}`, tokens['health']);
    const body = (await (await h.get('/v1/audit?limit=1', tokens['coordination-office'])).json()) as {
      items: Array<Record<string, unknown>>;
      nextCursor: string | null;
    };
    expect(body.items[0]).toMatchObject({
      role: 'ministry',
      ministry: 'HEALTH',
      endpoint: '/v1/referrals/:id',
      referralIds: [SEED.healthToHealth],
      outcome: 'allowed',
      status: 200,
      reason: null,
    });
    expect(body.items[0]).not.toHaveProperty('hash');
    expect(body.nextCursor).not.toBeNull();
    const next = (await (await h.get(`/v1/audit?limit=1&cursor=${body.nextCursor}`, tokens['coordination-office'])).json()) as {
      items: Array<{ id: number }>;
    };
    expect(next.items[0]?.id).toBeLessThan(Number(body.items[0]?.['id']));
  });
});

describe('view API figures', () => {
  it('publishes every count and median through the cell key method, the same for every role', async () => {
    const rows = await viewRows(h.db, VIEW_SCHEMA);
    for (const query of [{ groupBy: ['region'] }, { groupBy: ['region', 'status'] }, { region: 'EAST' }, {}] as const) {
      const search = searchOf(query);
      for (const role of ['coordination-office', 'justice', 'indigenous-partner'] as const) {
        const body = (await (await h.get(`/v1/stats/referrals?${search}`, tokens[role])).json()) as Record<string, unknown>;
        // Which hidden cell is the small one is not said: that would give it away.
        expect(JSON.stringify(body)).not.toContain('reason');
        expect(body).toMatchObject({ threshold: 5, disclosureControl: { method: 'cell-key-perturbation', maxPerturbation: 6 } });
        expect(figuresOfBody(body as never), `${search} as ${role}`).toEqual(expectedFigures(rows, query));
      }
    }
  });

  it('never publishes EAST’s 3 referrals as 3, and publishes the method, with its table, in English and French', async () => {
    const body = (await (await h.get('/v1/stats/referrals?region=EAST', tokens['coordination-office'])).json()) as { total: number | null };
    expect(body.total).not.toBe(3);
    const method = (await (await h.get('/v1/stats/disclosure-control', tokens['justice'])).json()) as Record<string, unknown>;
    expect(method).toMatchObject({
      method: 'cell-key-perturbation',
      threshold: 5,
      maxPerturbation: 6,
      explanation: { en: expect.stringContaining('adjust'), fr: expect.stringContaining('modifié') },
    });
    expect((method['perturbationTable'] as unknown[]).length).toBe(6);
    expect((await h.get('/v1/stats/disclosure-control', tokens['operator'])).status).toBe(403);
  });

  it('pages referrals with a cursor and caps the page size', async () => {
    const first = (await (await h.get('/v1/referrals?limit=20', tokens['coordination-office'])).json()) as {
      items: Array<{ referralId: string }>;
      nextCursor: string;
    };
    const second = (await (await h.get(`/v1/referrals?limit=20&cursor=${first.nextCursor}`, tokens['coordination-office'])).json()) as {
      items: Array<{ referralId: string }>;
      nextCursor: string | null;
    };
    expect(first.items).toHaveLength(20);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.items, ...second.items].map((r) => r.referralId)).size).toBe(21);
    expect((await h.get('/v1/referrals?limit=201', tokens['coordination-office'])).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ k: "x' or 1=1" })).toString('base64url');
    expect((await h.get(`/v1/referrals?cursor=${forged}`, tokens['coordination-office'])).status).toBe(400);
  });

  it('rejects invalid filters with problem details that name the field but never echo the value', async () => {
    const response = await h.get('/v1/referrals?region=SECRETVALUE&colour=blue', tokens['coordination-office']);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ status: 400, errors: expect.arrayContaining([expect.objectContaining({ field: 'region' })]) });
    expect(text).not.toContain('SECRETVALUE');
    expect((await h.get('/v1/referrals/not-a-uuid', tokens['coordination-office'])).status).toBe(400);
    expect((await h.get('/v1/stats/referrals?groupBy=region,pseudonym', tokens['coordination-office'])).status).toBe(400);
  });

  it('gives each hop of a flow its business time apart from the pipeline’s own latency per hop, and a trace link', async () => {
    const body = (await (await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}/flow`, tokens['operator'])).json()) as {
      hops: Array<Record<string, unknown>>;
    };
    expect(body.hops.map((hop) => hop['eventType'])).toEqual(['ReferralCreated', 'ReferralStatusChanged']);
    expect(body.hops[1]).toMatchObject({
      ministry: 'CHILD_WELFARE',
      businessTimeSincePreviousMs: 86_400_000,
      pipeline: { acceptedToPublishedMs: 250, publishedToAppliedMs: 1050, acceptedToAppliedMs: 1300 },
    });
    expect(String(body.hops[0]?.['traceUrl'])).toMatch(/^http:\/\/127\.0\.0\.1:9411\/zipkin\/traces\/[0-9a-f]{32}$/);
    expect(JSON.stringify(body)).not.toContain('psn-');
  });

  it('summarises service gaps for drill-down: per region by severity and category, open ones by age, resolutions per month', async () => {
    const body = (await (await h.get('/v1/service-gaps/summary', tokens['coordination-office'])).json()) as Record<string, unknown>;
    // The seed reports its three gaps on 2 March 2026 and resolves one a day later.
    const age = Math.floor((Date.now() - Date.parse('2026-03-02T12:00:00.000Z')) / 86_400_000);
    const bucket = [0, 30, 90, 180].findLast((from) => age >= from);
    expect(body).toEqual({
      regions: [
        { region: 'EAST', open: 1, resolved: 0, openBySeverity: { CRITICAL: 1 }, openByCategory: { HOUSING: 1 } },
        { region: 'TORONTO', open: 1, resolved: 1, openBySeverity: { HIGH: 1 }, openByCategory: { HOUSING: 1 } },
      ],
      openByAge: [0, 30, 90, 180].map((fromDays, index, all) => ({
        fromDays,
        toDays: all[index + 1] ?? null,
        open: fromDays === bucket ? 2 : 0,
      })),
      resolvedByMonth: [{ month: '2026-03', resolved: 1 }],
      medianDaysToResolve: 1,
    });
    const gaps = (await (await h.get('/v1/service-gaps?region=TORONTO', tokens['coordination-office'])).json()) as {
      items: Array<{ status: string; ageDays: number }>;
    };
    expect(gaps.items.map((gap) => [gap.status, gap.ageDays]).sort()).toEqual([
      ['OPEN', age],
      ['RESOLVED', 1],
    ]);
  });

  it('reports initiatives with their latest milestone and progress per pillar', async () => {
    const list = (await (await h.get('/v1/initiatives', tokens['coordination-office'])).json()) as {
      items: Array<Record<string, unknown>>;
      pillars: Array<{ initiatives: number; byStatus: Record<string, number> }>;
    };
    expect(list.items.find((i) => i['initiativeId'] === initiativeId)).toMatchObject({
      latestMilestone: { status: 'STARTED', measureQuantity: 120 },
      milestones: 1,
    });
    expect(list.pillars.reduce((sum, p) => sum + p.initiatives, 0)).toBe(list.items.length);
    const one = (await (await h.get(`/v1/initiatives/${initiativeId}`, tokens['coordination-office'])).json()) as { history: unknown[] };
    expect(one.history).toHaveLength(1);
  });

  it('flags each initiative stale or without a milestone, with its days since the latest, and counts the flags per pillar', async () => {
    const list = (await (await h.get('/v1/initiatives', tokens['coordination-office'])).json()) as {
      items: Array<{ initiativeId: string; daysSinceLatestMilestone: number | null; target: unknown; flags: Record<string, boolean> }>;
      pillars: Array<{ flagged: { stale: number; noMilestone: number; behindTarget: number } }>;
    };
    // The seed's one milestone is dated 2 March 2026; the default stale age is 180 days.
    const days = Math.floor((Date.now() - Date.parse('2026-03-02T12:00:00.000Z')) / 86_400_000);
    const seeded = list.items.find((i) => i.initiativeId === initiativeId);
    expect(seeded).toMatchObject({ daysSinceLatestMilestone: days, target: null, flags: { noMilestone: false, stale: days > 180 } });
    const silent = list.items.filter((i) => i.initiativeId !== initiativeId);
    expect(silent.length).toBeGreaterThan(10);
    for (const item of silent) expect(item).toMatchObject({ daysSinceLatestMilestone: null, flags: { noMilestone: true, stale: true } });
    const flagged = list.pillars.reduce((sum, p) => ({ stale: sum.stale + p.flagged.stale, none: sum.none + p.flagged.noMilestone }), {
      stale: 0,
      none: 0,
    });
    expect(flagged).toEqual({ stale: silent.length + (days > 180 ? 1 : 0), none: silent.length });
  });
});

describe('view API OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document that lists every route the app mounts', async () => {
    const response = await h.get('/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const mounted = h.api.routes.map((route) => route.replace(/:([A-Za-z]+)/g, '{$1}'));
    expect(mounted.length).toBeGreaterThan(10);
    for (const route of mounted) expect(documented).toContain(route);
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await h.get('/healthz')).status).toBe(200);
    expect((await h.get('/readyz')).status).toBe(200);
    expect(await (await h.get('/metrics')).text()).toContain('http_server_duration_seconds');
  });
});
