/**
 * The outbox relay alone, as a process of its own (the adapters embed it): telemetry first,
 * as in every service's entry file, then an OutboxRelay draining one bench schema's outbox.
 * Prints `relay started` once running; stops on SIGTERM.
 */
import { startTelemetry } from '@passerelle/telemetry';

const telemetry = startTelemetry({ serviceName: 'bench-outbox-relay', serviceVersion: '0.1.0', instrumentations: ['pg'] });

const { EventSerde, RegistryClient } = await import('@passerelle/contracts');
const { createDatabase } = await import('@passerelle/db');
const { OutboxRelay, createIdempotentProducer, createKafka, kafkaTlsFrom } = await import('@passerelle/kafka');
const { readFileSync } = await import('node:fs');
const { createLogger } = await import('@passerelle/logging');

const env = process.env;
const schema = env['BENCH_OUTBOX_SCHEMA'] ?? 'outbox';
const logger = createLogger({ service: 'bench-outbox-relay', level: 'warn' });
const db = createDatabase({ url: env['DATABASE_URL'] ?? '', schema, applicationName: 'passerelle-bench-relay', poolMax: 4 });
const username = env['PASSERELLE_KAFKA_USERNAME'];
const caFile = env['PASSERELLE_KAFKA_CA_FILE'];
const { tls } = kafkaTlsFrom(caFile ? readFileSync(caFile, 'utf8') : undefined);
const kafka = createKafka({
  clientId: 'passerelle-bench-relay',
  brokers: (env['PASSERELLE_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  logger,
  ...(username ? { sasl: { mechanism: 'scram-sha-512' as const, username, password: env['PASSERELLE_KAFKA_PASSWORD'] ?? '' } } : {}),
  ...(tls ? { ssl: tls } : {}),
});
const serde = new EventSerde(new RegistryClient({ url: env['PASSERELLE_REGISTRY_URL'] ?? '' }));
const relay = new OutboxRelay({
  db,
  producer: createIdempotentProducer(kafka),
  encode: (row) => serde.encode(row.event_type as never, row.payload as never),
  logger,
  name: `bench-${schema}`,
  batchSize: Number(env['BENCH_RELAY_BATCH'] ?? 1_000),
  pollIntervalMs: 100,
});
relay.start();
console.log('relay started');
process.on('SIGTERM', () => {
  void relay
    .stop(1_000)
    .then(() => db.destroy())
    .then(() => telemetry.shutdown().catch(() => undefined))
    .then(() => process.exit(0));
});
