import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, loadStackConfig } from './config.ts';
import { ALERT_RULES_FILE, ALERT_TESTS_FILE, prometheusConfiguration, stackTargets, writeTargets } from './prometheus.ts';

interface RuleFile {
  groups: { rules: { alert?: string; labels?: { severity?: string }; annotations?: { summary?: string; runbook?: string } }[] }[];
}
interface TestFile {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const rules = YAML.parse(fs.readFileSync(ALERT_RULES_FILE, 'utf8')) as RuleFile;
const cases = (YAML.parse(fs.readFileSync(ALERT_TESTS_FILE, 'utf8')) as TestFile).tests.flatMap((test) => test.alert_rule_test ?? []);
const alerts = rules.groups.flatMap((group) => group.rules).filter((rule) => rule.alert !== undefined);

describe('the alert rules', () => {
  it('cover what operators must hear about: lag, stale outbox, relay failures, dead letters, adapter errors, a target down, the registry', () => {
    expect(alerts.map((rule) => rule.alert).sort()).toEqual([
      'PasserelleAdapterErrors',
      'PasserelleDeadLetters',
      'PasserelleOutboxStale',
      'PasserelleProjectorLagGrowing',
      'PasserelleRegistryUnreachable',
      'PasserelleRelayFailing',
      'PasserelleTargetDown',
    ]);
  });

  it.each(alerts.map((rule) => [rule.alert ?? '', rule] as const))(
    '%s has a unit case where it fires and one where it stays quiet',
    (name) => {
      const mine = cases.filter((test) => test.alertname === name);
      expect(mine.some((test) => (test.exp_alerts ?? []).length > 0)).toBe(true);
      expect(mine.some((test) => (test.exp_alerts ?? []).length === 0)).toBe(true);
    },
  );

  it.each(alerts.map((rule) => [rule.alert ?? '', rule] as const))(
    '%s has a severity, a summary and a runbook section in docs/operations.md',
    (name, rule) => {
      expect(['page', 'ticket']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.runbook).toBe(`docs/operations.md#${name.toLowerCase()}`);
      const operations = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
      expect(operations).toContain(`\n### ${name}\n`);
    },
  );
});

describe('the Prometheus configuration', () => {
  const config = loadStackConfig({ PASSERELLE_HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-prometheus-')) });

  it('scrapes the stack and the services from their target files, and loads the alert rules', () => {
    const text = prometheusConfiguration(config, { intervalSeconds: 5 });
    const parsed = YAML.parse(text) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: { job_name: string; file_sd_configs: { files: string[] }[]; authorization?: unknown }[];
    };
    expect(parsed.global).toMatchObject({ scrape_interval: '5s', evaluation_interval: '5s' });
    expect(parsed.rule_files).toEqual([ALERT_RULES_FILE]);
    expect(parsed.scrape_configs.map((job) => [job.job_name, path.basename(job.file_sd_configs[0]?.files[0] ?? '')])).toEqual([
      ['stack', 'stack.json'],
      ['passerelle', 'services.json'],
    ]);
    expect(parsed.scrape_configs.every((job) => job.authorization === undefined)).toBe(true);
  });

  it('sends the services the metrics token from its file, never the token itself', () => {
    const parsed = YAML.parse(prometheusConfiguration(config, { intervalSeconds: 10, metricsTokenFile: '/run/secrets/metrics-token' })) as {
      scrape_configs: { job_name: string; authorization?: { type: string; credentials_file: string } }[];
    };
    const services = parsed.scrape_configs.find((job) => job.job_name === 'passerelle');
    expect(services?.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/metrics-token' });
    expect(parsed.scrape_configs.find((job) => job.job_name === 'stack')?.authorization).toBeUndefined();
  });

  it('writes target files Prometheus reads: one group per target, its service and role as labels, Zipkin on its own path', () => {
    const file = writeTargets(config, 'stack', stackTargets(config));
    const groups = JSON.parse(fs.readFileSync(file, 'utf8')) as { targets: string[]; labels: Record<string, string> }[];
    expect(groups.map((group) => group.labels['service'])).toEqual(['prometheus', 'kafka', 'schema-registry', 'zipkin']);
    expect(groups.find((group) => group.labels['service'] === 'kafka')?.targets).toEqual(['127.0.0.1:9404']);
    expect(groups.find((group) => group.labels['service'] === 'zipkin')?.labels['__metrics_path__']).toBe('/prometheus');
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });
});
