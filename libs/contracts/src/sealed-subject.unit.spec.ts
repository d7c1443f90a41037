import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { samplePseudonym } from '../testing/index.ts';
import { thrownBy } from '@passerelle/testing';
import {
  KeyEncryptionKey,
  NO_POPULATION_FLAGS,
  SEAL_ALGORITHM,
  SEALED_PSEUDONYM_PLACEHOLDER,
  SealError,
  newDataKey,
  openSubject,
  sealSubject,
  type SealedSubject,
  type SubjectFields,
} from './sealed-subject.ts';

const KEK_HEX = 'a1'.repeat(32);

function subject(referralId: string): SubjectFields {
  return {
    subjectPseudonym: samplePseudonym(referralId),
    populationFlags: {
      indigenous: true,
      youngWomen: false,
      youthAtRisk: null,
      youthInOrLeavingCare: true,
      migrantWorkers: null,
      mentalHealthOrAddictions: false,
    },
  };
}

/** Flips one bit of a base64 value, keeping it valid base64 of the same length. */
function tampered(base64: string, byte = 0): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[byte] = (bytes[byte] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('sealing a referral subject', () => {
  it('opens to exactly the fields sealed, with the same key and referral', () => {
    const referralId = randomUUID();
    const key = newDataKey();
    const fields = subject(referralId);

    const sealed = sealSubject(referralId, key, fields);

    expect(sealed.algorithm).toBe(SEAL_ALGORITHM);
    expect(Buffer.from(sealed.nonce, 'base64')).toHaveLength(12);
    expect(openSubject(referralId, key, sealed)).toEqual(fields);
  });

  it('shows nothing of the fields in the sealed form, and seals the same fields differently each time', () => {
    const referralId = randomUUID();
    const key = newDataKey();
    const fields = subject(referralId);

    const first = sealSubject(referralId, key, fields);
    const second = sealSubject(referralId, key, fields);

    expect(JSON.stringify(first)).not.toContain(fields.subjectPseudonym);
    expect(Buffer.from(first.ciphertext, 'base64').toString('latin1')).not.toContain('subjectPseudonym');
    expect(first.nonce).not.toBe(second.nonce);
    expect(first.ciphertext).not.toBe(second.ciphertext);
  });

  it('fills population flags left out with null', () => {
    const referralId = randomUUID();
    const key = newDataKey();
    const partial = { subjectPseudonym: samplePseudonym(referralId), populationFlags: { indigenous: true } } as unknown as SubjectFields;

    expect(openSubject(referralId, key, sealSubject(referralId, key, partial)).populationFlags).toEqual({
      ...NO_POPULATION_FLAGS,
      indigenous: true,
    });
  });

  it('has placeholders that are a valid pseudonym shape and carry no flag', () => {
    expect(SEALED_PSEUDONYM_PLACEHOLDER).toMatch(/^0{64}$/);
    expect(Object.values(NO_POPULATION_FLAGS).every((flag) => flag === null)).toBe(true);
  });

  describe('refuses, without echoing the key, the fields or the sealed value', () => {
    const referralId = randomUUID();
    const key = newDataKey();
    const fields = subject(referralId);
    const sealed = sealSubject(referralId, key, fields);

    const cases: Array<[string, () => unknown]> = [
      ['another data key', () => openSubject(referralId, newDataKey(), sealed)],
      ['another referral id', () => openSubject(randomUUID(), key, sealed)],
      ['a tampered ciphertext', () => openSubject(referralId, key, { ...sealed, ciphertext: tampered(sealed.ciphertext) })],
      [
        'a tampered authentication tag',
        () =>
          openSubject(referralId, key, {
            ...sealed,
            ciphertext: tampered(sealed.ciphertext, Buffer.from(sealed.ciphertext, 'base64').length - 1),
          }),
      ],
      ['a tampered nonce', () => openSubject(referralId, key, { ...sealed, nonce: tampered(sealed.nonce) })],
      ['a truncated nonce', () => openSubject(referralId, key, { ...sealed, nonce: sealed.nonce.slice(0, 8) })],
      [
        'a ciphertext shorter than a tag',
        () => openSubject(referralId, key, { ...sealed, ciphertext: Buffer.alloc(8).toString('base64') }),
      ],
      ['a ciphertext that is not base64', () => openSubject(referralId, key, { ...sealed, ciphertext: `${sealed.ciphertext.slice(1)}!` })],
      ['an unknown algorithm', () => openSubject(referralId, key, { ...sealed, algorithm: 'UNKNOWN' } as unknown as SealedSubject)],
    ];

    it.each(cases)('%s', (_name, action) => {
      const failure = thrownBy(action);

      expect(failure).toBeInstanceOf(SealError);
      expect((failure as SealError).code).toBe('SEAL_FAILED');
      expect((failure as SealError).retryable).toBe(false);
      for (const secret of [fields.subjectPseudonym, key.toString('hex'), key.toString('base64'), sealed.ciphertext, sealed.nonce]) {
        expect(failure.message).not.toContain(secret);
      }
    });
  });

  it('refuses a data key that is not 32 bytes', () => {
    const referralId = randomUUID();
    expect(() => sealSubject(referralId, Buffer.alloc(16), subject(referralId))).toThrow(SealError);
  });
});

describe('the key-encryption key', () => {
  it('wraps and unwraps a data key bound to its referral id', () => {
    const kek = KeyEncryptionKey.fromHex(KEK_HEX);
    const referralId = randomUUID();
    const key = newDataKey();

    const wrapped = kek.wrap(referralId, key);

    expect(wrapped).not.toContain(key.toString('base64'));
    expect(kek.unwrap(referralId, wrapped).equals(key)).toBe(true);
    expect(() => kek.unwrap(randomUUID(), wrapped)).toThrow(SealError);
    expect(() => kek.unwrap(referralId, tampered(wrapped, 20))).toThrow(SealError);
  });

  it('does not unwrap what another KEK wrapped', () => {
    const referralId = randomUUID();
    const wrapped = KeyEncryptionKey.fromHex(KEK_HEX).wrap(referralId, newDataKey());

    expect(() => KeyEncryptionKey.fromHex('b2'.repeat(32)).unwrap(referralId, wrapped)).toThrow(SealError);
  });

  it('has an id that is stable for one key, differs between keys and does not reveal the key', () => {
    const kek = KeyEncryptionKey.fromHex(KEK_HEX);

    expect(KeyEncryptionKey.fromHex(KEK_HEX).id).toBe(kek.id);
    expect(KeyEncryptionKey.fromHex(KEK_HEX.toUpperCase()).id).toBe(kek.id);
    expect(KeyEncryptionKey.fromHex('b2'.repeat(32)).id).not.toBe(kek.id);
    expect(kek.id).toMatch(/^[0-9a-f]{16}$/);
    expect(KEK_HEX).not.toContain(kek.id);
  });

  it('never shows its key when serialised', () => {
    const kek = KeyEncryptionKey.fromHex(KEK_HEX);

    expect(JSON.stringify({ kek })).not.toContain(KEK_HEX);
    expect(JSON.stringify({ kek })).toContain(kek.id);
  });

  it('generates 64 hex digits that it accepts, different each time', () => {
    const hex = KeyEncryptionKey.generateHex();

    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(KeyEncryptionKey.generateHex()).not.toBe(hex);
    expect(() => KeyEncryptionKey.fromHex(hex)).not.toThrow();
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['too short', 'a1'.repeat(31)],
    ['too long', 'a1'.repeat(33)],
    ['not hexadecimal', `${'a1'.repeat(31)}zz`],
  ])('is refused when %s, naming the variable and never the value', (_name, value) => {
    const failure = thrownBy(() => KeyEncryptionKey.fromHex(value, 'PASSERELLE_TEST_KEK'));

    expect(failure).toBeInstanceOf(SealError);
    expect(failure.message).toContain('PASSERELLE_TEST_KEK');
    if (value) expect(failure.message).not.toContain(value);
  });

  it('names PASSERELLE_KEY_ENCRYPTION_KEY by default', () => {
    expect(thrownBy(() => KeyEncryptionKey.fromHex('nope')).message).toContain('PASSERELLE_KEY_ENCRYPTION_KEY');
  });
});
