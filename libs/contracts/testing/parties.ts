import fs from 'node:fs';
import path from 'node:path';
import { SCHEMAS_ROOT } from '@passerelle/schemas';
import { PARTIES, parseParties, type Party } from '../src/parties.ts';

/** A registry fixture of schemas/fixtures/parties/, by file name. */
export function readPartyFixture(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(SCHEMAS_ROOT, 'fixtures', 'parties', file), 'utf8'));
}

/**
 * The committed parties followed by a fixture's, validated as one registry: what
 * schemas/parties.json would be after an engineer added the fixture's parties to it.
 */
export function partiesWith(fixture: string): readonly Party[] {
  const extra = readPartyFixture(fixture) as { parties?: unknown };
  return parseParties({ parties: [...PARTIES, ...(Array.isArray(extra.parties) ? extra.parties : [])] }, fixture);
}
