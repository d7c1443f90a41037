import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningAdapter } from '@passerelle/adapter';
import { LogCapture, testAdapterConfig } from '@passerelle/adapter/testing';
import * as health from '@passerelle/adapter-health';
import type { FhirOperationOutcome } from '@passerelle/adapter-health';
import { adapterNameOf, PARTIES } from '@passerelle/contracts';
import { createTestDatabase, kafkaOptionsFor, type TestDatabase } from '@passerelle/testing';
import { consumeEventIds, decodeAll, eventIdsOf } from './adapter-harness.ts';

/**
 * The health adapter against FHIR resources in the shape of the official examples
 * (services/adapter-health/fixtures/real-shapes, expected answers in its outcomes.json): one
 * adapter with the repository's region map, one with an empty map (the extension the only source
 * of the region, as before the map). Every answer is a 202 or a precise OperationOutcome, never a 5xx.
 */
const stack = inject('stack');
const folder = new URL('../../services/adapter-health/fixtures/real-shapes/', import.meta.url);
const regionMaps = new URL('../../services/adapter-health/fixtures/region-maps/', import.meta.url);
const FHIR_JSON = 'application/fhir+json';
const REGION_EXTENSION = health.FHIR_EXTENSIONS.region;

interface Expected {
  readonly region?: string;
  readonly status?: string;
  readonly expressions?: readonly string[];
}
type Outcomes = Record<string, { shape: string; withMap: Expected; withoutMap: Expected }>;
const outcomes = Object.fromEntries(
  Object.entries(JSON.parse(readFileSync(new URL('outcomes.json', folder), 'utf8')) as Record<string, unknown>).filter(
    ([key]) => !key.startsWith('$'),
  ),
) as Outcomes;
const text = (file: string): string => readFileSync(new URL(file, folder), 'utf8');
const typeOf = (file: string): string => (JSON.parse(text(file)) as { resourceType: string }).resourceType;
// ServiceRequests first: a Task names a ServiceRequest the adapter accepted before.
const files = Object.keys(outcomes).sort((a, b) => Number(typeOf(a) === 'Task') - Number(typeOf(b) === 'Task'));
const mappedEight = files.filter((file) => outcomes[file]?.withMap.region !== undefined);

const party = PARTIES.find((p) => adapterNameOf(p) === 'health');
if (!party) throw new Error('no health party in the registry');

interface Started {
  readonly url: string;
  readonly token: string;
  readonly running: RunningAdapter;
}

async function startHealth(databaseUrl: string, regionMap?: URL): Promise<Started> {
  const config = testAdapterConfig(
    { ...stack, databaseUrl },
    {
      databaseSchema: party!.adapter.databaseSchema,
      kafkaSasl: kafkaOptionsFor(stack, party!.kafkaPrincipal, party!.adapter.service).sasl,
    },
  );
  const running = await health.start(config, {
    relayPollIntervalMs: 100,
    relayMaxBackoffMs: 1_000,
    logDestination: new LogCapture(),
    ...(regionMap ? { regionMap } : {}),
  });
  return { url: running.url, token: config.ministryToken, running };
}

let databases: TestDatabase[] = [];
let mapped: Started;
let unmapped: Started;

beforeAll(async () => {
  databases = [
    await createTestDatabase(stack.databaseUrl, 'fhir_real_shapes'),
    await createTestDatabase(stack.databaseUrl, 'fhir_real_shapes_nomap'),
  ];
  [mapped, unmapped] = await Promise.all([
    startHealth(databases[0]!.url),
    startHealth(databases[1]!.url, new URL('empty.json', regionMaps)),
  ]);
});
afterAll(async () => {
  await Promise.all([mapped?.running.stop(), unmapped?.running.stop()]);
  await Promise.all(databases.map((database) => database.drop()));
});

const post = (adapter: Started, path: string, body: string) =>
  fetch(`${adapter.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adapter.token}`, 'content-type': FHIR_JSON },
    body,
  });

