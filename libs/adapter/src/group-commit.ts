import { context, type Context } from '@opentelemetry/api';
import { Histogram, type Registry } from 'prom-client';
import type { Knex } from '@passerelle/db';

/**
 * Thrown by a request's work to be run once more from its savepoint, with the next attempt number:
 * an optimistic first attempt that lost a race (a key claimed meanwhile) hands over to a careful one.
 */
export class RetryFromSavepoint extends Error {
  constructor() {
    super('retry from savepoint');
    this.name = 'RetryFromSavepoint';
  }
}

/** One request's share of a group: its statements, run inside its own savepoint of the group's transaction. */
export type GroupWork<T> = (trx: Knex.Transaction, attempt: number) => Promise<T>;

/**
 * A request that can also be tried together with the rest of its group: `together` runs at the
 * same time as the others' on the group's connection (the connection never waits for this
 * process's event loop between one request's statements), and the group's `finishTogether`
 * writes what they prepared in multi-row statements. If any of them throws, or the finish does,
 * the whole try is rolled back and every request runs `alone`, one after the other.
 */
export interface GroupJob<T> {
  readonly alone: GroupWork<T>;
  /** `position`: the request's place in its group, in arrival order (0 first). */
  readonly together?: (trx: Knex.Transaction, position: number) => Promise<T>;
}

export interface GroupCommitOptions {
  readonly db: Knex;
  /** How long the first request of a group waits for others to join it (default 2 ms). */
  readonly windowMs?: number;
  /**
   * Requests per group at most (default 32); a full group starts at once. Kept under 64: every
   * request is a subtransaction, and past 64 of them PostgreSQL's snapshots of every backend slow down.
   */
  readonly maxGroupSize?: number;
  /** Groups in flight at most (default 4), each holding one pooled connection; the others wait, and grow. */
  readonly maxGroupsInFlight?: number;
  /** Times a whole group is run again after a deadlock or serialization failure (default 3). */
  readonly maxRetries?: number;
  readonly metrics?: Registry;
  /** Writes what the requests tried together prepared (values in arrival order); a throw sends them one by one. */
  readonly finishTogether?: (trx: Knex.Transaction, values: readonly unknown[]) => Promise<void>;
}

/** How many groups committed and how many requests they carried, for tests and the bench. */
export interface GroupCommitStats {
  readonly groups: number;
  readonly requests: number;
  readonly largestGroup: number;
  /** Groups run again from the start after a deadlock or serialization failure. */
  readonly retriedGroups: number;
  /** Groups whose requests could not all go together and went one by one. */
  readonly oneByOne: number;
}

interface Job extends GroupJob<unknown> {
  /** The submitter's trace context: a request's own statements are spans of its own trace. */
  readonly context: Context;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** PostgreSQL's answers after which running the same statements again may succeed: deadlock, serialization failure. */
const RETRYABLE = new Set(['40P01', '40001']);

/** A deadlock or serialization failure: the group is run again from the start. */
export function isRetryableDatabaseError(error: unknown): boolean {
  return RETRYABLE.has(String((error as { code?: unknown } | undefined)?.code));
}

/**
 * Queues the statements of a transaction's requests sent at the same time, each sent as soon as
 * the one before has answered (a microtask later, not a turn of the event loop): one statement in
 * flight on the connection at a time, as the pg driver requires of its callers.
 */
async function oneStatementAtATime<T>(trx: Knex.Transaction, body: () => Promise<T>): Promise<T> {
  const client = trx.client as { query: (connection: unknown, statement: unknown) => Promise<unknown> };
  const query = client.query;
  let tail: Promise<unknown> = Promise.resolve();
  client.query = (connection, statement) => {
    const answer = tail.then(() => query.call(client, connection, statement));
    tail = answer.catch(() => undefined);
    return answer;
  };
  try {
    return await body();
  } finally {
    client.query = query;
  }
}

export const DEFAULT_GROUP_WINDOW_MS = 2;
export const DEFAULT_MAX_GROUP_SIZE = 32;
export const DEFAULT_MAX_GROUPS_IN_FLIGHT = 4;

/**
 * Group commit: requests arriving within a few milliseconds share one PostgreSQL transaction, so
 * they share one COMMIT (one WAL flush) and one connection, instead of one each. Each request runs
 * in a savepoint of its own, in arrival order: its refusal (a thrown error) rolls back only its own
 * statements, and a later request sees an earlier one's rows, exactly as if they had come one after
 * the other. Every outcome, success or refusal, is given only once the group's COMMIT has returned;
 * if the COMMIT fails, every request of the group fails with that error and none was accepted.
 */
export class GroupCommit {
  private readonly windowMs: number;
  private readonly maxGroupSize: number;
  private readonly maxGroupsInFlight: number;
  private readonly maxRetries: number;
  private readonly sizes: Histogram | undefined;
  private pending: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private counts = { groups: 0, requests: 0, largestGroup: 0, retriedGroups: 0, oneByOne: 0 };

