import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

/** The ids a log line written inside a traced request or consumed batch carries. */
export interface TraceLogFields {
  readonly traceId?: string;
  readonly spanId?: string;
}

/** The active span's trace and span ids, or nothing outside a span: what joins a log line to its trace in Zipkin. */
export function traceLogFields(): TraceLogFields {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : {};
}

type Mixin = (merged: object, level: number, logger: unknown) => object;
interface PinoFactory {
  (...args: unknown[]): Record<symbol, unknown>;
  readonly symbols: { readonly mixinSym: symbol };
  pino?: unknown;
  default?: unknown;
}

/**
 * Wraps pino's factory so that every logger it makes (and their children, which inherit the
 * mixin) adds `traceId` and `spanId` to each line. A mixin the caller gave keeps precedence.
 */
export function correlatePino(pino: PinoFactory): PinoFactory {
  const correlated = Object.assign((...args: unknown[]) => {
    const logger = pino(...args);
    const mixinSym = pino.symbols.mixinSym;
    const own = logger[mixinSym] as Mixin | undefined;
    const mixin: Mixin = own ? (merged, level, self) => ({ ...traceLogFields(), ...own(merged, level, self) }) : () => traceLogFields();
    logger[mixinSym] = mixin;
    return logger;
  }, pino);
  if (typeof pino.pino === 'function') correlated.pino = correlated;
  if (typeof pino.default === 'function') correlated.default = correlated;
  return correlated;
}

/**
 * Log correlation as an instrumentation: pino is patched when a service loads it after
 * `startTelemetry`, so `@passerelle/logging` needs no OpenTelemetry dependency. Loaded through
 * `import`, pino arrives as a module namespace (import-in-the-middle), whose bindings are replaced.
 */
export class LogCorrelationInstrumentation extends InstrumentationBase {
  constructor() {
    super('@passerelle/telemetry/log-correlation', '0.1.0', {});
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition('pino', ['>=8 <11'], (exports: Record<string | symbol, unknown>) => {
        const namespace = exports[Symbol.toStringTag] === 'Module';
        const factory = (namespace ? exports['default'] : exports) as PinoFactory;
        const correlated = correlatePino(factory);
        if (!namespace) return correlated;
        exports['default'] = correlated;
        if (typeof exports['pino'] === 'function') exports['pino'] = correlated;
        return exports;
      }),
    ];
  }
}