/** A refusal's issue expressions, after checking it is a 400 OperationOutcome of `invalid` errors. */
async function expressionsOf(response: Response): Promise<string[]> {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toContain(FHIR_JSON);
  const outcome = (await response.json()) as FhirOperationOutcome;
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue.every((issue) => issue.severity === 'error' && issue.code === 'invalid' && issue.diagnostics)).toBe(true);
  return outcome.issue.flatMap((issue) => issue.expression ?? []);
}

/** $validate then POST of one resource; $validate must say what POST then does. */
async function check(adapter: Started, file: string, body: string, expected: Expected): Promise<Record<string, unknown> | undefined> {
  const type = typeOf(file);
  const validated = await post(adapter, `/fhir/${type}/$validate`, body);
  expect(validated.status).toBe(200);
  const outcome = (await validated.json()) as FhirOperationOutcome;
  const answer = await post(adapter, `/fhir/${type}`, body);
  expect(answer.status).toBeLessThan(500);
  if (expected.expressions) {
    expect(outcome.issue.flatMap((issue) => issue.expression ?? [])).toEqual(expected.expressions);
    expect(await expressionsOf(answer)).toEqual(expected.expressions);
    return undefined;
  }
  expect(outcome.issue).toEqual([expect.objectContaining({ severity: 'information', code: 'informational' })]);
  expect(answer.status).toBe(202);
  return (await answer.json()) as Record<string, unknown>;
}

const withExtension = (file: string, code: string): string =>
  JSON.stringify({ ...(JSON.parse(text(file)) as object), extension: [{ url: REGION_EXTENSION, valueCode: code }] });

describe('FHIR resources in the shape of the official examples', () => {
  it('without a region map: the eight ServiceRequests are refused for lack of a region, then accepted with only the extension added', async () => {
    expect(mappedEight).toHaveLength(8);
    for (const file of mappedEight) {
      const body = text(file);
      expect(await check(unmapped, file, body, { expressions: ['ServiceRequest.extension'] }), file).toBeUndefined();
      expect(await check(unmapped, file, withExtension(file, 'east'), {}), file).toBeDefined();
    }
  });

  it('without a region map: every other fixture is accepted or refused as outcomes.json says, through $validate and POST', async () => {
    for (const file of files.filter((f) => !mappedEight.includes(f))) await check(unmapped, file, text(file), outcomes[file]!.withoutMap);
  });

  it('with the repository’s region map: every fixture is accepted (the eight with the region their identifiers map to) or refused as outcomes.json says', async () => {
    const eventIds = new Map<string, string>();
    for (const file of files) {
      const answer = await check(mapped, file, text(file), outcomes[file]!.withMap);
      const [eventId] = answer ? eventIdsOf(answer) : [];
      if (eventId && outcomes[file]!.withMap.region) eventIds.set(eventId, outcomes[file]!.withMap.region!);
    }
    expect(eventIds.size).toBe(8);

    const decoded = await decodeAll(stack.registryUrl, await consumeEventIds(stack, ['health.referrals.v1'], new Set(eventIds.keys())));
    const regions = new Map(decoded.map((event) => [event.payload.envelope.eventId, (event.payload as { region?: string }).region]));
    expect(regions).toEqual(eventIds);
  });

  it('a ServiceRequest carrying the region extension takes the extension’s region over the map', async () => {
    const file = 'service-request-mri-brain.json';
    const body = JSON.stringify({ ...(JSON.parse(withExtension(file, 'province-wide')) as object), id: 'rs-mri-brain-extension' });
    const answer = await check(mapped, file, body, {});
    const [eventId = ''] = eventIdsOf(answer ?? {});

    const [event] = await decodeAll(stack.registryUrl, await consumeEventIds(stack, ['health.referrals.v1'], new Set([eventId])));
    expect((event?.payload as { region?: string }).region).toBe('PROVINCE_WIDE');
  });
});

describe('the region map at start', () => {
  it('a map with bad entries stops the start, naming the file and the entry', async () => {
    await expect(startHealth(databases[0]!.url, new URL('invalid-entries.json', regionMaps))).rejects.toThrow(
      /invalid-entries\.json, requestingOrganizations\["https:\/\/health\.ontario\.example\/fhir\/NamingSystem\/organization\|ORG-9002"\]: must map to one of/,
    );
  });
});
