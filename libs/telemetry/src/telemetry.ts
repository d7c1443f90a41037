import type { IncomingMessage } from 'node:http';
import { register } from 'node:module';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { LogCorrelationInstrumentation } from './log-correlation.ts';
import { RedactingSpanProcessor } from './redacting-span-processor.ts';
import { cacheRelativeResolution } from './resolution-cache.ts';
import { readTracingSettings, type SamplerSetting, type TracingSettings } from './telemetry-settings.ts';
import { ZipkinPeerExporter } from './zipkin-exporter.ts';

export type InstrumentationName = 'http' | 'express' | 'pg' | 'kafkajs';

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly serviceVersion: string;
  /** Extra resource attributes, such as the ministry an adapter serves. */
  readonly attributes?: Readonly<Record<string, string>>;
  /**
   * Adapters leave out kafkajs: their outbox relay starts one producer span per row under
   * the trace context stored with it, which kafkajs's instrumentation would overwrite.
   */
  readonly instrumentations: readonly InstrumentationName[];
  readonly env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  /** Exports what is buffered; tests call it before asking the trace backend. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function instrumentationsFor(names: readonly InstrumentationName[]): Instrumentation[] {
  const all: Record<InstrumentationName, () => Instrumentation> = {
    http: () =>
      new HttpInstrumentation({
        // Probes would flood the trace backend with one-span traces.
        ignoreIncomingRequestHook: (request: IncomingMessage) => PROBE_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
        // Header values can carry credentials; none are recorded.
        headersToSpanAttributes: {
          server: { requestHeaders: [], responseHeaders: [] },
          client: { requestHeaders: [], responseHeaders: [] },
        },
      }),
    express: () => new ExpressInstrumentation(),
    // Statements are recorded with their placeholders; parameter values never are.
    pg: () => new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
    kafkajs: () => new KafkaJsInstrumentation(),
  };
  return names.map((name) => all[name]());
}

function processors(settings: TracingSettings): SpanProcessor[] {
  const exporter = exporterFor(settings);
  const redacting = new RedactingSpanProcessor();
  return exporter ? [redacting, new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500 })] : [redacting];
}

/** OTEL_TRACES_EXPORTER as the specification names it: otlp (default), zipkin, console or none. */
function exporterFor(settings: TracingSettings): SpanExporter | undefined {
  switch (settings.exporter) {
    case 'none':
      return undefined;
    case 'zipkin':
      // Not @opentelemetry/exporter-zipkin's exporter: it never sets a span's remote endpoint (the broker, for Kafka spans).
      return new ZipkinPeerExporter(settings.zipkinEndpoint);
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp':
      return new OTLPTraceExporter();
  }
}

function samplerFor(setting: SamplerSetting): Sampler {
  switch (setting.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(setting.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(setting.ratio) });
  }
}

const DISABLED: Telemetry = { flush: async () => undefined, shutdown: async () => undefined };

/**
 * Starts the OpenTelemetry SDK. Call it first in a service's entry file and load the rest
 * of the service with a dynamic import afterwards, so http, express, pg and kafkajs are
 * patched before they load. Exporter and sampler come from the standard OTEL_* variables
 * (see readTracingSettings): OTEL_TRACES_EXPORTER (otlp by default; zipkin for the local
 * stack), OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (parent-based; everything in
 * development). OTEL_SDK_DISABLED=true starts nothing: no loader hook, no patching, no spans.
 * Throws TelemetryConfigError naming the variable when one holds an unusable value.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env ?? process.env;
  const settings = readTracingSettings(env);
  if (settings.disabled) return DISABLED;
  // Metrics go through prom-client's /metrics and logs through stdout; the SDK exports traces only.
  env['OTEL_METRICS_EXPORTER'] ??= 'none';
  env['OTEL_LOGS_EXPORTER'] ??= 'none';
  // W3C trace context (traceparent, tracestate) on HTTP and in Kafka headers.
  env['OTEL_PROPAGATORS'] ??= 'tracecontext,baggage';

  // Packages loaded by `import` are patched only through this loader hook; CommonJS
  // require hooks alone miss a package's entry module when ESM code imports it.
  register('import-in-the-middle/hook.mjs', import.meta.url);

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.serviceVersion,
      'deployment.environment.name': settings.environment,
      ...options.attributes,
    }),
    autoDetectResources: false,
    sampler: samplerFor(settings.sampler),
    spanProcessors: processors(settings),
    // Log correlation always: every line a pino logger writes inside a span carries traceId and spanId.
    instrumentations: [...instrumentationsFor(options.instrumentations), new LogCorrelationInstrumentation()],
  });
  sdk.start();
  // The SDK's require hook resolves every require() again; see cacheRelativeResolution.
  cacheRelativeResolution();

  return {
    async flush() {
      const provider = trace.getTracerProvider() as {
        forceFlush?: () => Promise<void>;
        getDelegate?: () => { forceFlush?: () => Promise<void> };
      };
      await (provider.forceFlush?.() ?? provider.getDelegate?.().forceFlush?.());
    },
    shutdown: () => sdk.shutdown(),
  };
}
