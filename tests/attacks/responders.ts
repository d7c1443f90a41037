import type { Knex } from 'knex';
import { ViewRepository } from '@passerelle/view-api';
import { suppressTable } from './baseline-suppression.ts';

/** One query of /v1/stats/referrals, as an attacker composes it. */
export interface StatsQuery {
  readonly groupBy?: readonly string[];
  readonly region?: string;
  readonly category?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface PublishedCell {
  readonly key: Readonly<Record<string, string>>;
  readonly count: number | null;
  readonly suppressed: boolean;
  readonly medianDaysToAcceptance: number | null;
}

/** What /v1/stats/referrals answers (the fields the attacks read). */
export interface StatsBody {
  readonly total: number | null;
  readonly totalSuppressed: boolean;
  readonly cells: readonly PublishedCell[];
  readonly medianDaysToAcceptance: number | null;
  /** Absent in the baseline, which published exact counts. */
  readonly disclosureControl?: { readonly threshold: number; readonly maxPerturbation: number };
}

/** Whatever answers the attacker: the real API, or the baseline method on the same database. */
export interface Responder {
  readonly name: string;
  stats(query: StatsQuery): Promise<StatsBody>;
  /** How many referrals of a region the caller's person-level list returns. */
  listCount(region: string): Promise<number>;
}

export function queryString(query: StatsQuery): string {
  const params = new URLSearchParams();
  if (query.groupBy && query.groupBy.length > 0) params.set('groupBy', query.groupBy.join(','));
  for (const name of ['region', 'category', 'from', 'to'] as const) {
    const value = query[name];
    if (value !== undefined) params.set(name, value);
  }
  return params.toString();
}

/** Answers are remembered per query within one dataset: repeating a query is the averaging attack's job, not the others'. */
abstract class CachingResponder implements Responder {
  abstract readonly name: string;
  private readonly answers = new Map<string, Promise<StatsBody>>();
  private readonly lists = new Map<string, Promise<number>>();

  stats(query: StatsQuery): Promise<StatsBody> {
    const key = queryString(query);
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.fetchStats(query);
      this.answers.set(key, answer);
    }
    return answer;
  }

  listCount(region: string): Promise<number> {
    let answer = this.lists.get(region);
    if (!answer) {
      answer = this.fetchListCount(region);
      this.lists.set(region, answer);
    }
    return answer;
  }

  /** A new dataset: nothing remembered holds any more. */
  forget(): void {
    this.answers.clear();
    this.lists.clear();
  }

  protected abstract fetchStats(query: StatsQuery): Promise<StatsBody>;
  protected abstract fetchListCount(region: string): Promise<number>;
}

async function getJson(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** Pages through the person-level list of a region as the caller, counting rows. */
async function countListed(baseUrl: string, token: string, region: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page = (await getJson(
      `${baseUrl}/v1/referrals?region=${region}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      token,
    )) as { items: unknown[]; nextCursor: string | null };
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}

/** The real view API over HTTP, with the coordination office's token. */
export class ApiResponder extends CachingResponder {
  readonly name = 'cell key method (the API)';

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {
    super();
  }

  /** Uncached: what the averaging attack repeats. */
  async fresh(query: StatsQuery): Promise<StatsBody> {
    return (await getJson(`${this.baseUrl}/v1/stats/referrals?${queryString(query)}`, this.token)) as StatsBody;
  }

  protected fetchStats(query: StatsQuery): Promise<StatsBody> {
    return this.fresh(query);
  }

  protected fetchListCount(region: string): Promise<number> {
    return countListed(this.baseUrl, this.token, region);
  }
}

/**
 * The method before the cell key method, on the same database and the same SQL: exact counts,
 * counts from 1 to the threshold suppressed with complementary suppression, a ranged table checked
 * against all time, medians to a tenth of a day behind more than `threshold` acceptances.
 */
export class BaselineResponder extends CachingResponder {
  readonly name = 'suppression only (before)';
  private readonly view: ViewRepository;

  constructor(
    db: Knex,
    schema: string,
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly threshold = 5,
  ) {
    super();
    this.view = new ViewRepository(db as never, schema);
  }

  protected async fetchStats(query: StatsQuery): Promise<StatsBody> {
    const groupBy = [...(query.groupBy ?? [])] as Parameters<ViewRepository['referralStats']>[0][number][];
    const filters = { region: query.region, category: query.category, from: query.from, to: query.to };
    const { rows, overall } = await this.view.referralStats(groupBy, filters);
    const ranged = query.from !== undefined || query.to !== undefined;
    const enclosing = ranged
      ? (await this.view.referralStats(groupBy, { region: query.region, category: query.category })).rows
      : undefined;
    const table = suppressTable(rows, groupBy, this.threshold, enclosing ? { cells: enclosing } : undefined);
    const median = (accepted: number, value: number | null) =>
      accepted > this.threshold && value !== null ? Math.round(value * 10) / 10 : null;
    return {
      total: table.total,
      totalSuppressed: table.totalSuppressed,
      cells: (groupBy.length === 0 ? [] : table.cells).map((cell, index) => {
        const row = rows[index];
        return {
          key: cell.key,
          count: cell.count,
          suppressed: cell.suppressed,
          medianDaysToAcceptance: !cell.suppressed && row ? median(row.accepted, row.medianDaysToAcceptance) : null,
        };
      }),
      medianDaysToAcceptance: table.totalSuppressed ? null : median(overall.accepted, overall.medianDaysToAcceptance),
    };
  }

  protected fetchListCount(region: string): Promise<number> {
    return countListed(this.baseUrl, this.token, region);
  }
}

export type { CachingResponder };
