import { describe, expect, it } from 'vitest';
import { ConfigError } from '@passerelle/config';
import { Pseudonymiser } from './pseudonymiser.ts';

const key = 'a-pseudonym-key-of-at-least-32-chars';

describe('Pseudonymiser', () => {
  it('refuses a key shorter than 32 characters, naming the variable and not the key', () => {
    let caught: unknown;
    try {
      new Pseudonymiser('short-key');
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain('PASSERELLE_PSEUDONYM_KEY');
    expect((caught as Error).message).not.toContain('short-key');
  });

  it('gives a person a stable 64-hex pseudonym that ignores case and surrounding spaces', () => {
    const p = new Pseudonymiser(key);

    const first = p.person('hcn', '9876543217');

    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(p.person('hcn', ' 9876543217 ')).toBe(first);
    expect(p.person('oen', 'ab-12')).toBe(p.person('oen', 'AB-12'));
  });

  it('differs between keys, identifier systems and purposes, so pseudonyms mean nothing outside the ministry', () => {
    const p = new Pseudonymiser(key);
    const other = new Pseudonymiser(`${key}-other-ministry`);

    expect(other.person('hcn', '9876543217')).not.toBe(p.person('hcn', '9876543217'));
    expect(p.person('oen', '9876543217')).not.toBe(p.person('hcn', '9876543217'));
    expect(p.sourceId('hcn', '9876543217')).not.toBe(p.person('hcn', '9876543217'));
  });
});
