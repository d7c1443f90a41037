import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ArtifactError } from './errors.ts';
import { REPO_ROOT, type StackConfig } from './config.ts';

/**
 * Prometheus and promtool come from Debian's `prometheus` package, unpacked into the data folder
 * (`apt-get download` and `dpkg -x`): nothing is installed system-wide and no system service is
 * started. The package's version is whatever the machine's apt sources serve; it is recorded
 * next to the binaries.
 */
export const PROMETHEUS_PACKAGE = 'prometheus';

/** The alert rules and their unit cases, as data in the repository. */
export const ALERT_RULES_FILE = path.join(REPO_ROOT, 'infra', 'prometheus', 'alerts.yml');
export const ALERT_TESTS_FILE = path.join(REPO_ROOT, 'infra', 'prometheus', 'alerts.test.yml');

export interface PrometheusBinaries {
  readonly prometheus: string;
  readonly promtool: string;
  /** The Debian package version, e.g. 2.42.0+ds-5+deb12u1. */
  readonly version: string;
}

type Log = (message: string) => void;

function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function download(into: string, log: Log): string {
  const attempt = () => spawnSync('apt-get', ['download', PROMETHEUS_PACKAGE], { cwd: into, encoding: 'utf8' });
  let result = attempt();
  if (result.status !== 0 && runsAsRoot()) {
    // A machine whose package lists were never fetched knows no version to download.
    log('prometheus: apt-get download failed, refreshing the package lists (apt-get update)…');
    spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8' });
    result = attempt();
  }
  const deb = fs.readdirSync(into).find((name) => name.startsWith(`${PROMETHEUS_PACKAGE}_`) && name.endsWith('.deb'));
  if (result.status !== 0 || deb === undefined) {
    const output = `${result.stdout ?? ''}${result.stderr ?? String(result.error ?? '')}`.trim();
    throw new ArtifactError(
      `Prometheus (Debian package ${PROMETHEUS_PACKAGE})`,
      `${output.split('\n').slice(-8).join('\n')}\nfetch it by hand with: apt-get update && apt-get download ${PROMETHEUS_PACKAGE}`,
    );
  }
  return path.join(into, deb);
}

/**
 * The Prometheus binaries of this data folder, downloaded and unpacked on first use. A folder
 * without its `.complete` marker (an interrupted unpack) is redone.
 */
export function resolvePrometheus(home: string, log: Log): PrometheusBinaries {
  const dir = path.join(home, 'lib', 'prometheus-deb');
  const marker = path.join(dir, '.complete');
  const binaries = (version: string): PrometheusBinaries => ({
    prometheus: path.join(dir, 'root', 'usr', 'bin', 'prometheus'),
    promtool: path.join(dir, 'root', 'usr', 'bin', 'promtool'),
    version,
  });
  if (fs.existsSync(marker)) return binaries(fs.readFileSync(marker, 'utf8').trim());
  fs.rmSync(dir, { recursive: true, force: true });
  const downloads = path.join(dir, '.download');
  fs.mkdirSync(downloads, { recursive: true });
  // apt's sandbox user must be able to write where the package lands.
  fs.chmodSync(downloads, 0o777);
  log(`prometheus: downloading Debian's ${PROMETHEUS_PACKAGE} package (first time only)…`);
  const deb = download(downloads, log);
  const version = spawnSync('dpkg-deb', ['-f', deb, 'Version'], { encoding: 'utf8' }).stdout.trim();
  const unpack = spawnSync('dpkg', ['-x', deb, path.join(dir, 'root')], { encoding: 'utf8' });
  if (unpack.status !== 0) throw new ArtifactError('Prometheus (unpacking)', unpack.stderr || String(unpack.error));
  fs.rmSync(downloads, { recursive: true, force: true });
  const found = binaries(version);
  for (const file of [found.prometheus, found.promtool]) {
    if (!fs.existsSync(file)) throw new ArtifactError('Prometheus', `the package has no ${path.relative(dir, file)}`);
  }
  fs.writeFileSync(marker, version);
  log(`prometheus: ${version} ready in ${path.relative(REPO_ROOT, dir)}`);
  return found;
}

/** One scrape target as Prometheus' file-based discovery reads it. */
export interface ScrapeTarget {
  /** host:port */
  readonly address: string;
  /** What the alerts name: adapter-justice, projector, view-api, kafka, schema-registry, zipkin, prometheus. */
  readonly service: string;
  readonly role: 'adapter' | 'projector' | 'view-api' | 'stack';
  /** Defaults to /metrics. */
  readonly metricsPath?: string;
}

