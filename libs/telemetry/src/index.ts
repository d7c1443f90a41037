export { startTelemetry } from './telemetry.ts';
export type { InstrumentationName, Telemetry, TelemetryOptions } from './telemetry.ts';
export { readTracingSettings, TelemetryConfigError, PRODUCTION_SAMPLER } from './telemetry-settings.ts';
export type { ExporterName, SamplerName, SamplerSetting, TracingSettings } from './telemetry-settings.ts';
