import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Admin } from 'kafkajs';
import { Gauge, Registry } from 'prom-client';
import { consumerGroupLag } from '@passerelle/kafka';

/**
 * The projector's consumer lag measured from outside the projector: a projector that is stopped,
 * hung or crash-looping exports no lag of its own, which is exactly when its lag grows. This
 * small process reads the group's committed offsets and the topics' ends from the broker at each
 * scrape, as kafka-lag-exporter or Burrow would in a larger deployment.
 */
export interface LagExporterOptions {
  /** An admin client of a principal that may describe the group and the topics (the projector's own). */
  readonly admin: Admin;
  readonly groupId: string;
  readonly topicPattern: RegExp;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface LagExporter {
  readonly url: string;
  close(): Promise<void>;
}

export const LAG_METRIC = 'passerelle_consumer_group_lag';

export async function startLagExporter(options: LagExporterOptions): Promise<LagExporter> {
  const registry = new Registry();
  const { admin, groupId, topicPattern } = options;
  const reachable = new Gauge({
    name: 'passerelle_consumer_group_lag_source_up',
    help: 'Whether the last scrape could read the group and topic offsets from Kafka (1) or not (0)',
    registers: [registry],
  });
  new Gauge({
    name: LAG_METRIC,
    help: 'Messages the consumer group has not committed yet, per topic partition, read from the broker',
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const topics = (await admin.listTopics()).filter((topic) => topicPattern.test(topic)).sort();
        for (const entry of await consumerGroupLag(admin, groupId, topics))
          this.set({ group: groupId, topic: entry.topic, partition: String(entry.partition) }, entry.lag);
        reachable.set(1);
      } catch {
        // No figure rather than a stale one: Prometheus sees the series vanish and the source down.
        reachable.set(0);
      }
    },
  });
  await admin.connect();
  const server = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics') {
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'Content-Type': registry.contentType });
          response.end(text);
        },
        () => {
          response.writeHead(503, { 'Content-Type': 'text/plain' });
          response.end('metrics unavailable\n');
        },
      );
      return;
    }
    if (request.method === 'GET' && request.url === '/healthz') {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('ok\n');
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain' });
    response.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/metrics`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await admin.disconnect().catch(() => undefined);
    },
  };
}
