// When the dashboard renews its access token. A timer alone would keep the provider's session alive
// for as long as the tab stays open, defeating its idle timeout: the timer renews only for a person
// who used the page since the last renewal; otherwise the session lapses with the provider's.

/**
 * One run of `task` for every caller that asks while it is under way: the refresh token is single-use
 * (the realm's revokeRefreshToken), so a second renewal beside the first would sign the person out.
 */
export function singleFlight(task) {
  let running = null;
  return () => {
    running ??= Promise.resolve()
      .then(task)
      .finally(() => {
        running = null;
      });
    return running;
  };
}

/**
 * Keeps a session: `refresh()` renews the tokens (and calls `issued` again), `lapse()` ends the session
 * in the page. Times are milliseconds since the epoch; `timers` and `now` are injectable for tests.
 */
export function sessionKeeper({ refresh, lapse, renewBeforeMs, timers = globalThis, now = () => Date.now() }) {
  let active = false;
  let renewAt = null;
  let endsAt = null;
  let timer = null;

  const renew = singleFlight(() => {
    // Activity during the renewal counts towards the next one.
    active = false;
    return refresh();
  });
  const at = (time, what) => {
    timers.clearTimeout(timer);
    timer = timers.setTimeout(what, Math.max(0, time - now()));
  };
  const due = () => {
    if (active) return void renew();
    // Nobody used the page: no renewal now; activity before the session ends still renews.
    at(endsAt, lapse);
  };

  return {
    /** New tokens: the access token expires at `accessExpiresAt`, the provider's session (refresh token) at `sessionEndsAt`. */
    issued(accessExpiresAt, sessionEndsAt) {
      renewAt = accessExpiresAt - renewBeforeMs;
      endsAt = sessionEndsAt ?? accessExpiresAt;
      at(renewAt, due);
    },
    /** The person did something (pointer, key, the page shown again); past the renewal time, renews now. */
    activity() {
      active = true;
      if (renewAt !== null && now() >= renewAt) void renew();
    },
    /** On demand, when an API call needs a fresh token; shared with any renewal under way. */
    renew,
    stop() {
      timers.clearTimeout(timer);
      renewAt = null;
      endsAt = null;
      active = false;
    },
  };
}
