import fs from 'node:fs';
import path from 'node:path';
import type { StackConfig } from './config.ts';
import type { Part } from './parts.ts';
import { httpOk } from './part-launch.ts';
import { PART_ENVIRONMENT_MARKER } from './processes.ts';
import { prometheusConfiguration, resolvePrometheus, stackTargets, targetsDir, writeTargets } from './prometheus.ts';

function prometheusDir(config: StackConfig): string {
  return path.join(config.home, 'prometheus');
}

export function prometheusUrl(config: StackConfig): string {
  return `http://${config.host}:${config.prometheus.port}`;
}

/**
 * Prometheus, scraping the stack (`stack.json`, written here) and the services `npm start` runs
 * (`services.json`, written by it), with the repository's alert rules. Its data lives in the data
 * folder; it keeps 2 days, enough for the local stack.
 */
export const prometheus: Part = {
  name: 'prometheus',
  title: 'Prometheus (Debian package)',
  ports: (config) => [config.prometheus.port],
  url: (config) => `${prometheusUrl(config)}/`,
  async prepare(config, _artifacts, _java, log) {
    const binaries = resolvePrometheus(config.home, log);
    fs.mkdirSync(path.join(prometheusDir(config), 'data'), { recursive: true });
    writeTargets(config, 'stack', stackTargets(config));
    // Until `npm start` writes its services, Prometheus watches an empty list.
    if (!fs.existsSync(path.join(targetsDir(config), 'services.json'))) writeTargets(config, 'services', []);
    const tokenFile = process.env['PASSERELLE_METRICS_TOKEN_FILE'];
    fs.writeFileSync(
      path.join(prometheusDir(config), 'prometheus.yml'),
      prometheusConfiguration(config, {
        intervalSeconds: config.prometheus.intervalSeconds,
        metricsTokenFile: tokenFile ? path.resolve(tokenFile) : undefined,
      }),
    );
    log(`prometheus: ${binaries.version}, scraping every ${config.prometheus.intervalSeconds} s`);
  },
  launch(config) {
    const binaries = resolvePrometheus(config.home, () => undefined);
    const dir = prometheusDir(config);
    return {
      command: binaries.prometheus,
      args: [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        '--storage.tsdb.retention.time=2d',
        `--web.listen-address=${config.host}:${config.prometheus.port}`,
        // `infra` and tests reload the rules and targets without a restart.
        '--web.enable-lifecycle',
      ],
      cwd: dir,
      env: { ...process.env, [PART_ENVIRONMENT_MARKER]: 'prometheus' },
    };
  },
  probe: (config) => httpOk(`${prometheusUrl(config)}/-/ready`),
};
