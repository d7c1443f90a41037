import { describe, expect, it } from 'vitest';
import { CatalogueError, initiativesById, loadCatalogue, parseCatalogue } from './catalogue.ts';
import { loadSchemaSet } from './avro-schema-set.ts';
import { MINISTRY_SYMBOLS } from '../generated/ministry.ts';

const catalogue = loadCatalogue();

function withFirstInitiative(change: Record<string, unknown>): unknown {
  const copy = structuredClone(catalogue) as unknown as { strategies: { initiatives: Record<string, unknown>[] }[] };
  const first = copy.strategies[0]?.initiatives[0] as Record<string, unknown>;
  Object.assign(first, change);
  for (const [key, value] of Object.entries(change)) if (value === undefined) delete first[key];
  return copy;
}

function problemsOf(value: unknown): readonly string[] {
  try {
    parseCatalogue(value);
  } catch (error) {
    if (error instanceof CatalogueError) return error.problems;
    throw error;
  }
  return [];
}

describe('the strategy catalogue', () => {
  it('holds the 2016 strategy with its four pillars', () => {
    const [strategy] = catalogue.strategies;
    expect(strategy?.id).toBe('S2016');
    expect(strategy?.pillars.map((p) => p.titleFr)).toEqual([
      'Prévention et soutiens communautaires',
      'Amélioration du secteur de la justice',
      'Approches autochtones',
      'Coordination et leadership provinciaux',
    ]);
  });

  it('gives every initiative a unique id, a pillar of its strategy, a known leading ministry and both titles', () => {
    const ids = catalogue.strategies.flatMap((s) => s.initiatives.map((i) => i.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(20);
    for (const strategy of catalogue.strategies) {
      const pillars = new Set(strategy.pillars.map((p) => p.id));
      for (const initiative of strategy.initiatives) {
        expect(pillars.has(initiative.pillar), initiative.id).toBe(true);
        expect(initiative.id.startsWith(`${initiative.pillar}-`)).toBe(true);
        expect(MINISTRY_SYMBOLS).toContain(initiative.leadMinistry);
        expect(initiative.leadMinistry).not.toBe('UNKNOWN');
        expect(initiative.titleEn.length).toBeGreaterThan(10);
        expect(initiative.titleFr.length).toBeGreaterThan(10);
      }
    }
  });

  it('uses initiative ids that InitiativeMilestoneRecorded.initiativeId accepts', () => {
    const event = loadSchemaSet().events.find((e) => e.name === 'InitiativeMilestoneRecorded');
    const field = event?.definition.fields.find((f) => f.name === 'initiativeId');
    const pattern = new RegExp((field?.type as { pattern: string }).pattern);
    for (const id of initiativesById(catalogue).keys()) expect(id).toMatch(pattern);
  });

  it('rejects a duplicate initiative id', () => {
    expect(problemsOf(withFirstInitiative({ id: 'S2016-P1-02' }))).toContainEqual(
      expect.stringMatching(/id S2016-P1-02 is used more than once/),
    );
  });

  it('rejects an initiative under a pillar its strategy does not have', () => {
    expect(problemsOf(withFirstInitiative({ pillar: 'S2016-P9' }))).toContainEqual(
      expect.stringMatching(/pillar "S2016-P9" is not a pillar of S2016/),
    );
  });

  it('rejects a leading ministry outside the Ministry enum, and UNKNOWN', () => {
    expect(problemsOf(withFirstInitiative({ leadMinistry: 'LABOUR' }))).toContainEqual(
      expect.stringMatching(/leadMinistry "LABOUR" must be one of JUSTICE/),
    );
    expect(problemsOf(withFirstInitiative({ leadMinistry: 'UNKNOWN' }))).toContainEqual(expect.stringMatching(/leadMinistry "UNKNOWN"/));
  });

  it('rejects a missing French title and an unknown key', () => {
    const problems = problemsOf(withFirstInitiative({ titleFr: undefined, titelEn: 'typo' }));
    expect(problems).toContainEqual(expect.stringMatching(/missing "titleFr"/));
    expect(problems).toContainEqual(expect.stringMatching(/unknown key "titelEn"/));
  });

  it('takes a target date only with the document that states it, as a real calendar date', () => {
    const source = 'a strategy document';
    expect(problemsOf(withFirstInitiative({ target: { date: '2027-03-31', source } }))).toEqual([]);
    for (const date of ['2027-02-30', '2027-02-99', '0000-01-01', '2027-3-31', '31/03/2027'])
      expect(problemsOf(withFirstInitiative({ target: { date, source } }))).toEqual([
        'strategies[0].initiatives[0].target: date must be a calendar date YYYY-MM-DD from 2000 to 2100',
      ]);
    expect(problemsOf(withFirstInitiative({ target: { date: '2027-03-31' } }))).toEqual([
      'strategies[0].initiatives[0].target: source must name the document that states the date',
    ]);
    expect(problemsOf(withFirstInitiative({ target: '2027-03-31' }))).toEqual([
      'strategies[0].initiatives[0].target must be an object with date and source',
    ]);
  });

  it('gives no initiative of the 2016 strategy a target date, since its backgrounder states none', () => {
    expect(catalogue.strategies[0]?.initiatives.filter((initiative) => initiative.target !== undefined)).toEqual([]);
  });

  it('accepts a later strategy beside the first without any change to its shape', () => {
    const copy = structuredClone(catalogue) as unknown as { strategies: unknown[] };
    copy.strategies.push({
      id: 'S2020',
      startYear: 2020,
      endYear: 2025,
      titleEn: 'Ontario Anti-Human Trafficking Strategy 2020-2025',
      titleFr: 'Stratégie ontarienne de lutte contre la traite des personnes 2020-2025',
      source: 'test',
      pillars: [{ id: 'S2020-P1', titleEn: 'Raising awareness', titleFr: 'Sensibilisation' }],
      initiatives: [
        { id: 'S2020-P1-01', pillar: 'S2020-P1', leadMinistry: 'EDUCATION', titleEn: 'An initiative', titleFr: 'Une initiative' },
      ],
    });
    expect(initiativesById(parseCatalogue(copy)).get('S2020-P1-01')?.leadMinistry).toBe('EDUCATION');
  });
});
