import { describe, expect, it } from 'vitest';

// The dashboard's own modules are plain browser JavaScript (public/, no build step), typed here by hand.
interface CsvModule {
  csvField(value: unknown): string;
  toCsv(figures: { columns: string[]; rows: string[][] }, methodology?: string[]): string;
}
const modulePath: string = '../public/csv.js';
const { csvField, toCsv } = (await import(modulePath)) as CsvModule;

describe('the dashboard’s CSV exports', () => {
  it('starts with a byte-order mark, ends lines with CRLF and puts each methodology note on a line of its own at the end', () => {
    const text = toCsv(
      {
        columns: ['Région', 'Accepté'],
        rows: [
          ['Toronto', '12'],
          ['Est', 'x'],
        ],
      },
      ['Seuil : 5'],
    );
    expect(text).toBe('\ufeffRégion,Accepté\r\nToronto,12\r\nEst,x\r\nSeuil : 5\r\n');
  });

  it('quotes a field holding a comma, a quote or a line break, and doubles its quotes', () => {
    expect(csvField('Centre, Est')).toBe('"Centre, Est"');
    expect(csvField('le « x » ou "x"')).toBe('"le « x » ou ""x"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
  });
});
