export { startTelemetry } from './telemetry.ts';
export type { InstrumentationName, Telemetry, TelemetryOptions } from './telemetry.ts';
