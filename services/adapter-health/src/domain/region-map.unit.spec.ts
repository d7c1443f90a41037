import { describe, expect, it } from 'vitest';
import { ConfigError } from '@passerelle/config';
import { EXTENSIONS } from './fhir-codes.ts';
import { EMPTY_REGION_MAP, parseRegionMap, regionIdentifiersOf, resolveRegion } from './region-map.ts';

const ORG = 'https://health.ontario.example/fhir/NamingSystem/organization';
const LOC = 'https://health.ontario.example/fhir/NamingSystem/location';

const regions = parseRegionMap(
  {
    requestingOrganizations: { [`${ORG}|ORG-A`]: 'toronto', [`${ORG}|ORG-B`]: 'east' },
    locations: { [`${LOC}|LOC-A`]: 'west' },
    performers: { [`${ORG}|ORG-P`]: 'toronto' },
  },
  'test map',
);
const regionExtension = (code: string) => ({ url: EXTENSIONS.region, valueCode: code });

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.reason}`);
    throw error;
  }
  return [];
}

describe('a region map', () => {
  it('refuses a system that is not an absolute URI and a region that is not a code', () => {
    expect(problemsOf(() => parseRegionMap({ performers: { 'org|X': 'CENTRAL' } }, 'm.json'))).toEqual([
      'region map m.json, performers["org|X"]: names a system that is not an absolute URI',
      'region map m.json, performers["org|X"]: must map to one of toronto, central, east, west, north-east, north-west, province-wide',
    ]);
    expect(problemsOf(() => parseRegionMap([], 'm.json'))).toEqual([
      'region map m.json, the file: must be a JSON object with the tables requestingOrganizations, locations and performers',
    ]);
  });
});

describe('the region of a ServiceRequest', () => {
  it('comes from the requester organisation named by identifier when there is no extension', () => {
    expect(resolveRegion({ requester: { identifier: { system: ORG, value: 'ORG-A' } } }, regions)).toMatchObject({
      kind: 'map',
      region: 'TORONTO',
    });
  });

  it('comes from the extension when there is one, whatever the map says, even identifiers that disagree', () => {
    const request = {
      extension: [regionExtension('north-west')],
      requester: { identifier: { system: ORG, value: 'ORG-A' } },
      performer: [{ identifier: { system: ORG, value: 'ORG-B' } }],
    };

    expect(resolveRegion(request, regions)).toEqual({ kind: 'extension', region: 'NORTH_WEST', duplicates: [] });
  });

  it('reads the identifiers of contained resources: an Organization, a PractitionerRole’s organization and location', () => {
    const request = {
      contained: [
        {
          resourceType: 'Organization',
          id: 'org',
          identifier: [
            { system: 'http://hl7.org/fhir/sid/us-npi', value: '1' },
            { system: ORG, value: 'ORG-B' },
          ],
        },
        {
          resourceType: 'PractitionerRole',
          id: 'role',
          organization: { reference: '#org' },
          location: [{ identifier: { system: LOC, value: 'LOC-A' } }],
        },
      ],
      requester: { reference: '#role' },
      locationReference: [{ reference: 'Location/elsewhere' }],
    };

    expect(regionIdentifiersOf(request)).toEqual([
      { table: 'requestingOrganizations', key: 'http://hl7.org/fhir/sid/us-npi|1', path: ['contained', 0, 'identifier', 0] },
      { table: 'requestingOrganizations', key: `${ORG}|ORG-B`, path: ['contained', 0, 'identifier', 1] },
      { table: 'locations', key: `${LOC}|LOC-A`, path: ['contained', 1, 'location', 0, 'identifier'] },
    ]);
    // ORG-B is east and LOC-A west: two regions, refused rather than settled by order.
    expect(resolveRegion(request, regions)).toMatchObject({
      kind: 'conflict',
      matches: [
        { path: ['contained', 0, 'identifier', 1], region: 'EAST' },
        { path: ['contained', 1, 'location', 0, 'identifier'], region: 'WEST' },
      ],
    });
  });

  it('is the one region when several identifiers agree', () => {
    const request = {
      requester: { identifier: { system: ORG, value: 'ORG-A' } },
      performer: [{ identifier: { system: ORG, value: 'ORG-P' } }],
    };

    expect(resolveRegion(request, regions)).toMatchObject({ kind: 'map', region: 'TORONTO', from: [{}, {}] });
  });

  it('reads an identifier only in its own table: an organisation identifier as a location names no region', () => {
    expect(resolveRegion({ locationReference: [{ identifier: { system: ORG, value: 'ORG-A' } }] }, regions)).toEqual({ kind: 'none' });
  });

  it('lists the second and later region extensions as duplicates', () => {
    const request = { extension: [regionExtension('east'), { url: 'x' }, regionExtension('west')] };

    expect(resolveRegion(request, EMPTY_REGION_MAP)).toEqual({ kind: 'extension', region: 'EAST', duplicates: [2] });
  });

  it('is none for malformed input, never an exception', () => {
    for (const input of [
      null,
      'text',
      { requester: 'Organization/x' },
      { contained: 'x', requester: { reference: '#x' } },
      { performer: [null, 1] },
    ])
      expect(resolveRegion(input, regions)).toEqual({ kind: 'none' });
  });
});
