import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import knex, { type Knex } from 'knex';
import { trace } from '@opentelemetry/api';
import { TracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createTestDatabase, kafkaOptionsFor, uniqueName, type TestDatabase } from '@passerelle/testing';

const stack = inject('stack');

const smokeSchema = {
  type: 'record',
  name: 'StackSmoke',
  namespace: 'ca.on.passerelle.smoke',
  doc: 'A throwaway record proving the registry, the broker and the Avro wire format work together.',
  fields: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' }, doc: 'Random id of this smoke message.' },
    { name: 'count', type: 'int', doc: 'A number that must survive the round trip.' },
  ],
};

describe('the local stack', () => {
  it('registers an Avro schema, produces an encoded message and consumes it back in a consumer group', async () => {
    const topic = uniqueName('smoke.stack');
    const registry = new SchemaRegistry({ host: stack.registryUrl });
    const { id: schemaId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(smokeSchema) },
      { subject: `${topic}-value` },
    );
    expect(schemaId).toBeGreaterThan(0);

    // A throw-away topic: created, written and read as admin (no ACL covers test names).
    const options = kafkaOptionsFor(stack, 'admin', 'smoke');
    const kafka = new Kafka({
      ...options,
      brokers: [...options.brokers],
      ...(options.sasl ? { sasl: { ...options.sasl } } : {}),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });

    const sent = { id: randomUUID(), count: 42 };
    const encoded = await registry.encode(schemaId, sent);
    expect(encoded[0]).toBe(0);
    expect(encoded.readUInt32BE(1)).toBe(schemaId);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: sent.id, value: encoded }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<unknown>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(await registry.decode(message.value as Buffer)) });
    });
    const decoded = await Promise.race([received, sleep(30_000).then(() => 'timed out')]);
    await consumer.disconnect();

    expect(decoded).toEqual(sent);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  describe('PostgreSQL', () => {
    let database: TestDatabase;
    let db: Knex;

    beforeAll(async () => {
      database = await createTestDatabase(stack.databaseUrl, 'smoke');
      db = knex({ client: 'pg', connection: database.url });
    });

    afterAll(async () => {
      await db.destroy();
      await database.drop();
    });

    it('creates a table with knex in a database of its own and reads a row back', async () => {
      await db.schema.createTable('smoke_rows', (table) => {
        table.uuid('id').primary();
        table.string('region').notNullable();
      });
      const id = randomUUID();
      await db('smoke_rows').insert({ id, region: 'TORONTO' });

      const rows = await db('smoke_rows').select('id', 'region');

      expect(rows).toEqual([{ id, region: 'TORONTO' }]);
    });
  });

  it('sends a span through the OpenTelemetry SDK to Zipkin and reads it back by trace id', async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'passerelle-smoke' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: new ZipkinExporter({ url: `${stack.zipkinUrl}/api/v2/spans` }) })],
    });
    const tracer = provider.getTracer('smoke');
    const span = tracer.startSpan('smoke.check');
    const { traceId } = span.spanContext();
    span.end();
    await provider.forceFlush();
    await provider.shutdown();

    let spans: { name?: string; localEndpoint?: { serviceName?: string } }[] = [];
    for (let attempt = 0; attempt < 40 && spans.length === 0; attempt += 1) {
      const response = await fetch(`${stack.zipkinUrl}/api/v2/trace/${traceId}`);
      if (response.ok) spans = (await response.json()) as typeof spans;
      else await sleep(250);
    }

    expect(spans).toHaveLength(1);
    expect(spans[0]?.name).toBe('smoke.check');
    expect(spans[0]?.localEndpoint?.serviceName).toBe('passerelle-smoke');
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
