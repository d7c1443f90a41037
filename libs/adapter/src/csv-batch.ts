import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import { problems, type FieldProblem } from '@passerelle/http';
import { fieldProblemsOf } from './field-problems.ts';

/** What a batch upload must look like; rows are validated with `row` after empty cells are dropped. */
export interface CsvBatchSpec<T extends z.ZodType> {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  /**
   * Columns that carry free text (names, notes). They are dropped by the mapping, so a
   * formula in them never reaches a spreadsheet; every other cell starting with = + - @
   * is refused, as a coded column has no business holding a formula.
   */
  readonly freeText: readonly string[];
  readonly row: T;
  readonly maxRows: number;
}

export interface CsvRow<V> {
  /** Position as a spreadsheet shows it: the header is row 1, the first record row 2. */
  readonly row: number;
  readonly value: V;
  /** The row as parsed (column → cell), for fingerprinting; never logged or echoed. */
  readonly cells: Readonly<Record<string, string>>;
}

const FORMULA_START = /^[=+\-@\t\r]/;

const CSV_ERROR_REASONS: Readonly<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'has a quote that is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'has text right after a closing quote',
  INVALID_OPENING_QUOTE: 'has a quote inside an unquoted cell',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'has text right after a closing quote',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'has a different number of cells than the header',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'has a different number of cells than the header',
  CSV_MAX_RECORD_SIZE: 'is too long',
};

function invalid(errors: readonly FieldProblem[]): never {
  throw problems.validation(errors, 'the batch was refused as a whole: no row was accepted');
}

/**
 * Parses and validates a whole batch before anything is accepted: either every row is valid
 * and all are returned, or a 400 names each bad row and column (all rows or none).
 */
export function parseCsvBatch<T extends z.ZodType>(text: string, spec: CsvBatchSpec<T>): CsvRow<z.output<T>>[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, max_record_size: 64 * 1024 }) as string[][];
  } catch (error) {
    const { code, records: parsed } = error as { code?: string; records?: number };
    // csv-parse's own messages can quote the offending cell: only the code is used.
    invalid([{ field: `row ${(parsed ?? 0) + 1}`, reason: CSV_ERROR_REASONS[code ?? ''] ?? 'is not valid CSV' }]);
  }
  const [header, ...rows] = records;
  if (!header) invalid([{ field: 'body', reason: 'is empty: a header row and at least one record are required' }]);

  const known = new Set([...spec.required, ...spec.optional]);
  const headerProblems: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const [index, column] of header.entries()) {
    if (!known.has(column)) headerProblems.push({ field: `row 1, column ${index + 1}`, reason: 'is not a known column' });
    else if (seen.has(column)) headerProblems.push({ field: `row 1, column ${column}`, reason: 'appears more than once' });
    seen.add(column);
  }
  for (const column of spec.required)
    if (!seen.has(column)) headerProblems.push({ field: `row 1, column ${column}`, reason: 'is a required column and is missing' });
  if (headerProblems.length > 0) invalid(headerProblems);
  if (rows.length === 0) invalid([{ field: 'body', reason: 'has a header but no record rows' }]);
  if (rows.length > spec.maxRows) invalid([{ field: 'body', reason: `has ${rows.length} record rows; at most ${spec.maxRows} per batch` }]);

  const freeText = new Set(spec.freeText);
  const errors: FieldProblem[] = [];
  const parsed: CsvRow<z.output<T>>[] = [];
  for (const [index, cellsOfRow] of rows.entries()) {
    const row = index + 2;
    const cells: Record<string, string> = {};
    const object: Record<string, string> = {};
    const rowErrors: FieldProblem[] = [];
    header.forEach((column, i) => {
      const cell = cellsOfRow[i] ?? '';
      cells[column] = cell;
      if (cell === '') return;
      if (!freeText.has(column) && FORMULA_START.test(cell)) {
        rowErrors.push({
          field: `row ${row}, column ${column}`,
          reason: 'starts with =, +, -, @ or a control character, which a spreadsheet would run as a formula',
        });
        return;
      }
      object[column] = cell;
    });
    const result = spec.row.safeParse(object);
    if (!result.success) {
      for (const problem of fieldProblemsOf(result.error, object)) {
        if (!rowErrors.some((e) => e.field === `row ${row}, column ${problem.field}`))
          rowErrors.push({ field: `row ${row}, column ${problem.field}`, reason: problem.reason });
      }
    }
    if (rowErrors.length > 0) errors.push(...rowErrors);
    else if (result.success) parsed.push({ row, value: result.data, cells });
  }
  if (errors.length > 0) invalid(errors);
  return parsed;
}
