import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Pseudonymiser, parseNative } from '@passerelle/adapter';
import { avroIssues, fixedMappingContext, readFixture } from '@passerelle/adapter/testing';
import { ProblemError } from '@passerelle/http';
import { EXTENSIONS } from './fhir-codes.ts';
import { operationOutcomeOf } from './fhir-operation-outcome.ts';
import { mapServiceRequest, mapTask, personOf } from './fhir-referral.mapper.ts';
import { serviceRequestSchemaWith, taskSchema } from './fhir-resources.schema.ts';
import { EMPTY_REGION_MAP, parseRegionMap, type RegionMap } from './region-map.ts';

const folder = new URL('../../fixtures/real-shapes/', import.meta.url);
const json = (name: string): Record<string, unknown> => JSON.parse(readFixture(folder, name)) as Record<string, unknown>;

interface Expected {
  readonly region?: string;
  readonly status?: string;
  readonly expressions?: readonly string[];
}
type Outcomes = Record<string, { shape: string; withMap: Expected; withoutMap: Expected }>;
const outcomes = Object.fromEntries(Object.entries(json('outcomes.json')).filter(([key]) => !key.startsWith('$'))) as Outcomes;

const repositoryMap = parseRegionMap(
  JSON.parse(readFixture(new URL('../../config/', import.meta.url), 'region-map.json')),
  'config/region-map.json',
);
const maps: Record<'withMap' | 'withoutMap', RegionMap> = { withMap: repositoryMap, withoutMap: EMPTY_REGION_MAP };
const pseudonymiser = new Pseudonymiser('unit-test-key-of-at-least-32-characters');
const referralId = '7d1f2a9e-3b4c-4d5e-8f60-718293a4b5c6';

/** What the adapter would answer: the mapped region or status, or the OperationOutcome's expressions. */
function outcomeOf(body: Record<string, unknown>, regions: RegionMap): Expected {
  const type = String(body['resourceType']);
  try {
    if (type === 'ServiceRequest') {
      const request = parseNative(serviceRequestSchemaWith(regions), body);
      const person = personOf(request);
      const event = mapServiceRequest(
        request,
        { referralId, subjectPseudonym: pseudonymiser.person(person.system, person.id) },
        fixedMappingContext('HEALTH'),
        regions,
      );
      expect(avroIssues('ReferralCreated', event)).toEqual([]);
      return { region: event.region };
    }
    const [changed] = mapTask(parseNative(taskSchema, body), referralId, fixedMappingContext('HEALTH'));
    return { status: changed.status };
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    const outcome = operationOutcomeOf({ status: error.status, title: error.title, detail: error.message, errors: error.errors }, type);
    return { expressions: outcome.issue.flatMap((issue) => issue.expression ?? []) };
  }
}

function filesIn(dir: URL, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesIn(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe('FHIR resources in the shape of the official examples (fixtures/real-shapes)', () => {
  it('are each listed in outcomes.json, and outcomes.json lists no other', () => {
    const files = filesIn(folder).filter((file) => file !== 'outcomes.json');

    expect(Object.keys(outcomes).sort()).toEqual(files.sort());
  });

  for (const [file, expected] of Object.entries(outcomes)) {
    for (const map of ['withMap', 'withoutMap'] as const) {
      it(`${file} ${map === 'withMap' ? 'with the repository’s region map' : 'without a region map'} gives ${JSON.stringify(expected[map])}`, () => {
        expect(outcomeOf(json(file), maps[map])).toEqual(expected[map]);
      });
    }
  }

  const regionless = Object.entries(outcomes).filter(([, expected]) => expected.withMap.region !== undefined);

  it('eight ServiceRequests are refused without a region map for lack of a region, and accepted once the map names their requester, location or performer', () => {
    expect(regionless).toHaveLength(8);
    for (const [file, expected] of regionless) {
      expect(outcomeOf(json(file), EMPTY_REGION_MAP)).toEqual({ expressions: ['ServiceRequest.extension'] });
      expect(outcomeOf(json(file), repositoryMap)).toEqual({ region: expected.withMap.region });
    }
  });

  it('the same eight are accepted without a region map once only the service-region extension is added, the extension overriding the map', () => {
    for (const [file] of regionless) {
      const body = { ...json(file), extension: [{ url: EXTENSIONS.region, valueCode: 'province-wide' }] };

      expect(outcomeOf(body, EMPTY_REGION_MAP)).toEqual({ region: 'PROVINCE_WIDE' });
      expect(outcomeOf(body, repositoryMap)).toEqual({ region: 'PROVINCE_WIDE' });
    }
  });
});
