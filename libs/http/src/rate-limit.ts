/** What one request learns from the limiter. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Whole requests left in the bucket after this one. */
  readonly remaining: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
  /** Seconds until the next request would be allowed (0 when allowed). */
  readonly retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * A token bucket per client key, in memory: `perMinute` requests may arrive at once, then
 * `perMinute / 60` per second. Keys are hashes; the map is bounded so a flood of distinct
 * keys cannot grow it without end.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {
    if (!Number.isInteger(perMinute) || perMinute <= 0) throw new RangeError('perMinute must be a positive whole number');
    this.refillPerMs = perMinute / 60_000;
  }

  take(key: string): RateDecision {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      this.makeRoom(now);
      bucket = { tokens: this.perMinute, updatedMs: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.updatedMs) * this.refillPerMs);
      bucket.updatedMs = now;
    }
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const missing = this.perMinute - bucket.tokens;
    return {
      allowed,
      limit: this.perMinute,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: Math.ceil(missing / this.refillPerMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)),
    };
  }

  /** Gives back the token `take` took for `key` (a request that turned out to be counted elsewhere). */
  refund(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket !== undefined) bucket.tokens = Math.min(this.perMinute, bucket.tokens + 1);
  }

  /** Keys tracked now (tests check the bound). */
  get size(): number {
    return this.buckets.size;
  }

  private makeRoom(now: number): void {
    if (this.buckets.size < this.maxKeys) return;
    // A bucket that has refilled is indistinguishable from a new one: forget those first.
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedMs) * this.refillPerMs >= this.perMinute) this.buckets.delete(key);
    }
    // Still full: drop the oldest insertions (Map keeps insertion order).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/** Who a limit applies to: the client address before authentication, the verified subject after it. */
export type RateScope = 'client address' | 'subject';

/** Subjects (or client ids) with a per-minute quota of their own; 0 means not limited. */
export type RateQuotas = Readonly<Record<string, number>>;

/**
 * Two stages. Every request takes a token from its client address's bucket before anything
 * reads its credential, so rotating made-up tokens from one address is limited like sending
 * none. Once the service has verified who is calling, `authenticated` gives that token back
 * and takes one from the subject's bucket instead: its own quota when configured, the default
 * otherwise. A ministry system loading a year of records is limited by its quota, not by the
 * address it shares with nobody; failed authentications keep counting against the address.
 */
export class TwoStageRateLimiter {
  private readonly addresses: TokenBucketLimiter;
  private readonly subjects: TokenBucketLimiter;
  private readonly quotaBuckets = new Map<string, TokenBucketLimiter>();

  constructor(
    perMinute: number,
    private readonly quotas: RateQuotas = {},
    private readonly now: () => number = Date.now,
  ) {
    this.addresses = new TokenBucketLimiter(perMinute, now);
    this.subjects = new TokenBucketLimiter(perMinute, now);
  }

  /** Before authentication: one token from the client address's bucket. */
  beforeAuthentication(address: string | undefined): RateDecision {
    return this.addresses.take(addressKey(address));
  }

  /** After authentication: the address's token back, one from the subject's bucket (none for a quota of 0). */
  authenticated(address: string | undefined, subject: string): RateDecision | undefined {
    this.addresses.refund(addressKey(address));
    const quota = Object.hasOwn(this.quotas, subject) ? this.quotas[subject] : undefined;
    if (quota === 0) return undefined;
    if (quota === undefined) return this.subjects.take(subject);
    let bucket = this.quotaBuckets.get(subject);
    if (bucket === undefined) {
      bucket = new TokenBucketLimiter(quota, this.now, 1);
      this.quotaBuckets.set(subject, bucket);
    }
    return bucket.take(subject);
  }
}

/**
 * The bucket of a client address: an IPv4 address (also written IPv4-mapped, `::ffff:a.b.c.d`) on
 * its own, an IPv6 address by its /64, the smallest prefix a host is routinely given, so cycling
 * through the addresses of its own prefix buys a client nothing.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The longest subject or client id a quota may name, and the characters it may hold. */
const QUOTA_ID = /^[\x21-\x2b\x2d-\x3c\x3e-\x7e]{1,200}$/;
/** The largest per-minute quota: about 170 000 requests a second, far past what one process serves. */
export const MAX_QUOTA_PER_MINUTE = 10_000_000;

/**
 * Parses `id=perMinute,id=perMinute` (PASSERELLE_RATE_LIMIT_QUOTAS): ids are printable ASCII
 * without `,` or `=`, quotas whole numbers from 0 (not limited) to MAX_QUOTA_PER_MINUTE.
 * Returns the reason it cannot be read, naming the entry by position, never its text.
 */
export function parseRateQuotas(text: string): { quotas: RateQuotas } | { problem: string } {
  const quotas: Record<string, number> = Object.create(null) as Record<string, number>;
  const entries = text.split(',').map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    const match = /^([^=]*)=(\d+)$/.exec(entry);
    const position = `entry ${index + 1}`;
    if (!match) return { problem: `${position} must be id=requests-per-minute, such as JUSTICE=60000` };
    const [, id = '', perMinute = ''] = match;
    if (!QUOTA_ID.test(id.trim()))
      return { problem: `${position} must name a subject or client id of 1 to 200 printable characters without spaces, commas or =` };
    if (Number(perMinute) > MAX_QUOTA_PER_MINUTE)
      return { problem: `${position} must have a quota from 0 to ${MAX_QUOTA_PER_MINUTE} requests per minute` };
    if (Object.hasOwn(quotas, id.trim())) return { problem: `${position} names an id an earlier entry already gives a quota` };
    quotas[id.trim()] = Number(perMinute);
  }
  return { quotas: { ...quotas } };
}
