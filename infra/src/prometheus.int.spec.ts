import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadStackConfig } from './config.ts';
import { prometheusUrl } from './prometheus-part.ts';
import { ALERT_RULES_FILE, ALERT_TESTS_FILE, checkAlertRules, resolvePrometheus } from './prometheus.ts';

const config = loadStackConfig();
const binaries = resolvePrometheus(config.home, () => undefined);

describe('the alert rules under promtool (the Prometheus of the stack)', () => {
  it('are valid rules, and every unit case of alerts.test.yml passes', () => {
    const [check, test] = checkAlertRules(binaries.promtool);
    expect(check?.ok, check?.output).toBe(true);
    expect(check?.output).toContain('SUCCESS: 7 rules found');
    expect(test?.ok, test?.output).toBe(true);
    expect(test?.output).toContain('SUCCESS');
  });

  it('catch a rule that drifts from its cases: an outbox threshold raised tenfold fails its unit case', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-rules-'));
    try {
      const drifted = fs
        .readFileSync(ALERT_RULES_FILE, 'utf8')
        .replace('outbox_oldest_unpublished_age_seconds) > 300', 'outbox_oldest_unpublished_age_seconds) > 3000');
      expect(drifted).not.toBe(fs.readFileSync(ALERT_RULES_FILE, 'utf8'));
      fs.writeFileSync(path.join(dir, 'alerts.yml'), drifted);
      fs.copyFileSync(ALERT_TESTS_FILE, path.join(dir, 'alerts.test.yml'));
      const [check, test] = checkAlertRules(binaries.promtool, path.join(dir, 'alerts.yml'), path.join(dir, 'alerts.test.yml'));
      expect(check?.ok).toBe(true);
      expect(test?.ok).toBe(false);
      expect(test?.output).toContain('alertname: PasserelleOutboxStale');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are loaded by the running Prometheus, which scrapes the registry, Zipkin and itself', async () => {
    const rules = (await (await fetch(`${prometheusUrl(config)}/api/v1/rules?type=alert`)).json()) as {
      data: { groups: { file: string; rules: { name: string }[] }[] };
    };
    expect(rules.data.groups.map((group) => group.file)).toEqual([ALERT_RULES_FILE, ALERT_RULES_FILE]);
    expect(rules.data.groups.flatMap((group) => group.rules).length).toBe(7);
    const targets = (await (await fetch(`${prometheusUrl(config)}/api/v1/targets?state=active`)).json()) as {
      data: { activeTargets: { labels: Record<string, string>; scrapeUrl: string }[] };
    };
    expect(targets.data.activeTargets.map((target) => target.labels['service']).sort()).toEqual(
      expect.arrayContaining(['kafka', 'prometheus', 'schema-registry', 'zipkin']),
    );
  });
});
