import { prepareSend } from '@opentelemetry/exporter-zipkin';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from './semconv.ts';
import { toZipkinSpan, type ZipkinSpan } from './zipkin-span.ts';

type ExportCallback = Parameters<SpanExporter['export']>[1];
type ExportResult = Parameters<ExportCallback>[0];
type Send = (spans: ZipkinSpan[], done: (result: ExportResult) => void) => void;

/**
 * Exports to Zipkin's v2 API like `@opentelemetry/exporter-zipkin` (whose HTTP sender it uses),
 * but with each span's remote endpoint (zipkin-span.ts), so that Zipkin's dependency graph shows
 * ministry adapter → kafka → projector.
 */
export class ZipkinPeerExporter implements SpanExporter {
  private readonly send: Send;
  private readonly sending = new Set<Promise<void>>();
  private shutDown = false;

  constructor(url: string) {
    // Its span type is structurally ours; only its kind enum is nominal.
    this.send = prepareSend(url, {}) as unknown as Send;
  }

  export(spans: ReadableSpan[], done: ExportCallback): void {
    if (this.shutDown) {
      // ExportResultCode.FAILED (1), without a dependency on @opentelemetry/core for one constant.
      setTimeout(() => done({ code: 1, error: new Error('exporter shut down') } as ExportResult));
      return;
    }
    const zipkinSpans = spans.map((span) =>
      toZipkinSpan(span, String(span.attributes[ATTR_SERVICE_NAME] ?? span.resource.attributes[ATTR_SERVICE_NAME] ?? 'unknown')),
    );
    const sent = new Promise<void>((resolve) =>
      this.send(zipkinSpans, (result) => {
        resolve();
        done(result);
      }),
    );
    this.sending.add(sent);
    void sent.then(() => this.sending.delete(sent));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.sending);
  }

  async shutdown(): Promise<void> {
    this.shutDown = true;
    await this.forceFlush();
  }
}