/** The folder Prometheus watches for target files: `stack.json` (written by `infra up`) and `services.json` (by `npm start`). */
export function targetsDir(config: StackConfig): string {
  return path.join(config.home, 'prometheus', 'targets');
}

/** Writes a target file atomically (Prometheus re-reads it whenever it changes; a half-written file must never be seen). */
export function writeTargets(config: StackConfig, name: 'stack' | 'services', targets: readonly ScrapeTarget[]): string {
  const dir = targetsDir(config);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const groups = targets.map((target) => ({
    targets: [target.address],
    labels: {
      service: target.service,
      role: target.role,
      ...(target.metricsPath === undefined ? {} : { __metrics_path__: target.metricsPath }),
    },
  }));
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(groups, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

/** The parts of the local stack Prometheus scrapes, besides itself. */
export function stackTargets(config: StackConfig): ScrapeTarget[] {
  const { host } = config;
  return [
    { address: `${host}:${config.prometheus.port}`, service: 'prometheus', role: 'stack' },
    { address: `${host}:${config.kafka.metricsPort}`, service: 'kafka', role: 'stack' },
    { address: `${host}:${config.registry.managementPort}`, service: 'schema-registry', role: 'stack' },
    { address: `${host}:${config.zipkin.port}`, service: 'zipkin', role: 'stack', metricsPath: '/prometheus' },
  ];
}

export interface PrometheusSettings {
  /** Seconds between scrapes and rule evaluations. */
  readonly intervalSeconds: number;
  /** The rule files to load (default: the repository's alerts.yml). */
  readonly ruleFiles?: readonly string[];
  /** A file holding the bearer token the services' /metrics ask for (PASSERELLE_METRICS_TOKEN_FILE), if they ask for one. */
  readonly metricsTokenFile?: string | undefined;
}

/** prometheus.yml: two jobs read from the target files, the alert rules, one interval for both. */
export function prometheusConfiguration(config: StackConfig, settings: PrometheusSettings): string {
  const dir = targetsDir(config);
  const interval = `${settings.intervalSeconds}s`;
  const lines = [
    '# Generated by infra/src/prometheus.ts at each `infra up`; edit the generator, not this file.',
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    `  scrape_timeout: ${Math.min(settings.intervalSeconds, 10)}s`,
    'rule_files:',
    ...(settings.ruleFiles ?? [ALERT_RULES_FILE]).map((file) => `  - ${JSON.stringify(file)}`),
    'scrape_configs:',
    '  - job_name: stack',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(path.join(dir, 'stack.json'))}]`,
    '  - job_name: passerelle',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(path.join(dir, 'services.json'))}]`,
  ];
  if (settings.metricsTokenFile !== undefined) {
    lines.push('    authorization:', '      type: Bearer', `      credentials_file: ${JSON.stringify(settings.metricsTokenFile)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JMX exporter's rules for the broker: the server, network and controller meters, lower-case names. */
export function kafkaJmxExporterConfiguration(): string {
  return [
    '# Generated by infra/src/prometheus.ts; the broker exposes these to Prometheus through the JMX exporter agent.',
    'lowercaseOutputName: true',
    'lowercaseOutputLabelNames: true',
    'rules:',
    '  - pattern: "kafka.server<type=(.+), name=(.+), topic=(.+)><>(Count|Value)"',
    '    name: kafka_server_$1_$2',
    '    labels:',
    '      topic: "$3"',
    '  - pattern: "kafka.(server|controller|network|log)<type=(.+), name=(.+)><>(Count|Value)"',
    '    name: kafka_$1_$2_$3',
    '  - pattern: "kafka.cluster<type=Partition, name=(.+), topic=(.+), partition=(.+)><>Value"',
    '    name: kafka_cluster_partition_$1',
    '    labels:',
    '      topic: "$2"',
    '      partition: "$3"',
    '',
  ].join('\n');
}

export interface PromtoolResult {
  readonly ok: boolean;
  readonly output: string;
}

/** `promtool check rules` then `promtool test rules` on the repository's alert rules. */
export function checkAlertRules(promtool: string, rules = ALERT_RULES_FILE, tests = ALERT_TESTS_FILE): PromtoolResult[] {
  return [
    ['check', 'rules', rules],
    ['test', 'rules', tests],
  ].map((args) => {
    const result = spawnSync(promtool, args, { cwd: path.dirname(tests), encoding: 'utf8' });
    return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
  });
}
