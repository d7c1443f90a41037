import fs from 'node:fs';
import path from 'node:path';
import { MINISTRY_SYMBOLS, type Ministry } from '../generated/ministry.ts';
import { SCHEMAS_ROOT } from './avro-schema-set.ts';

export const CATALOGUE_FILE = path.join(SCHEMAS_ROOT, 'catalogue', 'strategies.json');

/** A ministry that can lead an initiative: any Ministry symbol but the UNKNOWN default. */
export type LeadMinistry = Exclude<Ministry, 'UNKNOWN'>;

export interface Pillar {
  /** `<strategy id>-P<n>`, e.g. `S2016-P2`. */
  readonly id: string;
  readonly titleEn: string;
  readonly titleFr: string;
}

export interface Initiative {
  /** `<pillar id>-<two digits>`, e.g. `S2016-P2-03`; never reused, never renumbered. */
  readonly id: string;
  readonly pillar: string;
  /** The ministry that publishes InitiativeMilestoneRecorded for this initiative. */
  readonly leadMinistry: LeadMinistry;
  readonly titleEn: string;
  readonly titleFr: string;
  /**
   * The date by which the strategy's documents say the initiative is to be done, and which
   * document says so; absent when they state none (none of the 2016 backgrounder's initiatives
   * has one). Never estimated: an initiative without a stated date is never "behind".
   */
  readonly target?: { readonly date: string; readonly source: string };
}

export interface Strategy {
  /** `S<first year>`, e.g. `S2016`; later strategies (S2020, S2025) are added beside it. */
  readonly id: string;
  readonly startYear: number;
  readonly endYear?: number;
  readonly titleEn: string;
  readonly titleFr: string;
  readonly source: string;
  readonly pillars: readonly Pillar[];
  readonly initiatives: readonly Initiative[];
}

export interface Catalogue {
  /** Raised when the shape of this file changes (not when strategies are added). */
  readonly catalogueVersion: 1;
  readonly strategies: readonly Strategy[];
}

export class CatalogueError extends Error {
  readonly code = 'INVALID_CATALOGUE';

