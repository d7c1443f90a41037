import { createHmac } from 'node:crypto';
import { ConfigError } from '@passerelle/config';
import { MIN_SECRET_LENGTH } from './adapter-config.ts';

/**
 * Keyed HMAC-SHA256 with the ministry's secret. Every use names its purpose, so a person's
 * pseudonym can never equal the hash of a source id or of a request body, even for equal input.
 */
export class Pseudonymiser {
  readonly #key: Buffer;

  constructor(key: string) {
    if (key.length < MIN_SECRET_LENGTH) {
      // The variable name, never the value.
      throw new ConfigError([{ variable: 'PASSERELLE_PSEUDONYM_KEY', reason: `must be at least ${MIN_SECRET_LENGTH} characters long` }]);
    }
    this.#key = Buffer.from(key, 'utf8');
  }

  /**
   * The pseudonym of a person identifier (64 lowercase hex digits): stable within the
   * ministry, meaningless outside it. Case and surrounding spaces do not change it.
   */
  person(identifierSystem: string, identifier: string): string {
    return this.hmac('person', `${identifierSystem}|${identifier.trim().toUpperCase()}`);
  }

  /** The stored form of a ministry's own record id (case numbers, referral numbers…). */
  sourceId(kind: string, id: string): string {
    return this.hmac('source-id', `${kind}|${id.trim()}`);
  }

  /** Fingerprint of a native record, to tell a resubmission from a different body under the same key. */
  body(canonical: string): string {
    return this.hmac('body', canonical);
  }

  private hmac(purpose: string, value: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}\u0000${value}`, 'utf8').digest('hex');
  }
}
