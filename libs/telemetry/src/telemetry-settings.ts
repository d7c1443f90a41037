/**
 * The standard OTEL_* variables Passerelle honours, read once and validated: a wrong value stops
 * the service naming the variable, where the SDK alone would log it and fall back silently.
 */

export type ExporterName = 'otlp' | 'zipkin' | 'console' | 'none';

export type SamplerName =
  'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export interface SamplerSetting {
  readonly name: SamplerName;
  /** The ratio of root traces kept, for the *traceidratio samplers. */
  readonly ratio: number;
}

export interface TracingSettings {
  /** OTEL_SDK_DISABLED=true: no SDK, no instrumentation, no spans (the API is a no-op). */
  readonly disabled: boolean;
  readonly exporter: ExporterName;
  readonly zipkinEndpoint: string;
  readonly sampler: SamplerSetting;
  /** `deployment.environment.name`, from PASSERELLE_ENVIRONMENT. */
  readonly environment: string;
}

/** A telemetry variable holds a value Passerelle cannot use. */
export class TelemetryConfigError extends Error {
  readonly code = 'TELEMETRY_CONFIG_INVALID';
  readonly retryable = false;

  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'TelemetryConfigError';
  }
}

const EXPORTERS: readonly ExporterName[] = ['otlp', 'zipkin', 'console', 'none'];
const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
/** Environments where every trace is kept unless OTEL_TRACES_SAMPLER says otherwise. */
const SAMPLE_ALL_IN = new Set(['development', 'test']);
/** The documented production default: a tenth of root traces, and whatever the caller decided for the rest. */
export const PRODUCTION_SAMPLER: SamplerSetting = { name: 'parentbased_traceidratio', ratio: 0.1 };
export const DEFAULT_ZIPKIN_ENDPOINT = 'http://127.0.0.1:9411/api/v2/spans';

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T | undefined {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw))
    throw new TelemetryConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function ratioFrom(env: NodeJS.ProcessEnv, fallback: number): number {
  const raw = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (raw === undefined) return fallback;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw new TelemetryConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a number from 0 to 1, got "${raw}"`);
  return ratio;
}

/**
 * OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER (otlp by default; the first of a list), OTEL_EXPORTER_ZIPKIN_ENDPOINT,
 * OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, PASSERELLE_ENVIRONMENT. Without a sampler, development
 * and test keep every trace (parentbased_always_on); any other environment keeps a tenth of root traces
 * (parentbased_traceidratio, 0.1). Parent-based samplers follow the caller's decision, so one request
 * is traced through every service or not at all.
 */
export function readTracingSettings(env: NodeJS.ProcessEnv): TracingSettings {
  const disabledRaw = value(env, 'OTEL_SDK_DISABLED')?.toLowerCase();
  if (disabledRaw !== undefined && disabledRaw !== 'true' && disabledRaw !== 'false') {
    throw new TelemetryConfigError('OTEL_SDK_DISABLED', `must be true or false, got "${disabledRaw}"`);
  }
  const firstExporter = value(env, 'OTEL_TRACES_EXPORTER')?.split(',')[0]?.trim();
  const exporter = oneOf({ OTEL_TRACES_EXPORTER: firstExporter }, 'OTEL_TRACES_EXPORTER', EXPORTERS) ?? 'otlp';
  const environment = value(env, 'PASSERELLE_ENVIRONMENT') ?? 'development';
  const fallback = SAMPLE_ALL_IN.has(environment) ? { name: 'parentbased_always_on' as const, ratio: 1 } : PRODUCTION_SAMPLER;
  const samplerName = oneOf(env, 'OTEL_TRACES_SAMPLER', SAMPLERS);
  const sampler: SamplerSetting = samplerName
    ? { name: samplerName, ratio: ratioFrom(env, samplerName === fallback.name ? fallback.ratio : 1) }
    : { name: fallback.name, ratio: ratioFrom(env, fallback.ratio) };
  return {
    disabled: disabledRaw === 'true',
    exporter,
    zipkinEndpoint: value(env, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT') ?? DEFAULT_ZIPKIN_ENDPOINT,
    sampler,
    environment,
  };
}
