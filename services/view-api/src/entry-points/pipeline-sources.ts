import { parsePrometheusText, pipelineFiguresOf, type PipelineSource, type ServicePipelineFigures } from '../domain/pipeline.ts';

/** A scrape answer larger than this is not a Passerelle service's: it is refused unread. */
const MAX_METRICS_BYTES = 2_000_000;

/**
 * Reads each source's /metrics at once (two seconds each, the metrics token when the deployment
 * has one) and keeps what the operator needs. An unreachable service is reported as such,
 * never as zero.
 */
export async function readPipelineSources(
  sources: readonly PipelineSource[],
  metricsToken: string | undefined,
): Promise<ServicePipelineFigures[]> {
  return Promise.all(
    sources.map(async (source) => {
      try {
        const response = await fetch(`${source.url}/metrics`, {
          headers: metricsToken ? { authorization: `Bearer ${metricsToken}` } : {},
          signal: AbortSignal.timeout(2_000),
          redirect: 'error',
        });
        const length = Number(response.headers.get('content-length') ?? 0);
        if (!response.ok || length > MAX_METRICS_BYTES) {
          await response.body?.cancel();
          return pipelineFiguresOf(source.service, undefined);
        }
        const text = await boundedText(response, MAX_METRICS_BYTES);
        return pipelineFiguresOf(source.service, text === undefined ? undefined : parsePrometheusText(text));
      } catch {
        return pipelineFiguresOf(source.service, undefined);
      }
    }),
  );
}

/** The body as text, read only up to `limit` bytes: past it (a chunked answer has no length to check first) it is cancelled. */
async function boundedText(response: Response, limit: number): Promise<string | undefined> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) {
      await response.body.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