  constructor(private readonly options: GroupCommitOptions) {
    this.windowMs = options.windowMs ?? DEFAULT_GROUP_WINDOW_MS;
    this.maxGroupSize = Math.max(1, options.maxGroupSize ?? DEFAULT_MAX_GROUP_SIZE);
    this.maxGroupsInFlight = Math.max(1, options.maxGroupsInFlight ?? DEFAULT_MAX_GROUPS_IN_FLIGHT);
    this.maxRetries = options.maxRetries ?? 3;
    this.sizes = options.metrics
      ? new Histogram({
          name: 'adapter_group_commit_size',
          help: 'Requests per committed acceptance transaction (group commit)',
          buckets: [1, 2, 4, 8, 16, 32, 64],
          registers: [options.metrics],
        })
      : undefined;
  }

  get stats(): GroupCommitStats {
    return { ...this.counts };
  }

  /** Runs `work` in the next group; resolves with its value once that group committed, or rejects. */
  submit<T>(work: GroupWork<T> | GroupJob<T>): Promise<T> {
    const job: GroupJob<T> = typeof work === 'function' ? { alone: work } : work;
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ ...(job as GroupJob<unknown>), context: context.active(), resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.length >= this.maxGroupSize) this.startGroups();
      else this.timer ??= setTimeout(() => this.startGroups(), this.windowMs);
    });
  }

  /** Starts groups while there are requests waiting and room in flight; what is left waits for a group to finish. */
  private startGroups(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0 && this.inFlight < this.maxGroupsInFlight) {
      const jobs = this.pending.slice(0, this.maxGroupSize);
      this.pending = this.pending.slice(jobs.length);
      this.inFlight += 1;
      void this.runGroup(jobs).finally(() => {
        this.inFlight -= 1;
        // Those that waited for room have waited long enough: no second window.
        if (this.pending.length > 0) this.startGroups();
      });
    }
  }

  private async runGroup(jobs: readonly Job[]): Promise<void> {
    for (let round = 0; ; round += 1) {
      let outcomes: Outcome[] = [];
      try {
        await this.options.db.transaction(async (trx) => {
          const together = await this.runTogether(trx, jobs);
          if (together !== undefined) {
            outcomes = together.map((value) => ({ ok: true, value }));
            return;
          }
          outcomes = [];
          await trx.raw('SAVEPOINT request');
          for (const job of jobs) {
            // A refused request was rolled back to the savepoint, which stays: the next one reuses it.
            const previous = outcomes.at(-1);
            if (previous?.ok === true) await trx.raw('RELEASE SAVEPOINT request; SAVEPOINT request');
            outcomes.push(await this.runJob(trx, job));
          }
        });
      } catch (error) {
        if (isRetryableDatabaseError(error) && round < this.maxRetries) {
          this.counts.retriedGroups += 1;
          continue;
        }
        for (const job of jobs) job.reject(error);
        return;
      }
      this.counts.groups += 1;
      this.counts.requests += jobs.length;
      this.counts.largestGroup = Math.max(this.counts.largestGroup, jobs.length);
      this.sizes?.observe(jobs.length);
      jobs.forEach((job, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok === true) job.resolve(outcome.value);
        else job.reject(outcome?.error);
      });
      return;
    }
  }

  /** Every request of the group at once, then the finish; undefined (all undone) when they must go one by one. */
  private async runTogether(trx: Knex.Transaction, jobs: readonly Job[]): Promise<unknown[] | undefined> {
    if (!jobs.every((job) => job.together !== undefined)) return undefined;
    await trx.raw('SAVEPOINT together');
    const settled = await oneStatementAtATime(trx, () =>
      Promise.allSettled(
        jobs.map((job, position) => context.with(job.context, () => (job.together as NonNullable<Job['together']>)(trx, position))),
      ),
    );
    const reasons = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    // A deadlock victim's locks are gone with its statement, not its group's: the whole group goes again.
    const deadlock = reasons.find(isRetryableDatabaseError);
    if (deadlock !== undefined) throw deadlock;
    try {
      if (reasons.length > 0) throw reasons[0];
      const values = settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
      await this.options.finishTogether?.(trx, values);
      return values;
    } catch (error) {
      if (isRetryableDatabaseError(error)) throw error;
      await trx.raw('ROLLBACK TO SAVEPOINT together');
      this.counts.oneByOne += 1;
      return undefined;
    }
  }

  /** One request in the current savepoint: its value, or its refusal once its statements are rolled back. */
  private async runJob(trx: Knex.Transaction, job: Job): Promise<Outcome> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return { ok: true, value: await context.with(job.context, () => job.alone(trx, attempt)) };
      } catch (error) {
        await trx.raw('ROLLBACK TO SAVEPOINT request');
        // A deadlock victim's locks are gone with its statement, not its group's: the whole group goes again.
        if (isRetryableDatabaseError(error)) throw error;
        if (error instanceof RetryFromSavepoint && attempt < 3) continue;
        return { ok: false, error };
      }
    }
  }
}
