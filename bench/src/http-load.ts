/**
 * HTTP load on the adapters' POST /referrals (and on the bare L_http server, which takes the same
 * bodies): a closed loop of N clients for throughput, an open loop at a fixed rate for latency.
 * node:http with keep-alive sockets, one per client, as a ministry system's connection pool.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { now, scheduledAt } from './open-loop.ts';
import { accountedPercentiles, type Percentiles } from './stats.ts';

/** A school board's referral as adapter-education takes it; `i` makes the board's id unique within `runId`. */
export function schoolBoardReferral(i: number, runId: string) {
  const regions = ['toronto', 'east', 'central', 'north_east', 'north_west', 'west'];
  const oen = String(100_000_000 + ((i * 7919) % 899_999_999)).padStart(9, '0');
  return {
    boardNumber: 'B66052',
    boardReferralId: `BENCH-${runId}-${i}`,
    student: { oen, legalFirstName: 'Bench', legalLastName: 'Student' },
    referredTo: { serviceType: i % 2 ? 'community_agency' : 'childrens_aid_society', ...(i % 2 ? {} : { ministry: 'child_welfare' }) },
    supportNeeded: i % 3 ? 'guidance_counselling' : 'child_protection',
    region: regions[i % regions.length],
    urgency: i % 5 ? 'routine' : 'urgent',
    consent: 'standard',
    flags: { youngWomen: i % 2 === 0 },
    referredOn: '2025-03-05T12:10:00-05:00',
  };
}

/** JSON for results that hold Infinity or NaN (a percentile over lost samples), which JSON.stringify would turn into null. */
export const stringifyNumbers = (value: unknown, space?: number): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), space);

export const parseNumbers = <T>(text: string): T =>
  JSON.parse(text, (_key, v: unknown) =>
    v === 'Infinity' ? Number.POSITIVE_INFINITY : v === '-Infinity' ? Number.NEGATIVE_INFINITY : v === 'NaN' ? Number.NaN : v,
  ) as T;

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** POSTs JSON bodies to one URL over a keep-alive pool of `sockets` connections. */
export class Poster {
  private readonly agent: http.Agent;
  private readonly target: URL;

  constructor(
    url: string,
    private readonly token: string,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
    this.target = new URL(url);
  }

  post(body: unknown, timeoutMs = 60_000): Promise<Answer> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.target.hostname,
          port: this.target.port,
          path: this.target.pathname,
          method: 'POST',
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      // A hard deadline, whether the request has a socket yet or still waits for a free one.
      const deadline = setTimeout(() => req.destroy(new Error('deadline')), timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadResult {
  /** Requests sent, answered 202, and not (another status, an error or no answer in time). */
  readonly sent: number;
  readonly accepted: number;
  readonly failed: number;
  /** Answers by status (0: no answer), for the failures' explanation. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly acceptedPerSecond: number;
  /** Time to the 202: from the send (closed loop) or from the scheduled send (open loop); failures count as never answered. */
  readonly latency: Percentiles & { readonly unseen: number };
  /** What each 202 said, when asked for (the events' ids, to find them in the view). */
  readonly answers?: readonly string[];
}

function summarise(
  sent: number,
  latencies: readonly number[],
  statuses: Record<string, number>,
  startedAt: number,
  endedAt: number,
  answers?: string[],
): LoadResult {
  const accepted = latencies.length;
  return {
    sent,
    accepted,
    failed: sent - accepted,
    statuses,
    startedAt,
    durationMs: endedAt - startedAt,
    acceptedPerSecond: endedAt > startedAt ? (accepted * 1000) / (endedAt - startedAt) : 0,
    latency: accountedPercentiles(latencies, sent - accepted),
    ...(answers ? { answers } : {}),
  };
}

/** `clients` clients each sending its next request as soon as the previous is answered, for `seconds`. */
export async function closedLoop(
  poster: Poster,
  clients: number,
  seconds: number,
  body: (i: number) => unknown,
  keep?: (answer: string) => string[],
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const answers: string[] | undefined = keep ? [] : undefined;
  let next = 0;
  const startedAt = now();
  const until = startedAt + seconds * 1000;
  let lastAnswer = startedAt;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (now() < until) {
        const i = next++;
        const sentAt = now();
        const answer = await poster.post(body(i)).catch(() => ({ status: 0, body: '' }));
        lastAnswer = now();
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (answer.status === 202) {
          latencies.push(lastAnswer - sentAt);
          if (answers && keep) answers.push(...keep(answer.body));
        }
      }
    }),
  );
  return summarise(next, latencies, statuses, startedAt, lastAnswer, answers);
}

/**
 * Sends at `rate` per second for `seconds`, whatever the answers' latency, over the poster's
 * sockets (a request waiting for a free socket waits on the clock too). Latency is measured from
 * the time each request was scheduled for; one not answered 202 within `deadlineMs` counts as never
 * answered. `onAccepted` sees each 202 with its scheduled and answer times.
 */
export async function openLoopPosts(
  poster: Poster,
  rate: number,
  seconds: number,
  body: (i: number) => unknown,
  onAccepted?: (answer: string, scheduledFor: number, answeredAt: number) => void,
  deadlineMs = 30_000,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const total = Math.max(1, Math.round(rate * seconds));
  const startedAt = now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = scheduledAt(startedAt, i, rate);
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    pending.push(
      poster
        .post(body(i), Math.max(1, due + deadlineMs - now()))
        .catch(() => ({ status: 0, body: '' }))
        .then((answer) => {
          const answeredAt = now();
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          if (answer.status === 202 && answeredAt - due <= deadlineMs) {
            latencies.push(answeredAt - due);
            onAccepted?.(answer.body, due, answeredAt);
          }
        }),
    );
  }
  await Promise.all(pending);
  return summarise(total, latencies, statuses, startedAt, now());
}
