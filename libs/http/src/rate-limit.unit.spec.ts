import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter, TwoStageRateLimiter, addressKey, parseRateQuotas } from './rate-limit.ts';

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

  it('gives a refunded token back, never past the bucket size', () => {
    const limiter = new TokenBucketLimiter(2, () => 0);

    limiter.take('a');
    limiter.take('a');
    limiter.refund('a');
    limiter.refund('a');
    limiter.refund('a');

    expect([limiter.take('a').allowed, limiter.take('a').allowed, limiter.take('a').allowed]).toEqual([true, true, false]);
  });
});

describe('the two-stage limiter', () => {
  it('counts requests before authentication per address, whatever credential they carry', () => {
    const limiter = new TwoStageRateLimiter(2, {}, () => 0);

    expect([
      limiter.beforeAuthentication('10.0.0.1').allowed,
      limiter.beforeAuthentication('10.0.0.1').allowed,
      limiter.beforeAuthentication('10.0.0.1').allowed,
    ]).toEqual([true, true, false]);
    expect(limiter.beforeAuthentication('10.0.0.2').allowed).toBe(true);
  });

  it('moves an authenticated request from its address to its subject, with the subject’s own quota', () => {
    const limiter = new TwoStageRateLimiter(2, { loader: 100, unlimited: 0 }, () => 0);
    const authenticated = (subject: string) => {
      expect(limiter.beforeAuthentication('10.0.0.1').allowed).toBe(true);
      return limiter.authenticated('10.0.0.1', subject);
    };

    const loader = Array.from({ length: 50 }, () => authenticated('loader')?.allowed);
    const unlimited = Array.from({ length: 50 }, () => authenticated('unlimited'));
    const ordinary = Array.from({ length: 3 }, () => authenticated('ordinary')?.allowed);

    expect(loader.every(Boolean)).toBe(true);
    expect(unlimited.every((decision) => decision === undefined)).toBe(true);
    expect(ordinary).toEqual([true, true, false]);
    expect(authenticated('loader')?.limit).toBe(100);
  });

  it('does not let a quota id such as __proto__ or constructor reach the prototype', () => {
    const parsed = parseRateQuotas('__proto__=5,constructor=7');
    const limiter = new TwoStageRateLimiter(1, 'quotas' in parsed ? parsed.quotas : {}, () => 0);

    expect(parsed).toEqual({ quotas: { ['__proto__']: 5, constructor: 7 } });
    expect(limiter.authenticated(undefined, 'toString')?.limit).toBe(1);
    expect(limiter.authenticated(undefined, 'constructor')?.limit).toBe(7);
  });
});

describe('the bucket of a client address', () => {
  it('is the address for IPv4, written plainly or IPv4-mapped', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey(undefined)).toBe('unknown');
  });

  it('is the /64 for IPv6, however the address is written', () => {
    const key = '2001:db8:aa:bb::/64';
    expect(addressKey('2001:db8:aa:bb::1')).toBe(key);
    expect(addressKey('2001:0db8:00aa:00bb:ffff:eeee:dddd:cccc')).toBe(key);
    expect(addressKey('2001:DB8:AA:BB:1:2:3:4')).toBe(key);
    expect(addressKey('2001:db8:aa:bc::1')).not.toBe(key);
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('makes a client cycling through its /64 share one allowance', () => {
    const limiter = new TwoStageRateLimiter(3);
    const decisions = [1, 2, 3, 4].map((n) => limiter.beforeAuthentication(`2001:db8:aa:bb::${n.toString(16)}`));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    expect(limiter.beforeAuthentication('2001:db8:aa:bc::1').allowed).toBe(true);
  });
});
