import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createKafka } from '@passerelle/kafka';
import { ALERT_RULES_FILE, REPO_ROOT, loadStackConfig, resolvePrometheus } from '@passerelle/infra';
import { createTestDatabase, freePort, kafkaEnvFor, kafkaOptionsFor, waitFor, type TestDatabase } from '@passerelle/testing';
import { startService, type ServiceProcess } from '../tracing/service-processes.ts';

const stack = inject('stack');

interface Alert {
  labels: Record<string, string>;
  state: string;
}

/** A process of this test, its output kept for the failure message. */
function launch(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd = REPO_ROOT,
): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, output: () => text };
}

/**
 * The live check of the lag alert: a projector consumes a topic of its own, a lag exporter
 * (`projector lag serve`) reads its group's lag from the broker, and a Prometheus of this test
 * evaluates the repository's rule with its windows shortened to seconds. The projector is
 * killed while a ministry keeps publishing: the alert must fire, naming the group and topic.
 */
describe('the lag alert, live', () => {
  const suffix = randomBytes(4).toString('hex');
  const topic = `justice.lag-alert-${suffix}`;
  const group = `passerelle-projector-lag-alert-${suffix}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-lag-alert-'));
  const admin = createKafka(kafkaOptionsFor(stack, 'admin', 'lag-alert-admin')).admin();
  const producer = createKafka(kafkaOptionsFor(stack, 'justice', 'lag-alert-justice')).producer();
  let database: TestDatabase | undefined;
  let projector: ServiceProcess | undefined;
  const processes: ChildProcess[] = [];
  let publishing: NodeJS.Timeout | undefined;

  afterAll(async () => {
    clearInterval(publishing);
    await producer.disconnect().catch(() => undefined);
    await projector?.stop();
    for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fires in Prometheus when the projector stops while events keep arriving, and not while it runs', async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    database = await createTestDatabase(stack.databaseUrl, 'lag_alert_e2e');
    const projectorEnv = {
      ...kafkaEnvFor(stack, 'projector'),
      DATABASE_URL: database.url,
      PASSERELLE_REGISTRY_URL: stack.registryUrl,
      PASSERELLE_RECORD_KEY_SECRET: 'test-only-record-key-secret-for-the-lag-alert-e2e',
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
      PASSERELLE_CONSUMER_GROUP: group,
      PASSERELLE_TOPIC_PATTERN: `^${topic.replace(/[.-]/g, (c) => `\\${c}`)}$`,
    };
    projector = await startService('projector', await freePort(), projectorEnv);

    const exporterPort = await freePort();
    const exporter = launch(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(REPO_ROOT, 'services', 'projector', 'src', 'entry-points', 'cli.ts'), 'lag', 'serve', '--port', String(exporterPort)],
      { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...projectorEnv },
    );
    processes.push(exporter.child);
    const metricsUrl = `http://127.0.0.1:${exporterPort}/metrics`;
    await waitFor('the lag exporter', () => fetch(metricsUrl).then((r) => r.ok), 60_000, 500).catch((error: Error) => {
      throw new Error(`${error.message}\n${exporter.output()}`);
    });

    // The repository's rule, its windows shortened to seconds (the same expression and labels).
    const rules = fs
      .readFileSync(ALERT_RULES_FILE, 'utf8')
      .replace('delta(passerelle_consumer_group_lag[5m])', 'delta(passerelle_consumer_group_lag[10s])')
      .replace(/(alert: PasserelleProjectorLagGrowing[\s\S]*?)for: 5m/, '$1for: 4s');
    expect(rules).toContain('[10s]');
    fs.writeFileSync(path.join(dir, 'alerts.yml'), rules);
    const prometheusPort = await freePort();
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s }',
        `rule_files: [${JSON.stringify(path.join(dir, 'alerts.yml'))}]`,
        'scrape_configs:',
        '  - job_name: lag',
        `    static_configs: [{ targets: ["127.0.0.1:${exporterPort}"], labels: { service: projector-lag, role: stack } }]`,
        '',
      ].join('\n'),
    );
    const binaries = resolvePrometheus(loadStackConfig().home, () => undefined);
    const prometheus = launch(
      binaries.prometheus,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ],
      { PATH: process.env['PATH'] ?? '' },
      dir,
    );
    processes.push(prometheus.child);
    const api = `http://127.0.0.1:${prometheusPort}/api/v1`;
    const lagAlerts = async (): Promise<Alert[]> => {
      const body = (await (await fetch(`${api}/alerts`)).json()) as { data: { alerts: Alert[] } };
      return body.data.alerts.filter((alert) => alert.labels['alertname'] === 'PasserelleProjectorLagGrowing');
    };
    const lagSeries = async (): Promise<number> => {
      const body = (await (
        await fetch(`${api}/query?query=${encodeURIComponent(`sum(passerelle_consumer_group_lag{topic="${topic}"})`)}`)
      ).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      return body.data.result.length;
    };
    await waitFor('Prometheus scraping the lag exporter', async () => (await lagSeries()) > 0, 60_000, 500).catch((error: Error) => {
      throw new Error(`${error.message}\n${prometheus.output()}`);
    });

    // The projector runs and nothing arrives: 15 s of evaluations, no alert.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    expect(await lagAlerts()).toEqual([]);

    // The projector stops; a ministry goes on publishing.
    await projector.stop();
    await producer.connect();
    let sent = 0;
    publishing = setInterval(() => {
      sent += 5;
      void producer
        .send({
          topic,
          messages: Array.from({ length: 5 }, (_, i) => ({ key: `lag-${sent}-${i}`, value: Buffer.from('not read by anyone') })),
        })
        .catch(() => undefined);
    }, 500);

    const firing = await waitFor(
      'PasserelleProjectorLagGrowing firing',
      async () => (await lagAlerts()).find((alert) => alert.state === 'firing'),
      90_000,
      1_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nsent ${sent}\n${exporter.output()}\n${prometheus.output().slice(-2_000)}`);
    });
    expect(firing.labels).toMatchObject({ alertname: 'PasserelleProjectorLagGrowing', severity: 'page', group, topic });
    expect(sent).toBeGreaterThan(0);
  }, 300_000);
});
