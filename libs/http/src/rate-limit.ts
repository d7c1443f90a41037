import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

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

/**
 * The key a request is limited under: a hash of its bearer token (the token itself is never
 * stored or logged), else its client address.
 */
export function clientKeyOf(headers: IncomingHttpHeaders, remoteAddress: string | undefined): string {
  const authorization = headers.authorization;
  const token = authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (token !== undefined) return `token:${createHash('sha256').update(token, 'utf8').digest('base64url')}`;
  return `ip:${remoteAddress ?? 'unknown'}`;
}
