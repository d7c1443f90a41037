import { now, openLoop } from './open-loop.ts';
import { percentiles, type Percentiles } from './stats.ts';

/** The dashboard's three queries, as app.js sends them on load. */
export const DASHBOARD_QUERIES = ['/v1/stats/referrals?groupBy=region,status', '/v1/service-gaps/summary', '/v1/initiatives'];

export interface ApiLoadResult {
  readonly latency: Percentiles;
  /** The same, for each of DASHBOARD_QUERIES: which query makes the tail. */
  readonly byQuery: Readonly<Record<string, Percentiles>>;
  readonly errors: number;
}

/** Requests at a fixed rate over the dashboard's queries; latency of each successful one (ms). */
export async function apiLoad(baseUrl: string, token: string, ratePerSecond: number, seconds: number): Promise<ApiLoadResult> {
  const latencies: number[] = [];
  const byQuery = new Map<string, number[]>(DASHBOARD_QUERIES.map((query) => [query, []]));
  let errors = 0;
  await openLoop(ratePerSecond, seconds, async (i, sentAt) => {
    const query = DASHBOARD_QUERIES[i % DASHBOARD_QUERIES.length] as string;
    const response = await fetch(`${baseUrl}${query}`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (!response.ok) errors++;
    else {
      const latency = now() - sentAt;
      latencies.push(latency);
      byQuery.get(query)?.push(latency);
    }
  });
  return {
    latency: percentiles(latencies),
    byQuery: Object.fromEntries([...byQuery].map(([query, values]) => [query, percentiles(values)])),
    errors,
  };
}
