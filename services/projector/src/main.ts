/**
 * The projector's process: telemetry first (so http, express and pg are patched before they
 * load), then configuration from the environment, start, and a clean stop on SIGTERM or
 * SIGINT (stop consuming after the chunk in flight, commit offsets, exit 0). A bad
 * configuration exits 1 naming every variable to fix.
 */
import { startTelemetry } from '@passerelle/telemetry';

// No kafkajs instrumentation: the consumer builds each message's span from that message's own headers.
const telemetry = startTelemetry({ serviceName: 'projector', serviceVersion: '0.1.0', instrumentations: ['http', 'express', 'pg'] });

async function main(): Promise<void> {
  const { ConfigError } = await import('@passerelle/config');
  const { createLogger } = await import('@passerelle/logging');
  const { loadConfig } = await import('./config.ts');
  const { start } = await import('./projector.ts');
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      await telemetry.shutdown().catch(() => undefined);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ service: 'projector', level: config.logLevel });
  const projector = await start(config, { logger });
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      projector
        .stop()
        .then(() => telemetry.shutdown().catch(() => undefined))
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: { type: (error as Error).name, message: (error as Error).message } }, 'stop failed');
            process.exit(1);
          },
        );
    });
  }
}

main().catch(async (error: unknown) => {
  console.error(
    JSON.stringify({
      level: 'fatal',
      service: 'projector',
      msg: 'projector failed to start',
      err: { type: (error as Error).name, message: (error as Error).message },
    }),
  );
  await telemetry.shutdown().catch(() => undefined);
  process.exit(1);
});
