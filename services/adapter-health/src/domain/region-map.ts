import { REGION_SYMBOLS, type Region } from '@passerelle/schemas/generated';
import { ConfigError, type ConfigProblem } from '@passerelle/config';
import { EXTENSIONS, codeTable } from './fhir-codes.ts';

const REGION_CODES = codeTable(REGION_SYMBOLS);

/**
 * The health ministry's region map: which region a referral belongs to when the sending system
 * does not carry Passerelle's service-region extension, read off the identifiers (`system|value`)
 * of its requesting organisation, its location or its performer.
 */
export const REGION_MAP_TABLES = ['requestingOrganizations', 'locations', 'performers'] as const;
export type RegionMapTable = (typeof REGION_MAP_TABLES)[number];

export interface RegionMap {
  readonly tables: Readonly<Record<RegionMapTable, ReadonlyMap<string, Exclude<Region, 'UNKNOWN'>>>>;
}

export const EMPTY_REGION_MAP: RegionMap = {
  tables: { requestingOrganizations: new Map(), locations: new Map(), performers: new Map() },
};

const KEY = /^([^|\s]+)\|([^|]+)$/;

/**
 * The map file's content, checked whole: every problem is named (the file `source`, the table and
 * the entry) in one ConfigError, so a bad file stops the adapter at start.
 */
export function parseRegionMap(content: unknown, source: string): RegionMap {
  const problems: ConfigProblem[] = [];
  const fail = (entry: string, reason: string) => problems.push({ variable: `region map ${source}, ${entry}`, reason });
  const tables = { requestingOrganizations: new Map(), locations: new Map(), performers: new Map() } as Record<
    RegionMapTable,
    Map<string, Exclude<Region, 'UNKNOWN'>>
  >;
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    fail('the file', 'must be a JSON object with the tables requestingOrganizations, locations and performers');
    throw new ConfigError(problems);
  }
  for (const [name, table] of Object.entries(content)) {
    if (name.startsWith('$')) continue; // $comment and the like: notes for the people who maintain the file
    if (!(REGION_MAP_TABLES as readonly string[]).includes(name)) {
      fail(name, `is not a table of the region map (${REGION_MAP_TABLES.join(', ')})`);
      continue;
    }
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      fail(name, 'must be an object of "system|value": region');
      continue;
    }
    for (const [key, region] of Object.entries(table as Record<string, unknown>)) {
      const entry = `${name}["${key}"]`;
      if (!KEY.test(key)) fail(entry, 'must be an identifier as system|value (an absolute system URI, a bar, the value)');
      else if (!/^[a-z][a-z0-9+.-]*:/i.test(KEY.exec(key)?.[1] ?? '')) fail(entry, 'names a system that is not an absolute URI');
      const symbol = typeof region === 'string' ? REGION_CODES.get(region) : undefined;
      if (symbol === undefined) fail(entry, `must map to one of ${[...REGION_CODES.keys()].join(', ')}`);
      else tables[name as RegionMapTable].set(key, symbol);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { tables };
}

type Path = readonly (string | number)[];

/** An identifier of the request's requester, location or performer, where it was found and which table reads it. */
export interface FoundIdentifier {
  readonly table: RegionMapTable;
  readonly key: string;
  readonly path: Path;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function keyOf(identifier: unknown): string | undefined {
  if (!isObject(identifier) || typeof identifier['system'] !== 'string' || typeof identifier['value'] !== 'string') return undefined;
  return `${identifier['system']}|${identifier['value']}`;
}

/**
 * The identifiers a reference gives: its own `identifier`, else those of the contained resource it
 * points at (`#id`); a contained PractitionerRole gives its organisation's and its locations'.
 * References to resources outside the request cannot be read: this adapter keeps none.
 */
function identifiersOf(request: Record<string, unknown>, ref: unknown, path: Path, table: RegionMapTable, depth = 0): FoundIdentifier[] {
  if (!isObject(ref)) return [];
  const found: FoundIdentifier[] = [];
  const own = keyOf(ref['identifier']);
  if (own) found.push({ table, key: own, path: [...path, 'identifier'] });
  const reference = ref['reference'];
  if (typeof reference !== 'string' || !reference.startsWith('#') || depth > 1) return found;
  const contained = list(request['contained']);
  const index = contained.findIndex((resource) => isObject(resource) && resource['id'] === reference.slice(1));
  const resource = contained[index];
  if (!isObject(resource)) return found;
  list(resource['identifier']).forEach((identifier, k) => {
    const key = keyOf(identifier);
    if (key) found.push({ table, key, path: ['contained', index, 'identifier', k] });
  });
  if (resource['resourceType'] === 'PractitionerRole') {
    found.push(...identifiersOf(request, resource['organization'], ['contained', index, 'organization'], table, depth + 1));
    list(resource['location']).forEach((location, k) =>
      found.push(...identifiersOf(request, location, ['contained', index, 'location', k], 'locations', depth + 1)),
    );
  }
  return found;
}

/** Every identifier of the request the region map may name, with its FHIRPath. */
export function regionIdentifiersOf(request: unknown): FoundIdentifier[] {
  if (!isObject(request)) return [];
  return [
    ...identifiersOf(request, request['requester'], ['requester'], 'requestingOrganizations'),
    ...list(request['locationReference']).flatMap((ref, i) => identifiersOf(request, ref, ['locationReference', i], 'locations')),
    ...list(request['performer']).flatMap((ref, i) => identifiersOf(request, ref, ['performer', i], 'performers')),
  ];
}

export type RegionResolution =
  | { readonly kind: 'extension'; readonly region: Exclude<Region, 'UNKNOWN'> | undefined; readonly duplicates: readonly number[] }
  | { readonly kind: 'map'; readonly region: Exclude<Region, 'UNKNOWN'>; readonly from: readonly FoundIdentifier[] }
  | { readonly kind: 'conflict'; readonly matches: readonly (FoundIdentifier & { region: Exclude<Region, 'UNKNOWN'> })[] }
  | { readonly kind: 'none' };

/**
 * The referral's region: the service-region extension when there is one (it overrides the map),
 * else the one region the map gives the request's identifiers. Identifiers mapped to different
 * regions are a conflict, never settled by order; `duplicates` lists extra region extensions.
 */
export function resolveRegion(request: unknown, regions: RegionMap): RegionResolution {
  const extensions = isObject(request) ? list(request['extension']) : [];
  const indexes = extensions.flatMap((ext, i) => (isObject(ext) && ext['url'] === EXTENSIONS.region ? [i] : []));
  const [first, ...duplicates] = indexes;
  if (first !== undefined) {
    const code = (extensions[first] as Record<string, unknown>)['valueCode'];
    return { kind: 'extension', region: typeof code === 'string' ? REGION_CODES.get(code) : undefined, duplicates };
  }
  const matches = regionIdentifiersOf(request).flatMap((found) => {
    const region = regions.tables[found.table].get(found.key);
    return region ? [{ ...found, region }] : [];
  });
  const distinct = new Set(matches.map((match) => match.region));
  const [region] = distinct;
  if (region === undefined) return { kind: 'none' };
  if (distinct.size > 1) return { kind: 'conflict', matches };
  return { kind: 'map', region, from: matches };
}
