/**
 * Sends a synthetic year through the adapters' HTTP APIs as the ministries' systems would: a few
 * requests at a time, 429 and 503 answered by waiting as Retry-After says, a progress line every
 * few seconds and a summary at the end. Every record has a fixed source id and time, so sending
 * the same year again is answered with the original acceptances and adds nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DemoAdapters } from './scenario.ts';
import type { SyntheticYear } from './synthetic-year.ts';
import {
  creationRequests,
  followUps,
  gapReports,
  gapResolutions,
  milestoneRequests,
  type FollowUp,
  type NativeRequest,
} from './synthetic-year.formats.ts';

export interface SendOptions {
  /** Requests in flight at once (default 6). */
  readonly concurrency?: number;
  /** How often a progress line is written (default 5 s). */
  readonly progressEveryMs?: number;
  /** Attempts of one request before it counts as refused (default 30). */
  readonly maxAttempts?: number;
}

export interface YearSendReport {
  readonly requests: number;
  /** Native records sent (rows of a batch count one each). */
  readonly records: number;
  /** Records accepted, and canonical events they became. */
  readonly accepted: number;
  readonly events: number;
  /** Records refused, by `kind: status title`; and follow-ups not sent because their referral was refused. */
  readonly refused: ReadonlyMap<string, number>;
  readonly skipped: number;
  /** Answers of 429/503 waited out, and retries after a network error. */
  readonly retries: number;
  /** Answered as replays of an earlier run (Idempotent-Replayed: true). */
  readonly replayed: number;
  readonly eventIds: readonly string[];
  /** Passerelle referral id of each accepted referral, by its number. */
  readonly referralIds: ReadonlyMap<string, string>;
  readonly gapIds: readonly string[];
  readonly elapsedMs: number;
}

interface AcceptedEvent {
  readonly eventId: string;
  readonly eventType: string;
  /** The referral's id (referral events) or the gap's (gap events), as the adapter names it. */
  readonly referralId?: string;
  readonly gapId?: string;
  readonly row?: number;
}

class Ledger {
  requests = 0;
  records = 0;
  accepted = 0;
  skipped = 0;
  retries = 0;
  replayed = 0;
  readonly refused = new Map<string, number>();
  readonly eventIds: string[] = [];
  readonly referralIds = new Map<string, string>();
  readonly gapIds = new Set<string>();

  refuse(reason: string, records: number): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + records);
  }
  get refusedRecords(): number {
    return [...this.refused.values()].reduce((a, b) => a + b, 0);
  }
}

