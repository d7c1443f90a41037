import { startTelemetry } from '@passerelle/telemetry';

interface AdapterModule<C> {
  loadConfig(env: NodeJS.ProcessEnv): C;
  start(config: C): Promise<{ stop(): Promise<void> }>;
}

export interface AdapterMainOptions<C> {
  readonly service: string;
  readonly ministry: string;
  /** Loads the service module after telemetry started (a dynamic import). */
  load(): Promise<AdapterModule<C>>;
}

/**
 * The body of every adapter's main.ts: telemetry first, then config (a bad one exits 1 naming
 * every variable), start, and on SIGTERM or SIGINT stop accepting, flush the relay, exit 0.
 * Imports nothing that express or pg would need patched before it loads.
 */
export async function runAdapterMain<C>(options: AdapterMainOptions<C>): Promise<void> {
  const telemetry = startTelemetry({
    serviceName: options.service,
    serviceVersion: '0.1.0',
    attributes: { 'passerelle.ministry': options.ministry },
    // No kafkajs instrumentation: the outbox relay parents each producer span on the stored trace context.
    instrumentations: ['http', 'express', 'pg'],
  });
  const fail = async (error: unknown): Promise<never> => {
    console.error(`[${options.service}] cannot start: ${(error as Error).message}`);
    await telemetry.shutdown().catch(() => undefined);
    process.exit(1);
  };
  let running: { stop(): Promise<void> };
  try {
    const module = await options.load();
    running = await module.start(module.loadConfig(process.env));
  } catch (error) {
    return fail(error);
  }
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(
      JSON.stringify({ level: 'info', service: options.service, signal, msg: 'stopping: no new requests, flushing the outbox relay' }),
    );
    try {
      await running.stop();
      await telemetry.shutdown().catch(() => undefined);
      process.exit(0);
    } catch (error) {
      console.error(`[${options.service}] unclean stop: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
