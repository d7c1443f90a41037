import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { correlatePino, traceLogFields } from './log-correlation.ts';

const mixinSym = Symbol('pino.mixin');

/** pino's shape where it matters: a factory whose loggers call `this[mixinSym]` for each line. */
function fakePino() {
  const lines: object[] = [];
  const factory = Object.assign(
    (options: { mixin?: () => object } = {}) => ({
      [mixinSym]: options.mixin,
      info(this: Record<symbol, unknown>, fields: object) {
        const mixin = this[mixinSym] as ((merged: object, level: number) => object) | undefined;
        lines.push({ ...(mixin ? mixin(fields, 30) : {}), ...fields });
      },
    }),
    { symbols: { mixinSym } },
  );
  return { factory, lines };
}

const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });

describe('log correlation', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => context.disable());

  it('adds the active span’s traceId and spanId to each line, and nothing outside a span', () => {
    const { factory, lines } = fakePino();
    const logger = correlatePino(factory as never)() as unknown as { info(fields: object): void };

    context.with(trace.setSpan(ROOT_CONTEXT, span), () => logger.info({ route: '/referrals' }));
    logger.info({ route: '/healthz' });

    expect(lines).toEqual([
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', route: '/referrals' },
      { route: '/healthz' },
    ]);
  });

  it('keeps a mixin the caller gave, whose fields win', () => {
    const { factory, lines } = fakePino();
    const logger = correlatePino(factory as never)({ mixin: () => ({ spanId: 'own', tenant: 'justice' }) }) as unknown as {
      info(fields: object): void;
    };

    context.with(trace.setSpan(ROOT_CONTEXT, span), () => logger.info({}));

    expect(lines).toEqual([{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'own', tenant: 'justice' }]);
  });

  it('reads nothing from an invalid span context', () => {
    const invalid = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });

    expect(context.with(trace.setSpan(ROOT_CONTEXT, invalid), traceLogFields)).toEqual({});
  });
});
