/**
 * `npm run test:attacks`: the attack suite at full size (not in CI): 1,000 datasets × 1,000 pairs
 * by default, against the real view API on the machine's PostgreSQL (no Kafka needed). Prints
 * progress, then the table the README shows, and writes it to .passerelle/attacks/latest.md.
 *
 *   npm run test:attacks -- [--datasets N] [--pairs N] [--seed N] [--max-perturbation D] [--threshold T]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, loadStackConfig } from '@passerelle/infra';
import { DEFAULT_DISCLOSURE, unsafeDisclosureSettings } from '@passerelle/view-api';
import { drawLargeDataset, loadDataset, randomSource } from './dataset.ts';
import { ApiResponder } from './responders.ts';
import { ATTACK_RECORD_KEY_SECRET, formatReport, runAttackSuite, startAttackStack } from './suite.ts';
import { formatUtility, measureUtility } from './utility.ts';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: '1000' },
    pairs: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '20261206' },
    'max-perturbation': { type: 'string', default: String(DEFAULT_DISCLOSURE.maxPerturbation) },
    threshold: { type: 'string', default: String(DEFAULT_DISCLOSURE.threshold) },
  },
});
const whole = (name: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${name} must be a positive whole number, got "${value}"`);
    process.exit(2);
  }
  return n;
};
const settings = {
  ...DEFAULT_DISCLOSURE,
  maxPerturbation: whole('max-perturbation', values['max-perturbation']),
  threshold: whole('threshold', values.threshold),
};
const unsafe = unsafeDisclosureSettings({
  ...settings,
  medianMinimum: Math.max(settings.medianMinimum, 2 * settings.threshold),
  auditBelow: Math.max(settings.auditBelow, settings.threshold),
});
if (unsafe.length > 0) {
  console.error(unsafe.map((p) => `${p.setting}: ${p.reason}`).join('\n'));
  process.exit(2);
}
const datasets = whole('datasets', values.datasets);
const stack = await startAttackStack(loadStackConfig().databaseUrl, {
  ...settings,
  medianMinimum: Math.max(settings.medianMinimum, 2 * settings.threshold),
  auditBelow: Math.max(settings.auditBelow, settings.threshold),
});
const started = Date.now();
try {
  const report = await runAttackSuite(stack, {
    datasets,
    pairs: whole('pairs', values.pairs),
    seed: whole('seed', values.seed),
    progress: (done) => {
      if (done % Math.max(1, Math.floor(datasets / 20)) === 0 || done === datasets) {
        const eta = ((Date.now() - started) / done) * (datasets - done);
        console.log(`[attacks] ${done}/${datasets} datasets, about ${Math.ceil(eta / 60_000)} min left`);
      }
    },
  });
  console.log('[attacks] utility on 60,000 referrals…');
  await loadDataset(stack.db, 'view', drawLargeDataset(randomSource(60_000), 60_000), ATTACK_RECORD_KEY_SECRET);
  const utility = await measureUtility('60,000 referrals', stack.db, 'view', new ApiResponder(stack.api.url, stack.token));
  const text = `${formatReport(report)}\n\n${formatUtility([utility])}\n\nSettings: threshold ${settings.threshold}, maximum perturbation ${settings.maxPerturbation}.\n`;
  console.log(`\n${text}`);
  const out = path.join(REPO_ROOT, '.passerelle', 'attacks');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'latest.md'), text);
} finally {
  await stack.close();
}
