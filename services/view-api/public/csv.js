/* global Blob, document */
// Exports: a table as shown, as CSV for spreadsheets (UTF-8 with a byte-order mark so that Excel reads
// the accents), its headers in the page's language and how the figures were made on its last line.

const BOM = '\ufeff';

/** One field, quoted when it holds a separator, a quote or a line break (RFC 4180). */
export function csvField(value) {
  const text = String(value ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV text of `figures` ({ columns, rows } of text) followed by one line per methodology note. */
export function toCsv(figures, methodology = []) {
  const lines = [figures.columns, ...figures.rows, ...methodology.map((note) => [note])];
  return `${BOM}${lines.map((line) => line.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** Offers the CSV as a download named `filename`. */
export function downloadCsv(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
