import { setTimeout as sleep } from 'node:timers/promises';

/** A span as Zipkin's v2 API returns it. */
export interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name?: string;
  readonly kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  readonly timestamp?: number;
  readonly duration?: number;
  readonly localEndpoint?: { readonly serviceName?: string };
  readonly tags?: Readonly<Record<string, string>>;
  readonly annotations?: readonly { readonly timestamp: number; readonly value: string }[];
}

/**
 * Reads one trace from Zipkin, polling until `complete` holds and no new span arrived for
 * `settleMs`: services export in batches, each on its own schedule.
 */
export async function readTrace(
  zipkinUrl: string,
  traceId: string,
  complete: (spans: readonly ZipkinSpan[]) => boolean,
  timeoutMs = 60_000,
  settleMs = 2_500,
): Promise<ZipkinSpan[]> {
  const deadline = Date.now() + timeoutMs;
  let spans: ZipkinSpan[] = [];
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const response = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
    const found = response.ok ? ((await response.json()) as ZipkinSpan[]) : [];
    if (found.length !== spans.length) stableSince = Date.now();
    spans = found;
    if (complete(spans) && Date.now() - stableSince >= settleMs) return spans;
    await sleep(500);
  }
  return spans;
}

/** The span's chain of parents within the trace, nearest first. */
export function ancestorsOf(spans: readonly ZipkinSpan[], span: ZipkinSpan | undefined): ZipkinSpan[] {
  if (!span) return [];
  const byId = new Map(spans.map((s) => [s.id, s]));
  const chain: ZipkinSpan[] = [];
  let parent = span.parentId ? byId.get(span.parentId) : undefined;
  while (parent && chain.length < spans.length) {
    chain.push(parent);
    parent = parent.parentId ? byId.get(parent.parentId) : undefined;
  }
  return chain;
}

export function queryText(span: ZipkinSpan): string {
  return span.tags?.['db.query.text'] ?? span.tags?.['db.statement'] ?? '';
}

/** A one-line-per-span rendering for assertion messages. */
export function describeTrace(spans: readonly ZipkinSpan[]): string {
  return spans
    .map(
      (s) =>
        `${s.localEndpoint?.serviceName} ${s.kind ?? '-'} ${s.name} id=${s.id} parent=${s.parentId ?? '-'} ${queryText(s).slice(0, 80)}`,
    )
    .join('\n');
}
