import type { EnvSource } from '@passerelle/config';
import { PARTS, type PartName } from '../parts.ts';

/**
 * The parts a test run starts (`npm test`, then its global setups): all of them, but Keycloak
 * when PASSERELLE_TEST_KEYCLOAK is "off", which spares ~30 s and ~450 MB when no spec needs it.
 */
export function testStackParts(source: EnvSource = process.env): PartName[] {
  const withKeycloak = source['PASSERELLE_TEST_KEYCLOAK'] !== 'off';
  return PARTS.map((part) => part.name).filter((name) => withKeycloak || name !== 'keycloak');
}