  constructor(readonly problems: readonly string[]) {
    super(`invalid strategy catalogue:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CatalogueError';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the catalogue's shape and its cross-references: ids well formed and unique, every
 * initiative under a pillar of its own strategy, lead ministries from the Ministry enum, both
 * titles present. Unknown keys are rejected so that a typo cannot hide a missing field.
 */
export function parseCatalogue(value: unknown): Catalogue {
  const problems: string[] = [];
  const seen = new Set<string>();
  const leadMinistries = MINISTRY_SYMBOLS.filter((s) => s !== 'UNKNOWN') as readonly string[];

  const keys = (where: string, object: Json, required: readonly string[], optional: readonly string[] = []): void => {
    for (const key of required) if (!(key in object)) problems.push(`${where}: missing "${key}"`);
    for (const key of Object.keys(object))
      if (!required.includes(key) && !optional.includes(key)) problems.push(`${where}: unknown key "${key}"`);
  };
  const title = (where: string, object: Json, key: 'titleEn' | 'titleFr'): void => {
    const text = object[key];
    if (typeof text !== 'string' || text.trim().length === 0) problems.push(`${where}: ${key} must be a non-empty string`);
    else if (text !== text.trim()) problems.push(`${where}: ${key} has leading or trailing spaces`);
  };
  const uniqueId = (where: string, id: unknown, pattern: RegExp): id is string => {
    if (typeof id !== 'string' || !pattern.test(id)) {
      problems.push(`${where}: id ${JSON.stringify(id)} must match ${pattern.source}`);
      return false;
    }
    if (seen.has(id)) problems.push(`${where}: id ${id} is used more than once`);
    seen.add(id);
    return true;
  };

  if (!isObject(value)) throw new CatalogueError(['the catalogue must be a JSON object']);
  keys('catalogue', value, ['catalogueVersion', 'strategies'], ['$schema']);
  if (value['catalogueVersion'] !== 1) problems.push('catalogue: catalogueVersion must be 1');
  const strategies = value['strategies'];
  if (!Array.isArray(strategies) || strategies.length === 0) problems.push('catalogue: strategies must be a non-empty array');

  for (const [s, strategy] of (Array.isArray(strategies) ? strategies : []).entries()) {
    const where = `strategies[${s}]`;
    if (!isObject(strategy)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    keys(where, strategy, ['id', 'startYear', 'titleEn', 'titleFr', 'source', 'pillars', 'initiatives'], ['endYear']);
    const strategyId = uniqueId(where, strategy['id'], /^S[0-9]{4}$/) ? (strategy['id'] as string) : undefined;
    if (strategyId && strategy['startYear'] !== Number(strategyId.slice(1)))
      problems.push(`${where}: startYear must be the year in its id`);
    const endYear = strategy['endYear'];
    if (endYear !== undefined && (typeof endYear !== 'number' || endYear < Number(strategy['startYear'])))
      problems.push(`${where}: endYear must be a year not before startYear`);
    title(where, strategy, 'titleEn');
    title(where, strategy, 'titleFr');
    if (typeof strategy['source'] !== 'string' || strategy['source'].length === 0)
      problems.push(`${where}: source must say where the initiatives come from`);

    const pillarIds = new Set<string>();
    const pillars = strategy['pillars'];
    if (!Array.isArray(pillars) || pillars.length === 0) problems.push(`${where}: pillars must be a non-empty array`);
    for (const [p, pillar] of (Array.isArray(pillars) ? pillars : []).entries()) {
      const at = `${where}.pillars[${p}]`;
      if (!isObject(pillar)) {
        problems.push(`${at} must be an object`);
        continue;
      }
      keys(at, pillar, ['id', 'titleEn', 'titleFr']);
      if (strategyId && uniqueId(at, pillar['id'], new RegExp(`^${strategyId}-P[0-9]+$`))) pillarIds.add(pillar['id'] as string);
      title(at, pillar, 'titleEn');
      title(at, pillar, 'titleFr');
    }

    const initiatives = strategy['initiatives'];
    if (!Array.isArray(initiatives) || initiatives.length === 0) problems.push(`${where}: initiatives must be a non-empty array`);
    for (const [i, initiative] of (Array.isArray(initiatives) ? initiatives : []).entries()) {
      const at = `${where}.initiatives[${i}]`;
      if (!isObject(initiative)) {
        problems.push(`${at} must be an object`);
        continue;
      }
      keys(at, initiative, ['id', 'pillar', 'leadMinistry', 'titleEn', 'titleFr'], ['target']);
      if (initiative['target'] !== undefined) targetProblems(at, initiative['target']).forEach((problem) => problems.push(problem));
      const pillar = initiative['pillar'];
      if (typeof pillar !== 'string' || !pillarIds.has(pillar))
        problems.push(`${at}: pillar ${JSON.stringify(pillar)} is not a pillar of ${strategyId ?? 'its strategy'}`);
      else uniqueId(at, initiative['id'], new RegExp(`^${pillar}-[0-9]{2}$`));
      const lead = initiative['leadMinistry'];
      if (typeof lead !== 'string' || !leadMinistries.includes(lead))
        problems.push(`${at}: leadMinistry ${JSON.stringify(lead)} must be one of ${leadMinistries.join(', ')}`);
      title(at, initiative, 'titleEn');
      title(at, initiative, 'titleFr');
    }
  }
  if (problems.length > 0) throw new CatalogueError(problems);
  return value as unknown as Catalogue;
}

/** What is wrong with an initiative's `target`: a calendar date (YYYY-MM-DD, 2000–2100) and the document stating it. */
function targetProblems(at: string, target: unknown): string[] {
  if (!isObject(target)) return [`${at}.target must be an object with date and source`];
  const problems = Object.keys(target)
    .filter((key) => key !== 'date' && key !== 'source')
    .map((key) => `${at}.target: unknown key "${key}"`);
  const date = target['date'];
  const valid =
    typeof date === 'string' &&
    /^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$/.test(date) &&
    !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) &&
    new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date;
  if (!valid) problems.push(`${at}.target: date must be a calendar date YYYY-MM-DD from 2000 to 2100`);
  if (typeof target['source'] !== 'string' || target['source'].trim().length === 0)
    problems.push(`${at}.target: source must name the document that states the date`);
  return problems;
}

/** Reads and validates schemas/catalogue/strategies.json. */
export function loadCatalogue(file: string = CATALOGUE_FILE): Catalogue {
  return parseCatalogue(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** Every initiative of every strategy, by id. */
export function initiativesById(catalogue: Catalogue): ReadonlyMap<string, Initiative> {
  return new Map(
    catalogue.strategies.flatMap((strategy) => strategy.initiatives.map((initiative) => [initiative.id, initiative] as const)),
  );
}
