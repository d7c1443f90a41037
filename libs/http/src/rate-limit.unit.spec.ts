import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter, clientKeyOf } from './rate-limit.ts';

describe('the token bucket limiter', () => {
  it('lets a full minute of requests through at once, then refuses until a token has refilled', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(3, () => now);

    const first = [limiter.take('a'), limiter.take('a'), limiter.take('a')];
    const refused = limiter.take('a');
    now += 20_000;
    const afterRefill = limiter.take('a');

    expect(first.map((d) => d.allowed)).toEqual([true, true, true]);
    expect(first.map((d) => d.remaining)).toEqual([2, 1, 0]);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 20 });
    expect(afterRefill.allowed).toBe(true);
  });

  it('keeps one bucket per key', () => {
    const limiter = new TokenBucketLimiter(1, () => 0);

    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('forgets keys past its bound instead of growing without end', () => {
    const limiter = new TokenBucketLimiter(5, () => 0, 100);

    for (let i = 0; i < 1_000; i += 1) limiter.take(`key-${i}`);

    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it('keys a request by a hash of its bearer token, never the token, and falls back to the client address', () => {
    const key = clientKeyOf({ authorization: 'Bearer secret-token-value-0123456789' }, '10.0.0.1');

    expect(key).toMatch(/^token:[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('secret-token');
    expect(clientKeyOf({ authorization: 'Bearer secret-token-value-0123456789' }, '10.0.0.2')).toBe(key);
    expect(clientKeyOf({}, '10.0.0.1')).toBe('ip:10.0.0.1');
    expect(clientKeyOf({ authorization: 'Basic dXNlcjpwdw==' }, '10.0.0.1')).toBe('ip:10.0.0.1');
  });
});
