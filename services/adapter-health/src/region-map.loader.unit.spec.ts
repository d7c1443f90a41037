import { describe, expect, it } from 'vitest';
import { ConfigError } from '@passerelle/config';
import { loadRegionMap, REGION_MAP_FILE } from './region-map.loader.ts';

const maps = new URL('../fixtures/region-maps/', import.meta.url);

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.reason}`);
    throw error;
  }
  return [];
}

describe('the region map file', () => {
  it('in the repository is valid and names each table', () => {
    const map = loadRegionMap(REGION_MAP_FILE);

    expect(map.tables.requestingOrganizations.size).toBeGreaterThan(0);
    expect(map.tables.locations.size).toBeGreaterThan(0);
    expect(map.tables.performers.size).toBeGreaterThan(0);
  });

  it('with bad entries stops the start, naming the file and every bad entry', () => {
    const problems = problemsOf(() => loadRegionMap(new URL('invalid-entries.json', maps)));

    expect(problems).toEqual([
      expect.stringMatching(
        /^region map .*fixtures\/region-maps\/invalid-entries\.json, requestingOrganizations\["https:\/\/health\.ontario\.example\/fhir\/NamingSystem\/organization\|ORG-9002"\]: must map to one of toronto, central, east, west, north-east, north-west, province-wide$/,
      ),
      expect.stringMatching(/invalid-entries\.json, locations\["LOC-9003"\]: must be an identifier as system\|value/),
      expect.stringMatching(/invalid-entries\.json, practitioners: is not a table of the region map/),
    ]);
  });

  it('that is not JSON, or missing, stops the start naming the file', () => {
    expect(problemsOf(() => loadRegionMap(new URL('not-json.json', maps)))).toEqual([
      expect.stringMatching(/^region map .*not-json\.json: is not JSON/),
    ]);
    expect(problemsOf(() => loadRegionMap(new URL('no-such-map.json', maps)))).toEqual([
      expect.stringMatching(/^region map .*no-such-map\.json: cannot be read \(ENOENT\)$/),
    ]);
  });
});
