import { now, openLoop } from './open-loop.ts';
import { percentiles, type Percentiles } from './stats.ts';

/** The dashboard's three queries, as app.js sends them on load. */
export const DASHBOARD_QUERIES = ['/v1/stats/referrals?groupBy=region,status', '/v1/service-gaps/summary', '/v1/initiatives'];

export interface ApiLoadResult {
  readonly latency: Percentiles;
  readonly errors: number;
}

/** Requests at a fixed rate over the dashboard's queries; latency of each successful one (ms). */
export async function apiLoad(baseUrl: string, token: string, ratePerSecond: number, seconds: number): Promise<ApiLoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  await openLoop(ratePerSecond, seconds, async (i, sentAt) => {
    const response = await fetch(`${baseUrl}${DASHBOARD_QUERIES[i % DASHBOARD_QUERIES.length]}`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (!response.ok) errors++;
    else latencies.push(now() - sentAt);
  });
  return { latency: percentiles(latencies), errors };
}
