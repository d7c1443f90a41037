/* global document */
// Building the page's elements, and its tables of figures: each table is kept as data (headers and
// cells as shown) so that what is exported is exactly what is on the page.
import { t } from './i18n.js';

const { Node } = globalThis;

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/**
 * A cell: `text` is the figure as shown; `csv` (optional) as exported, when a spreadsheet needs it plainer
 * (a number without separators, a date in ISO 8601); `content` (optional) what the page shows instead
 * (for instance a symbol with its spoken form); `attrs` go on the element.
 */
export const cell = (text, options = {}) => ({ text: String(text), ...options });

/** A hidden count: `x` on screen, read aloud as one word; the note above the table explains it once. */
export const hiddenCell = (attrs = {}) =>
  cell('x', {
    attrs: { class: 'suppressed', 'data-suppressed': 'true', ...attrs },
    content: [el('span', { 'aria-hidden': 'true' }, 'x'), el('span', { class: 'visually-hidden' }, t('hidden'))],
  });

function cellElement(tag, value, extra = {}) {
  // Words (names, labels, identifiers) read from the left; figures stay aligned on the right.
  const spec =
    typeof value === 'object' && value !== null ? value : cell(value ?? '—', value && value !== '—' ? { attrs: { class: 'text' } } : {});
  return el(tag, { ...extra, ...spec.attrs }, ...(spec.content ?? [spec.text]));
}

/**
 * A table of figures in a labelled region that scrolls sideways on a narrow screen, with a button to
 * download it as CSV. `rows` are `{ header, cells, attrs }`: `header` the row's heading cell;
 * `methodology` the notes the export ends with. The block's `figures` hold headers and cells as text.
 */
export function figureTable({ name, testid, caption, columns, rows, footer = [], methodology = [] }) {
  const table = el('table', { 'data-testid': testid });
  if (caption) table.append(el('caption', { class: 'help' }, caption));
  table.append(el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col' }, c)))));
  const body = (tag, list) =>
    el(
      tag,
      {},
      ...list.map((row) =>
        el(
          'tr',
          row.attrs ?? {},
          ...(row.header === undefined ? [] : [cellElement('th', row.header, { scope: 'row' })]),
          ...row.cells.map((c) => cellElement('td', c)),
        ),
      ),
    );
  table.append(body('tbody', rows));
  if (footer.length > 0) table.append(body('tfoot', footer));
  const region = el('div', { class: 'table-scroll', role: 'region', 'aria-label': t('scrollTable', name), tabindex: '0' }, table);
  const text = (c) => (typeof c === 'object' && c !== null ? (c.csv ?? c.text) : String(c ?? '—'));
  const exportButton = el(
    'button',
    { type: 'button', class: 'export', 'data-export': testid },
    t('downloadCsv'),
    el('span', { class: 'visually-hidden' }, ` — ${name}`),
  );
  const block = el('div', { class: 'table-block' }, region, exportButton);
  block.figures = {
    id: testid,
    columns,
    rows: [...rows, ...footer].map((row) => [...(row.header === undefined ? [] : [text(row.header)]), ...row.cells.map(text)]),
    methodology,
  };
  return block;
}
