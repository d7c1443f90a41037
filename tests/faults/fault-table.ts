import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where each fault spec writes its row; the table is printed from these files. */
export const FAULT_RESULTS_DIR = path.join(REPO_ROOT, '.passerelle', 'test-results', 'faults');

/** One scenario's reconciliation by eventId. */
export interface FaultRow {
  readonly scenario: string;
  /** Events durable in the adapters' outboxes (every 202 answer's events, and any committed before a kill cut the answer). */
  readonly accepted: number;
  /** Distinct accepted eventIds found on the ministry topics. */
  readonly published: number;
  /** Extra copies on the topics (at-least-once publishing allows them; the projector drops them). */
  readonly republishedCopies: number;
  /** Distinct accepted eventIds applied to the view. */
  readonly applied: number;
  readonly lost: number;
  readonly duplicated: number;
  /** From the end of the fault until every event accepted before that moment was in the view. */
  readonly recoverySeconds: number;
  /** What was done, in a few words (durations, kill counts). */
  readonly fault: string;
}

export function writeFaultRow(row: FaultRow): void {
  fs.mkdirSync(FAULT_RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(FAULT_RESULTS_DIR, `${row.scenario}.json`), `${JSON.stringify(row, null, 2)}\n`);
}

export function readFaultRows(dir = FAULT_RESULTS_DIR): FaultRow[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as FaultRow);
}

/** The rows as a Markdown table (it reads the same in a terminal and in the README). */
export function formatFaultTable(rows: readonly FaultRow[]): string {
  const header = ['scenario', 'accepted', 'published', 'applied', 'lost', 'duplicated', 'time to recover', 'republished copies', 'fault'];
  const lines = rows.map((r) =>
    [
      r.scenario,
      r.accepted,
      r.published,
      r.applied,
      r.lost,
      r.duplicated,
      typeof r.recoverySeconds === 'number' && Number.isFinite(r.recoverySeconds) ? `${r.recoverySeconds.toFixed(1)} s` : 'not recovered',
      r.republishedCopies,
      r.fault,
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join('\n');
}

/** Prints the fault table, or says that no scenario wrote a row. */
export function printFaultTable(print: (line: string) => void, dir = FAULT_RESULTS_DIR): void {
  const rows = readFaultRows(dir);
  if (rows.length === 0) {
    print('fault suite: no scenario wrote a result');
    return;
  }
  print(`fault suite (${rows.length} scenario${rows.length === 1 ? '' : 's'}):\n${formatFaultTable(rows)}`);
}
