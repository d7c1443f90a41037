/**
 * THE BASELINE of the attack suite: the view API's disclosure control before the cell key method,
 * kept here (not in the service) so that every attack can be measured before and after.
 *
 * Small-cell suppression for aggregate tables (pure, no I/O).
 *
 * Primary: a count from 1 to `threshold` is hidden. Complementary: every "line" of the table
 * (cells that agree on every dimension but one) has a total someone can learn, from this
 * table or from a query grouped by fewer dimensions; a line with exactly one hidden cell
 * would give it away, so the smallest other non-zero visible cell of that line is hidden too,
 * repeated until no line has exactly one hidden cell.
 */
export const DEFAULT_SUPPRESSION_THRESHOLD = 5;

export interface CountCell {
  /** One value per grouping dimension, e.g. { region: 'EAST', status: 'ACCEPTED' }. */
  readonly key: Readonly<Record<string, string>>;
  readonly count: number;
}

export type SuppressionReason = 'small_cell' | 'complementary' | 'differencing';

export interface SuppressedCell {
  readonly key: Readonly<Record<string, string>>;
  /** null when suppressed. */
  readonly count: number | null;
  readonly suppressed: boolean;
  readonly reason?: SuppressionReason;
}

export interface SuppressedTable {
  readonly cells: SuppressedCell[];
  /** The table's grand total, null when it is itself a small cell. */
  readonly total: number | null;
  readonly totalSuppressed: boolean;
}

export function isSmallCell(count: number, threshold: number): boolean {
  return count >= 1 && count <= threshold;
}

function lineKey(key: Readonly<Record<string, string>>, dimensions: readonly string[], free: string): string {
  return JSON.stringify(dimensions.filter((d) => d !== free).map((d) => key[d] ?? ''));
}

function orderKey(key: Readonly<Record<string, string>>, dimensions: readonly string[]): string {
  return JSON.stringify(dimensions.map((d) => key[d] ?? ''));
}

/**
 * A wider table the same cells can be subtracted from: for a time-ranged query, the same
 * grouping over all time. A cell (or the total) whose difference from its counterpart there
 * is a small cell is hidden as well, so "all time minus this range" cannot single anyone out.
 */
export interface EnclosingTable {
  readonly cells: readonly CountCell[];
}

export function suppressTable(
  cells: readonly CountCell[],
  dimensions: readonly string[],
  threshold = DEFAULT_SUPPRESSION_THRESHOLD,
  enclosing?: EnclosingTable,
): SuppressedTable {
  const reasons = new Map<number, SuppressionReason>();
  const wider = new Map((enclosing?.cells ?? []).map((cell) => [orderKey(cell.key, dimensions), cell.count]));
  cells.forEach((cell, index) => {
    if (isSmallCell(cell.count, threshold)) reasons.set(index, 'small_cell');
    else if (enclosing && isSmallCell((wider.get(orderKey(cell.key, dimensions)) ?? cell.count) - cell.count, threshold))
      reasons.set(index, 'differencing');
  });

  const lines: number[][] = [];
  for (const free of dimensions) {
    const byLine = new Map<string, number[]>();
    cells.forEach((cell, index) => {
      const k = lineKey(cell.key, dimensions, free);
      byLine.set(k, [...(byLine.get(k) ?? []), index]);
    });
    lines.push(...byLine.values());
  }

  const linesOf = (index: number) => lines.filter((line) => line.includes(index));
  const hiddenIn = (line: readonly number[]) => line.filter((index) => reasons.has(index)).length;
  // One change at a time, then look again from the first line: the order is deterministic.
  for (;;) {
    const open = lines.find((line) => hiddenIn(line) === 1);
    if (!open) break;
    const candidates = open
      .filter((index) => !reasons.has(index) && (cells[index]?.count ?? 0) > 0)
      .map((index) => ({
        index,
        // Prefer a cell that also closes another line with a single hidden cell: fewer cells lost.
        closes: linesOf(index).filter((line) => line !== open && hiddenIn(line) === 1).length,
        cell: cells[index] as CountCell,
      }))
      .sort(
        (a, b) =>
          b.closes - a.closes ||
          a.cell.count - b.cell.count ||
          orderKey(a.cell.key, dimensions).localeCompare(orderKey(b.cell.key, dimensions)),
      );
    const chosen = candidates[0];
    // No candidate: the rest of the line is zero, so the line total is the hidden count and is itself a small cell.
    if (chosen === undefined) {
      lines.splice(lines.indexOf(open), 1);
      continue;
    }
    reasons.set(chosen.index, 'complementary');
  }

  const total = cells.reduce((sum, cell) => sum + cell.count, 0);
  const widerTotal = (enclosing?.cells ?? []).reduce((sum, cell) => sum + cell.count, 0);
  const totalSuppressed = isSmallCell(total, threshold) || (enclosing !== undefined && isSmallCell(widerTotal - total, threshold));
  return {
    cells: cells.map((cell, index) => {
      const reason = reasons.get(index);
      return reason ? { key: cell.key, count: null, suppressed: true, reason } : { key: cell.key, count: cell.count, suppressed: false };
    }),
    total: totalSuppressed ? null : total,
    totalSuppressed,
  };
}
