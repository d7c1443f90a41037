import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The dashboard's own modules are plain browser JavaScript (public/, no build step), typed here by hand.
interface Keeper {
  issued(accessExpiresAt: number, sessionEndsAt?: number): void;
  activity(): void;
  renew(): Promise<boolean>;
  stop(): void;
}
interface SessionModule {
  singleFlight<T>(task: () => Promise<T>): () => Promise<T>;
  sessionKeeper(options: { refresh: () => Promise<boolean>; lapse: () => void; renewBeforeMs: number }): Keeper;
}
const modulePath: string = '../public/session.js';
const { singleFlight, sessionKeeper } = (await import(modulePath)) as SessionModule;

const MINUTE = 60_000;

describe('the dashboard’s renewals', () => {
  it('spends the refresh token once when a timer and a refused API call renew at the same time', async () => {
    let release: (ok: boolean) => void = () => undefined;
    const refresh = vi.fn(() => new Promise<boolean>((resolve) => (release = resolve)));
    const renew = singleFlight(refresh);

    const both = Promise.all([renew(), renew()]);
    await Promise.resolve();
    release(true);

    expect(await both).toEqual([true, true]);
    expect(refresh).toHaveBeenCalledTimes(1);
    // Once it is over, the next renewal is a new one.
    const again = renew();
    await Promise.resolve();
    release(true);
    await again;
    expect(refresh).toHaveBeenCalledTimes(2);
  });
});

describe('the dashboard’s session, against the provider’s idle timeout', () => {
  let refresh: ReturnType<typeof vi.fn<() => Promise<boolean>>>;
  let lapse: ReturnType<typeof vi.fn<() => void>>;
  let keeper: Keeper;

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    refresh = vi.fn(() => Promise.resolve(true));
    lapse = vi.fn<() => void>();
    keeper = sessionKeeper({ refresh, lapse, renewBeforeMs: MINUTE });
    // Access token for 5 minutes, provider session (refresh token) for 30.
    keeper.issued(5 * MINUTE, 30 * MINUTE);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renews a minute before the access token expires when the person used the page', async () => {
    await vi.advanceTimersByTimeAsync(MINUTE);
    keeper.activity();
    await vi.advanceTimersByTimeAsync(3 * MINUTE - 1);
    expect(refresh).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(lapse).not.toHaveBeenCalled();
  });

  it('does not renew a page nobody uses, and ends its session when the provider’s ends', async () => {
    await vi.advanceTimersByTimeAsync(30 * MINUTE - 1);
    expect(refresh).not.toHaveBeenCalled();
    expect(lapse).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1);
    expect(refresh).not.toHaveBeenCalled();
    expect(lapse).toHaveBeenCalledTimes(1);
  });

  it('renews at once for a person who comes back after the renewal time, before the session ended', async () => {
    await vi.advanceTimersByTimeAsync(20 * MINUTE);
    expect(refresh).not.toHaveBeenCalled();

    keeper.activity();
    await vi.advanceTimersByTimeAsync(0);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('needs new activity for each renewal', async () => {
    keeper.activity();
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    expect(refresh).toHaveBeenCalledTimes(1);
    keeper.issued(9 * MINUTE, 34 * MINUTE);

    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('renews on demand, sharing a renewal already under way', async () => {
    keeper.activity();
    await vi.advanceTimersByTimeAsync(4 * MINUTE - 1);
    const timerAndDemand = Promise.all([vi.advanceTimersByTimeAsync(1), keeper.renew()]);
    await timerAndDemand;
    expect(refresh).toHaveBeenCalledTimes(1);
  });
});
