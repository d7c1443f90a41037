/**
 * Zipkin's in-memory store keeps at most MEM_MAX_SPANS spans and evicts on every write once full,
 * which costs it a core on this machine: tracing figures taken then measure the eviction. The bench
 * reads how many spans Zipkin has received since it started and warns when the store must be full.
 */

/** Spans Zipkin's collectors received since it started, from its Prometheus text; undefined if absent. */
export function spansReceived(prometheusText: string): number | undefined {
  let total: number | undefined;
  for (const line of prometheusText.split('\n')) {
    const match = /^zipkin_collector_spans_total(?:\{[^}]*\})?\s+([0-9.eE+-]+)\s*$/.exec(line.trim());
    if (match) total = (total ?? 0) + Number(match[1]);
  }
  return total;
}

export async function zipkinSpansReceived(zipkinUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${zipkinUrl}/prometheus`, { signal: AbortSignal.timeout(5_000) });
    return response.ok ? spansReceived(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}
