import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@passerelle/config';
import { parseRegionMap, type RegionMap } from './domain/region-map.ts';

/** The health ministry's region map, kept as data beside the code (README, "Region"). */
export const REGION_MAP_FILE = new URL('../config/region-map.json', import.meta.url);

/**
 * Reads and checks the region map once, at start: a file that cannot be read, is not JSON or has a
 * bad entry throws a ConfigError naming the file (and the entry), and the adapter does not start.
 */
export function loadRegionMap(file: URL = REGION_MAP_FILE): RegionMap {
  const path = fileURLToPath(file);
  const name = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError([{ variable: `region map ${name}`, reason: `cannot be read (${code})` }]);
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([{ variable: `region map ${name}`, reason: `is not JSON (${(error as Error).message})` }]);
  }
  return parseRegionMap(content, name);
}
