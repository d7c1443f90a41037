import { describe, expect, it } from 'vitest';
import { MINISTRY_SYMBOLS } from '@passerelle/schemas/generated';
import { PartyRegistryError } from './errors.ts';
import { enumDrift, PARTIES, partyOf } from './parties.ts';
import { partiesWith } from '../testing/parties.ts';

describe('the party registry', () => {
  it('lists exactly the Ministry enum symbols but UNKNOWN, in the enum’s order', () => {
    expect(PARTIES.map((party) => party.id)).toEqual(MINISTRY_SYMBOLS.filter((symbol) => symbol !== 'UNKNOWN'));
    expect(enumDrift(PARTIES)).toEqual([]);
  });

  it('gives each party an English and a French display name', () => {
    expect(partyOf('CHILD_WELFARE').displayName).toEqual({ en: 'Child welfare', fr: "Bien-être de l'enfance" });
  });

  it('accepts a sixth party with its own prefix, principal, port and schema', () => {
    const parties = partiesWith('community-social-services.json');

    expect(parties.map((party) => party.id)).toContain('COMMUNITY_SOCIAL_SERVICES');
    expect(partyOf('COMMUNITY_SOCIAL_SERVICES', parties).displayName.fr).toBe('Services sociaux et communautaires');
  });

  it('reports a party whose symbol the Ministry enum lacks, and an enum symbol the registry lacks', () => {
    const parties = partiesWith('community-social-services.json');

    expect(enumDrift(parties)).toEqual([
      'COMMUNITY_SOCIAL_SERVICES: in the registry, not a symbol of the Ministry enum (schemas/avro/ministry.avsc)',
    ]);
    expect(enumDrift(PARTIES.slice(1))).toEqual(['JUSTICE: a symbol of the Ministry enum, missing from the registry']);
  });

  it('reports the same parties listed in another order than the enum’s', () => {
    expect(enumDrift([...PARTIES].reverse())).toEqual([
      'order: the registry lists COORDINATION_OFFICE, EDUCATION, HEALTH, CHILD_WELFARE, JUSTICE; the enum JUSTICE, CHILD_WELFARE, HEALTH, EDUCATION, COORDINATION_OFFICE',
    ]);
  });

  it('refuses an entry with the enum default as id, a port or principal another party has, an empty name or an unknown key', () => {
    let caught: unknown;
    try {
      partiesWith('invalid-party.json');
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(PartyRegistryError);
    const problems = (caught as PartyRegistryError).problems.join('\n');
    expect(problems).toContain("UNKNOWN is the enum's default, not a party");
    expect(problems).toContain('parties.5.displayName.fr');
    expect(problems).toContain('colour');
    expect(problems).toContain('UNKNOWN has the same Kafka principal as JUSTICE (justice)');
    expect(problems).toContain('UNKNOWN has the same adapter port as JUSTICE (8101)');
  });
});
