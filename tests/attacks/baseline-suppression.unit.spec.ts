import { describe, expect, it } from 'vitest';
import { suppressTable } from './baseline-suppression.ts';

const cell = (region: string, count: number) => ({ key: { region }, count });
const cell2 = (region: string, status: string, count: number) => ({ key: { region, status }, count });
const shown = (table: ReturnType<typeof suppressTable>) =>
  table.cells.map((c) => [Object.values(c.key).join('/'), c.count, c.reason ?? '-']);

describe('small-cell suppression', () => {
  it('leaves a table without small cells as it is', () => {
    const table = suppressTable([cell('TORONTO', 12), cell('EAST', 6), cell('WEST', 0)], ['region'], 5);
    expect(shown(table)).toEqual([
      ['TORONTO', 12, '-'],
      ['EAST', 6, '-'],
      ['WEST', 0, '-'],
    ]);
    expect(table.total).toBe(18);
  });

  it('hides counts from 1 to the threshold but shows 0 and threshold + 1', () => {
    const table = suppressTable([cell('A', 1), cell('B', 5), cell('C', 6), cell('D', 0), cell('E', 20)], ['region'], 5);
    // A and B are small cells; two hidden cells in the only line, so no complementary suppression.
    expect(shown(table)).toEqual([
      ['A', null, 'small_cell'],
      ['B', null, 'small_cell'],
      ['C', 6, '-'],
      ['D', 0, '-'],
      ['E', 20, '-'],
    ]);
    expect(table.total).toBe(32);
  });

  it('hides a second cell in one dimension so the total does not give the small one away', () => {
    // 12 + 3 + 8 = 23 shown as total: with EAST alone hidden, EAST = 23 - 12 - 8 = 3.
    const table = suppressTable([cell('TORONTO', 12), cell('EAST', 3), cell('WEST', 8)], ['region'], 5);
    expect(shown(table)).toEqual([
      ['TORONTO', 12, '-'],
      ['EAST', null, 'small_cell'],
      ['WEST', null, 'complementary'],
    ]);
    expect(table.total).toBe(23);
  });

  it('suppresses complementary cells across rows and columns until no line has a single hidden cell', () => {
    //            ACCEPTED DECLINED REQUESTED
    // TORONTO        10        7        2      <- 2 is small; row: hide DECLINED 7 (smallest)
    // EAST            6        9        8      <- column REQUESTED: hide 8; column DECLINED: hide 9
    const table = suppressTable(
      [
        cell2('TORONTO', 'ACCEPTED', 10),
        cell2('TORONTO', 'DECLINED', 7),
        cell2('TORONTO', 'REQUESTED', 2),
        cell2('EAST', 'ACCEPTED', 6),
        cell2('EAST', 'DECLINED', 9),
        cell2('EAST', 'REQUESTED', 8),
      ],
      ['region', 'status'],
      5,
    );
    expect(shown(table)).toEqual([
      ['TORONTO/ACCEPTED', 10, '-'],
      ['TORONTO/DECLINED', null, 'complementary'],
      ['TORONTO/REQUESTED', null, 'small_cell'],
      ['EAST/ACCEPTED', 6, '-'],
      ['EAST/DECLINED', null, 'complementary'],
      ['EAST/REQUESTED', null, 'complementary'],
    ]);
    expect(table.total).toBe(42);
  });

  it('hides the grand total when it is itself a small cell', () => {
    const table = suppressTable([cell('NORTH_WEST', 4)], ['region'], 5);
    expect(table.cells[0]).toMatchObject({ count: null, suppressed: true });
    expect(table).toMatchObject({ total: null, totalSuppressed: true });
  });

  it('follows a configured threshold', () => {
    const table = suppressTable([cell('A', 9), cell('B', 10), cell('C', 11)], ['region'], 10);
    expect(shown(table)).toEqual([
      ['A', null, 'small_cell'],
      ['B', null, 'small_cell'],
      ['C', 11, '-'],
    ]);
  });
});

describe('suppression against differencing with a wider table', () => {
  it('hides a cell whose difference from the all-time table is small, then its complement', () => {
    // Range: TORONTO 12, WEST 9, EAST 7. All time: TORONTO 14, WEST 9, EAST 20.
    // TORONTO differs by 2 (all time minus the range would show 2): hidden. The line now has one
    // hidden cell, so its smallest other non-zero cell, EAST 7, is hidden as its complement.
    const table = suppressTable([cell('TORONTO', 12), cell('WEST', 9), cell('EAST', 7)], ['region'], 5, {
      cells: [cell('TORONTO', 14), cell('WEST', 9), cell('EAST', 20)],
    });
    expect(shown(table)).toEqual([
      ['TORONTO', null, 'differencing'],
      ['WEST', 9, '-'],
      ['EAST', null, 'complementary'],
    ]);
    // 43 - 28 = 15 is not small: the total stays.
    expect(table.total).toBe(28);
  });

  it('hides the total when it differs from the all-time total by a small count', () => {
    const table = suppressTable([cell('TORONTO', 20), cell('WEST', 20)], ['region'], 5, {
      cells: [cell('TORONTO', 20), cell('WEST', 20), cell('EAST', 2)],
    });
    expect(shown(table)).toEqual([
      ['TORONTO', 20, '-'],
      ['WEST', 20, '-'],
    ]);
    expect(table).toMatchObject({ total: null, totalSuppressed: true });
  });

  it('changes nothing when the range holds everything', () => {
    const cells = [cell('TORONTO', 12), cell('WEST', 9)];
    expect(suppressTable(cells, ['region'], 5, { cells })).toEqual(suppressTable(cells, ['region'], 5));
  });
});
