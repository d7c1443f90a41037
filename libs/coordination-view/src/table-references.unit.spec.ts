import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_TABLE, VIEW_TABLE } from './index.ts';

/**
 * The view's tables are named in one place (tables.ts): the projector, the view API, tests and the
 * bench build table references from VIEW_TABLE. This scan finds the names written as free strings
 * elsewhere: a string that is exactly a table name, one qualified by a schema (view.referrals), or
 * SQL text that names one (after FROM, JOIN, INTO, UPDATE, TABLE or TRUNCATE, or quoted). Types are
 * left out (a literal type such as StoredRow<'referrals'> is checked by the compiler), and so are
 * test titles and regular expressions.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SCANNED = ['services', 'tests', 'bench'];
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', '.passerelle']);
const NAMES: readonly string[] = [...Object.values(VIEW_TABLE), MIGRATIONS_TABLE];
// SQL text names a table after one of these keywords, or quoted (information_schema lookups).
const SQL_TABLE = '(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE)\\s+(?:ONLY\\s+)?';
const TEST_TITLES = new Set(['describe', 'it', 'test']);

/** Words that are also something other than a table: where they mean that, they are no table reference. */
const OTHER_MEANINGS: ReadonlyArray<{ readonly file: string; readonly name: string; readonly meaning: string }> = [
  { file: 'services/view-api/src/domain/access.ts', name: 'referrals', meaning: 'a capability of the view API' },
  { file: 'services/view-api/src/domain/access.ts', name: 'initiatives', meaning: 'a capability of the view API' },
  { file: 'services/view-api/src/entry-points/routes.ts', name: 'referrals', meaning: 'a capability of the view API' },
  { file: 'services/view-api/src/entry-points/routes.ts', name: 'initiatives', meaning: 'a capability of the view API' },
  { file: 'tests/e2e/adapters-kafka-outage.e2e.spec.ts', name: 'referrals', meaning: 'a topic family' },
  { file: 'tests/view-api/dashboard.e2e.spec.ts', name: 'referrals', meaning: "a dashboard panel's test id" },
  { file: 'tests/smoke/add-a-party.unit.spec.ts', name: 'referrals', meaning: 'a topic family' },
];

interface TableReference {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly text: string;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : sourceFiles(join(directory, entry.name));
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [join(directory, entry.name)] : [];
  });
}

const AFTER = '(?![\\w.-])'; // not part of a longer name, such as the topic justice.referrals.v1
// Qualified by a schema (view.referrals, "view"."referrals", ${schema}.referrals, ??.referrals), or named by SQL text.
const qualified = (text: string, name: string) => new RegExp(`[\\w"}?]\\."?${name}"?${AFTER}`).test(text);
const inSql = (text: string, name: string) => new RegExp(`\\b${SQL_TABLE}"?${name}"?${AFTER}|'${name}'`).test(text);

/** The table names a string names: as its whole text, qualified by a schema, or in SQL text. */
function tablesIn(text: string): string[] {
  if (NAMES.includes(text)) return [text];
  return NAMES.filter((name) => qualified(text, name) || inSql(text, name));
}

function isTestTitle(node: ts.Node): boolean {
  const call = node.parent;
  if (!call || !ts.isCallExpression(call) || call.arguments[0] !== node) return false;
  const callee = ts.isPropertyAccessExpression(call.expression) ? call.expression.expression : call.expression;
  return ts.isIdentifier(callee) && TEST_TITLES.has(callee.text);
}

function isInType(node: ts.Node): boolean {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (ts.isTypeNode(at)) return true;
  }
  return false;
}

/** Every string and template of a file that names a view table, with its line. */
function tableReferences(file: string, source: string): TableReference[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: TableReference[] = [];
  const check = (node: ts.Node, text: string) => {
    if (isInType(node) || isTestTitle(node)) return;
    for (const name of tablesIn(text)) {
      found.push({
        file,
        line: tree.getLineAndCharacterOfPosition(node.getStart(tree)).line + 1,
        name,
        text: text.length > 100 ? `${text.slice(0, 97)}...` : text,
      });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) check(node, node.text);
    else if (ts.isTemplateExpression(node))
      check(node, [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join('${}'));
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

describe('the view tables are named through @passerelle/coordination-view only', () => {
  it('finds a table name as a string, in SQL text and qualified by a schema, and nothing in types, titles or prose', () => {
    const source = [
      "db.table('referrals');",
      'db.raw(`DELETE FROM ${schema}.illegal_transitions WHERE x`);',
      "db.raw('SELECT count(*) FROM view.processed_events');",
      "type Row = StoredRow<'referrals'>;",
      "it('keeps referrals of a withdrawn consent', () => {});",
      "log('the referrals and the initiatives of a region');",
      "tally.add(`${schema}.referral_history`, 'found');",
      "topics.push('justice.referrals.v1');",
      "db.raw('INSERT INTO t (referral_id, illegal_transitions) VALUES (?, ?)');",
      'db.raw("SELECT 1 FROM information_schema.tables WHERE table_name = \'dead_letters\'");',
      'db.table(VIEW_TABLE.referrals);',
    ].join('\n');
    expect(tableReferences('example.ts', source).map(({ line, name }) => [line, name])).toEqual([
      [1, 'referrals'],
      [2, 'illegal_transitions'],
      [3, 'processed_events'],
      [7, 'referral_history'],
      [10, 'dead_letters'],
    ]);
  });

  it('finds no table name written as a free string in services/, tests/ or bench/', () => {
    const references = SCANNED.flatMap((directory) => sourceFiles(join(ROOT, directory)))
      .flatMap((path) => tableReferences(relative(ROOT, path).split(sep).join('/'), readFileSync(path, 'utf8')))
      .filter((ref) => !OTHER_MEANINGS.some((other) => other.file === ref.file && other.name === ref.name));
    expect(
      references.map(
        (ref) =>
          `${ref.file}:${ref.line} names the view table ${ref.name} as a string (use VIEW_TABLE from @passerelle/coordination-view): ${ref.text}`,
      ),
    ).toEqual([]);
  });
});
