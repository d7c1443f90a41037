import { describe, expect, it } from 'vitest';
import type { Knex } from '@passerelle/db';
import { rejectionOf } from '@passerelle/testing';
import { GroupCommit, RetryFromSavepoint } from './group-commit.ts';

/**
 * A stand-in for knex: records the statements each transaction sends and whether it committed.
 * `failCommit` makes the next COMMIT fail with the given error.
 */
class FakeDatabase {
  readonly transactions: { statements: string[]; committed: boolean }[] = [];
  failCommit: unknown[] = [];
  open = 0;
  mostOpen = 0;

  asKnex(): Knex {
    return {
      transaction: async (body: (trx: Knex.Transaction) => Promise<unknown>) => {
        const record = { statements: [] as string[], committed: false };
        this.transactions.push(record);
        this.open += 1;
        this.mostOpen = Math.max(this.mostOpen, this.open);
        try {
          const trx = {
            raw: async (sql: string) => {
              record.statements.push(sql);
              await Promise.resolve();
            },
            client: { query: async () => undefined },
          } as unknown as Knex.Transaction;
          const value = await body(trx);
          const failure = this.failCommit.shift();
          if (failure !== undefined) throw failure;
          record.committed = true;
          return value;
        } finally {
          this.open -= 1;
        }
      },
    } as unknown as Knex;
  }
}

const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });

describe('GroupCommit', () => {
  it('puts requests arriving together in one transaction, each in its own savepoint, each with its own outcome', async () => {
    const fake = new FakeDatabase();
    const group = new GroupCommit({ db: fake.asKnex(), windowMs: 5 });

    const results = await Promise.allSettled([
      group.submit(async (trx) => {
        await trx.raw('first');
        return 'a';
      }),
      group.submit(async (trx) => {
        await trx.raw('refused');
        throw new Error('refused');
      }),
      group.submit(async (trx) => {
        await trx.raw('third');
        return 'c';
      }),
    ]);

    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'refused', 'c']);
    expect(fake.transactions).toHaveLength(1);
    expect(fake.transactions[0]).toEqual({
      committed: true,
      statements: [
        'SAVEPOINT request',
        'first',
        'RELEASE SAVEPOINT request; SAVEPOINT request',
        'refused',
        // The refused request's statements are undone; its savepoint serves the next request.
        'ROLLBACK TO SAVEPOINT request',
        'third',
      ],
    });
    expect(group.stats).toEqual({ groups: 1, requests: 3, largestGroup: 3, retriedGroups: 0, oneByOne: 0 });
  });

  it('answers nobody before the COMMIT, and fails every request of a group whose COMMIT fails, refusals included', async () => {
    const fake = new FakeDatabase();
    const commitFailure = Object.assign(new Error('terminating connection'), { code: '57P01' });
    fake.failCommit = [commitFailure];
    const group = new GroupCommit({ db: fake.asKnex(), windowMs: 5 });

    const outcomes = await Promise.all([
      rejectionOf(group.submit(async () => 'a')),
      rejectionOf(
        group.submit(async () => {
          throw new Error('refused');
        }),
      ),
    ]);

    expect(outcomes).toEqual([commitFailure, commitFailure]);
    expect(fake.transactions.map((t) => t.committed)).toEqual([false]);
    expect(group.stats.groups).toBe(0);
  });

  it('runs a request again from its savepoint when it asks to, with the next attempt number', async () => {
    const fake = new FakeDatabase();
    const group = new GroupCommit({ db: fake.asKnex(), windowMs: 1 });

    const value = await group.submit(async (trx, attempt) => {
      await trx.raw(`attempt ${attempt}`);
      if (attempt === 1) throw new RetryFromSavepoint();
      return attempt;
    });

    expect(value).toBe(2);
    expect(fake.transactions[0]?.statements).toEqual(['SAVEPOINT request', 'attempt 1', 'ROLLBACK TO SAVEPOINT request', 'attempt 2']);
  });

  it('runs a whole group again after a deadlock, and gives up after maxRetries', async () => {
    const fake = new FakeDatabase();
    const group = new GroupCommit({ db: fake.asKnex(), windowMs: 1, maxRetries: 2 });
    let calls = 0;

    const value = await group.submit(async () => {
      calls += 1;
      if (calls === 1) throw deadlock;
      return 'done';
    });
    const failure = await rejectionOf(
      group.submit(async () => {
        throw deadlock;
      }),
    );

    expect(value).toBe('done');
    expect(failure).toBe(deadlock);
    // 2 for the first request, 3 (the first run and two retries) for the second.
    expect(fake.transactions.map((t) => t.committed)).toEqual([false, true, false, false, false]);
    expect(group.stats.retriedGroups).toBe(3);
  });

  it('tries the requests together first and finishes them in arrival order, one by one when any of them cannot go together', async () => {
    const fake = new FakeDatabase();
    const finished: unknown[][] = [];
    const group = new GroupCommit({
      db: fake.asKnex(),
      windowMs: 5,
      finishTogether: async (trx, values) => {
        await trx.raw('finish');
        finished.push([...values]);
      },
    });
    const job = (name: string, together: boolean) => ({
      together: async (trx: Knex.Transaction) => {
        await trx.raw(`together ${name}`);
        if (!together) throw new RetryFromSavepoint();
        return `${name} together`;
      },
      alone: async (trx: Knex.Transaction) => {
        await trx.raw(`alone ${name}`);
        return `${name} alone`;
      },
    });

    const all = await Promise.all([group.submit(job('a', true)), group.submit(job('b', true))]);
    const mixed = await Promise.all([group.submit(job('c', true)), group.submit(job('d', false))]);

    expect(all).toEqual(['a together', 'b together']);
    expect(finished).toEqual([['a together', 'b together']]);
    expect(mixed).toEqual(['c alone', 'd alone']);
    expect(fake.transactions[1]?.statements).toEqual([
      'SAVEPOINT together',
      'together c',
      'together d',
      'ROLLBACK TO SAVEPOINT together',
      'SAVEPOINT request',
      'alone c',
      'RELEASE SAVEPOINT request; SAVEPOINT request',
      'alone d',
    ]);
    expect(group.stats.oneByOne).toBe(1);
  });

  it('starts a full group at once, splits what is more than a group, and keeps at most maxGroupsInFlight open', async () => {
    const fake = new FakeDatabase();
    const group = new GroupCommit({ db: fake.asKnex(), windowMs: 60_000, maxGroupSize: 4, maxGroupsInFlight: 2 });

    const values = await Promise.all(Array.from({ length: 12 }, (_, i) => group.submit(async () => i)));

    expect(values).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(fake.transactions).toHaveLength(3);
    expect(fake.mostOpen).toBeLessThanOrEqual(2);
    expect(group.stats).toEqual({ groups: 3, requests: 12, largestGroup: 4, retriedGroups: 0, oneByOne: 0 });
  });
});
