import { startTelemetry } from '@passerelle/telemetry';

// Telemetry starts before the service's modules load, so http, express and pg get patched.
const telemetry = startTelemetry({ serviceName: 'view-api', serviceVersion: '0.1.0', instrumentations: ['http', 'express', 'pg'] });

const fail = async (error: unknown): Promise<never> => {
  console.error(`[view-api] cannot start: ${(error as Error).message}`);
  await telemetry.shutdown().catch(() => undefined);
  process.exit(1);
};

let running: { stop(): Promise<void> } | undefined;
try {
  const { loadConfig, start } = await import('./view-api-module.ts');
  running = await start(loadConfig(process.env));
} catch (error) {
  await fail(error);
}

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log(JSON.stringify({ level: 'info', service: 'view-api', signal, msg: 'stopping: no new requests' }));
  try {
    await running?.stop();
    await telemetry.shutdown().catch(() => undefined);
    process.exit(0);
  } catch (error) {
    console.error(`[view-api] unclean stop: ${(error as Error).message}`);
    process.exit(1);
  }
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
