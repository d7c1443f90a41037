export { startTelemetry } from './telemetry.ts';
export type { InstrumentationName, Telemetry, TelemetryOptions } from './telemetry.ts';
export { readTracingSettings, TelemetryConfigError, PRODUCTION_SAMPLER } from './telemetry-settings.ts';
export type { ExporterName, SamplerName, SamplerSetting, TracingSettings } from './telemetry-settings.ts';
export { traceLogFields } from './log-correlation.ts';
export type { TraceLogFields } from './log-correlation.ts';
export { ZipkinPeerExporter } from './zipkin-exporter.ts';
export type { ZipkinEndpoint, ZipkinSpan } from './zipkin-span.ts';