/** Seconds to wait as the answer says (Retry-After in seconds or as an HTTP date), else a growing back-off. */
function retryDelayMs(response: Response | undefined, attempt: number): number {
  const header = response?.headers.get('retry-after');
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000) + Math.random() * 250;
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return Math.min(10_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

async function post(adapters: DemoAdapters, request: NativeRequest, ledger: Ledger, maxAttempts: number): Promise<void> {
  const adapter = adapters[request.adapter];
  if (!adapter) throw new Error(`demo: no adapter named ${request.adapter} was given`);
  ledger.requests++;
  ledger.records += request.records;
  for (let attempt = 1; ; attempt++) {
    let response: Response | undefined;
    try {
      response = await fetch(`${adapter.url}${request.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adapter.token}`, 'content-type': request.contentType },
        body: request.body,
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      if (attempt >= maxAttempts)
        return ledger.refuse(`${request.kind}: ${(error as Error).name} after ${attempt} attempts`, request.records);
    }
    if (response?.status === 202) return record(request, (await response.json()) as { events: AcceptedEvent[] }, response, ledger);
    if (response && response.status !== 429 && response.status !== 503) {
      const problem = (await response.json().catch(() => ({}))) as { title?: string; errors?: { field: string; reason: string }[] };
      const first = problem.errors?.[0];
      return ledger.refuse(
        `${request.kind}: ${response.status} ${problem.title ?? ''}${first ? ` (${first.field} ${first.reason})` : ''}`,
        request.records,
      );
    }
    await response?.body?.cancel();
    if (attempt >= maxAttempts)
      return ledger.refuse(`${request.kind}: ${response?.status ?? 'no answer'} after ${attempt} attempts`, request.records);
    ledger.retries++;
    await sleep(retryDelayMs(response, attempt));
  }
}

function record(request: NativeRequest, body: { events: AcceptedEvent[] }, response: Response, ledger: Ledger): void {
  ledger.accepted += request.records;
  if (response.headers.get('idempotent-replayed') === 'true') ledger.replayed += request.records;
  for (const event of body.events) {
    ledger.eventIds.push(event.eventId);
    if (event.eventType === 'ServiceGapReported' && event.gapId) ledger.gapIds.add(event.gapId);
    if (event.eventType !== 'ReferralCreated' || !request.referrals) continue;
    // A CSV row's events say their row (the header is row 1); a single record has one.
    const number = request.referrals[event.row === undefined ? 0 : event.row - 2];
    if (number !== undefined && event.referralId) ledger.referralIds.set(number, event.referralId);
  }
}

/** Runs `tasks` with at most `concurrency` in flight, in order of the list. */
async function pool(tasks: readonly (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

export async function sendYear(
  year: SyntheticYear,
  adapters: DemoAdapters,
  log: (message: string) => void,
  options: SendOptions = {},
): Promise<YearSendReport> {
  const concurrency = options.concurrency ?? 6;
  const maxAttempts = options.maxAttempts ?? 30;
  const ledger = new Ledger();
  const started = Date.now();
  const creations = [...creationRequests(year), ...gapReports(year.gaps), ...milestoneRequests(year.milestones)];
  const later: FollowUp[] = [...followUps(year), ...gapResolutions(year.gaps).map((r) => () => r)];
  const total = creations.reduce((n, r) => n + r.records, 0) + later.length;

  const progress = setInterval(() => {
    const seconds = (Date.now() - started) / 1000;
    const rate = ledger.records / Math.max(seconds, 0.001);
    const eta = rate > 0 ? Math.round((total - ledger.records) / rate) : '?';
    log(
      `${ledger.records}/${total} records sent, ${ledger.accepted} accepted, ${ledger.refusedRecords} refused, ` +
        `${rate.toFixed(0)} records/s, ${ledger.retries} waits for 429/503, ETA ${eta} s`,
    );
  }, options.progressEveryMs ?? 5_000);
  try {
    log(
      `sending ${year.referrals.length} referrals of ${year.year} (seed ${year.seed}), ${year.gaps.length} service gaps and ` +
        `${year.milestones.length} milestones, then ${later.length} status changes, consent withdrawals and resolutions (${total} records)`,
    );
    await pool(
      creations.map((request) => () => post(adapters, request, ledger, maxAttempts)),
      concurrency,
    );
    // Status changes follow once every referral has its Passerelle id (the receiving ministries report by it).
    await pool(
      later.map((make) => async () => {
        const request = make((number) => ledger.referralIds.get(number));
        if (request) await post(adapters, request, ledger, maxAttempts);
        else ledger.skipped++;
      }),
      concurrency,
    );
  } finally {
    clearInterval(progress);
  }
  const report: YearSendReport = {
    requests: ledger.requests,
    records: ledger.records,
    accepted: ledger.accepted,
    events: ledger.eventIds.length,
    refused: ledger.refused,
    skipped: ledger.skipped,
    retries: ledger.retries,
    replayed: ledger.replayed,
    eventIds: ledger.eventIds,
    referralIds: ledger.referralIds,
    gapIds: [...ledger.gapIds],
    elapsedMs: Date.now() - started,
  };
  log(
    `${report.records} records sent in ${report.requests} requests in ${(report.elapsedMs / 1000).toFixed(1)} s: ` +
      `${report.accepted} accepted (${report.events} events, ${report.replayed} answered as replays of an earlier acceptance), ` +
      `${ledger.refusedRecords} refused, ${report.skipped} not sent (referral refused), ${report.retries} waits for 429/503`,
  );
  for (const [reason, count] of report.refused) log(`  refused ${count}: ${reason}`);
  return report;
}
