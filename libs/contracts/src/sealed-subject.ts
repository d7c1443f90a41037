import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ContractError } from './errors.ts';

/**
 * Crypto-shredding of the person-level fields of a referral (the subject pseudonym and the
 * population flags). They travel and are stored only sealed with AES-256-GCM under a data key
 * of their own referral; the data key is kept in the key store wrapped under the
 * key-encryption key (KEK) that services receive by configuration. Destroying the data key
 * makes every copy of the sealed fields unreadable at once: topics, dead letters, backups,
 * old view schemas, dead tuples and WAL.
 *
 * In a ReferralCreated, the sealed form sits in `sealedSubject`; `subjectPseudonym` and
 * `populationFlags`, still required by the v1 contract, carry the placeholders below.
 */

export const SEAL_ALGORITHM = 'AES_256_GCM' as const;
/** What a sealed ReferralCreated carries in its required plaintext fields. */
export const SEALED_PSEUDONYM_PLACEHOLDER = '0'.repeat(64);
export const NO_POPULATION_FLAGS = {
  indigenous: null,
  youngWomen: null,
  youthAtRisk: null,
  youthInOrLeavingCare: null,
  migrantWorkers: null,
  mentalHealthOrAddictions: null,
} as const;

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export type PopulationFlagValues = { readonly [K in keyof typeof NO_POPULATION_FLAGS]: boolean | null };

/** The person-level fields of a referral, in the clear. */
export interface SubjectFields {
  readonly subjectPseudonym: string;
  readonly populationFlags: PopulationFlagValues;
}

/** The sealed form, as the Avro record `SealedSubject` holds it (base64 strings). */
export interface SealedSubject {
  readonly algorithm: typeof SEAL_ALGORITHM;
  readonly nonce: string;
  readonly ciphertext: string;
}

/** A data key or a sealed value could not be used: wrong key, destroyed key, tampered or malformed value. */
export class SealError extends ContractError {
  readonly code = 'SEAL_FAILED';
  readonly retryable = false;
}

const subjectContext = (referralId: string) => Buffer.from(`passerelle:referral-subject:v1:${referralId}`, 'utf8');
const dataKeyContext = (referralId: string) => Buffer.from(`passerelle:data-key:v1:${referralId}`, 'utf8');

function encrypt(key: Buffer, context: Buffer, plaintext: Buffer): { nonce: Buffer; sealed: Buffer } {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(context);
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, sealed };
}

function decrypt(key: Buffer, context: Buffer, nonce: Buffer, sealed: Buffer): Buffer {
  if (nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) throw new SealError('the sealed value is malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(context);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    // Never the key, the value or the cause's text: only that it does not open.
    throw new SealError('the sealed value does not open with this key (wrong key, other referral, or tampered)');
  }
}

function fromBase64(value: string, what: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new SealError(`${what} is not base64`);
  return Buffer.from(value, 'base64');
}

/** A fresh random data key for one referral. */
export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Seals a referral's person-level fields under its data key, bound to the referral id. */
export function sealSubject(referralId: string, dataKey: Buffer, fields: SubjectFields): SealedSubject {
  if (dataKey.length !== KEY_BYTES) throw new SealError('a data key is 32 bytes');
  const plaintext = Buffer.from(
    JSON.stringify({ subjectPseudonym: fields.subjectPseudonym, populationFlags: { ...NO_POPULATION_FLAGS, ...fields.populationFlags } }),
    'utf8',
  );
  const { nonce, sealed } = encrypt(dataKey, subjectContext(referralId), plaintext);
  return { algorithm: SEAL_ALGORITHM, nonce: nonce.toString('base64'), ciphertext: sealed.toString('base64') };
}

/** Opens a sealed subject; throws SealError when it does not open (wrong key or referral, tampered). */
export function openSubject(referralId: string, dataKey: Buffer, sealed: SealedSubject): SubjectFields {
  if (sealed.algorithm !== SEAL_ALGORITHM) throw new SealError(`unknown seal algorithm ${String(sealed.algorithm)}`);
  const plaintext = decrypt(
    dataKey,
    subjectContext(referralId),
    fromBase64(sealed.nonce, 'the nonce'),
    fromBase64(sealed.ciphertext, 'the ciphertext'),
  );
  const parsed = JSON.parse(plaintext.toString('utf8')) as SubjectFields;
  return { subjectPseudonym: parsed.subjectPseudonym, populationFlags: { ...NO_POPULATION_FLAGS, ...parsed.populationFlags } };
}

/**
 * The key-encryption key: 32 bytes given to the services by configuration (64 hex digits), never
 * stored in the database. Its id (a hash prefix) is stored beside each wrapped key, so that a
 * service started with another KEK says so instead of failing to open keys one by one.
 */
export class KeyEncryptionKey {
  readonly id: string;
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
    this.id = createHash('sha256').update('passerelle:kek-id:v1\u0000').update(key).digest('hex').slice(0, 16);
  }

  /** From 64 hex digits; the error names the variable, never the value. */
  static fromHex(hex: string | undefined, variable = 'PASSERELLE_KEY_ENCRYPTION_KEY'): KeyEncryptionKey {
    if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex))
      throw new SealError(`${variable} must be 64 hexadecimal digits (32 bytes)`);
    return new KeyEncryptionKey(Buffer.from(hex, 'hex'));
  }

  static generateHex(): string {
    return randomBytes(KEY_BYTES).toString('hex');
  }

  /** The data key wrapped for storage: base64 of nonce ‖ ciphertext ‖ tag, bound to the referral id. */
  wrap(referralId: string, dataKey: Buffer): string {
    if (dataKey.length !== KEY_BYTES) throw new SealError('a data key is 32 bytes');
    const { nonce, sealed } = encrypt(this.#key, dataKeyContext(referralId), dataKey);
    return Buffer.concat([nonce, sealed]).toString('base64');
  }

  unwrap(referralId: string, wrapped: string): Buffer {
    const bytes = fromBase64(wrapped, 'the wrapped key');
    const key = decrypt(this.#key, dataKeyContext(referralId), bytes.subarray(0, NONCE_BYTES), bytes.subarray(NONCE_BYTES));
    if (key.length !== KEY_BYTES) throw new SealError('the unwrapped data key is not 32 bytes');
    return key;
  }

  toJSON(): string {
    return `[key-encryption key ${this.id}]`;
  }
}

/** The variable every service reads its key-encryption key from. */
export const KEY_ENCRYPTION_KEY_VARIABLE = 'PASSERELLE_KEY_ENCRYPTION_KEY';

/**
 * The key-encryption key from a service's environment value, or the configuration problem to
 * report with the others (the variable is named, its value never).
 */
export function keyEncryptionKeyFromEnv(
  value: string | undefined,
): { readonly kek: KeyEncryptionKey } | { readonly problem: { readonly variable: string; readonly reason: string } } {
  const variable = KEY_ENCRYPTION_KEY_VARIABLE;
  if (value === undefined || value.trim() === '')
    return { problem: { variable, reason: 'is required and not set (64 hexadecimal digits)' } };
  try {
    return { kek: KeyEncryptionKey.fromHex(value.trim(), variable) };
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    return { problem: { variable, reason: 'must be 64 hexadecimal digits (32 bytes)' } };
  }
}
