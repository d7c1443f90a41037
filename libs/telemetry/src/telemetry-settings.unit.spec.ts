import { describe, expect, it } from 'vitest';
import { readTracingSettings, TelemetryConfigError } from './telemetry-settings.ts';

describe('readTracingSettings', () => {
  it('keeps every trace in development, exports by OTLP and leaves the SDK on when nothing is set', () => {
    const settings = readTracingSettings({});

    expect(settings).toMatchObject({
      disabled: false,
      exporter: 'otlp',
      environment: 'development',
      sampler: { name: 'parentbased_always_on', ratio: 1 },
    });
  });

  it('keeps a tenth of root traces, parent-based, outside development unless told otherwise', () => {
    expect(readTracingSettings({ PASSERELLE_ENVIRONMENT: 'production' }).sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.1 });
    expect(readTracingSettings({ PASSERELLE_ENVIRONMENT: 'production', OTEL_TRACES_SAMPLER_ARG: '0.25' }).sampler).toEqual({
      name: 'parentbased_traceidratio',
      ratio: 0.25,
    });
    expect(readTracingSettings({ PASSERELLE_ENVIRONMENT: 'production', OTEL_TRACES_SAMPLER: 'parentbased_always_on' }).sampler.name).toBe(
      'parentbased_always_on',
    );
  });

  it('takes the standard sampler, exporter and switch-off variables', () => {
    const settings = readTracingSettings({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
      OTEL_TRACES_EXPORTER: 'zipkin,console',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
    });

    expect(settings).toMatchObject({
      exporter: 'zipkin',
      zipkinEndpoint: 'http://zipkin:9411/api/v2/spans',
      sampler: { name: 'parentbased_traceidratio', ratio: 0.5 },
    });
    expect(readTracingSettings({ OTEL_SDK_DISABLED: 'true' }).disabled).toBe(true);
    expect(readTracingSettings({ OTEL_TRACES_EXPORTER: 'none' }).exporter).toBe('none');
  });

  it.each([
    ['OTEL_TRACES_EXPORTER', { OTEL_TRACES_EXPORTER: 'jaeger' }],
    ['OTEL_TRACES_SAMPLER', { OTEL_TRACES_SAMPLER: 'sometimes' }],
    ['OTEL_TRACES_SAMPLER_ARG', { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }],
    ['OTEL_TRACES_SAMPLER_ARG', { OTEL_TRACES_SAMPLER_ARG: 'ten percent' }],
    ['OTEL_SDK_DISABLED', { OTEL_SDK_DISABLED: 'yes' }],
  ])('refuses an unusable %s, naming it', (variable, env) => {
    let error: unknown;
    try {
      readTracingSettings(env);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(TelemetryConfigError);
    expect((error as TelemetryConfigError).variable).toBe(variable);
    expect((error as Error).message).toMatch(new RegExp(`^${variable}: `));
  });
});
