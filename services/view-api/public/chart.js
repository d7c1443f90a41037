/* global document */
// A small bar chart drawn as inline SVG by these few lines (no chart library, nothing but the page's own
// origin under its CSP). The figures are always also in a table beneath: the chart is for the eye.

const SVG = 'http://www.w3.org/2000/svg';

/**
 * Where each bar goes in a `width` × `height` box: one slot per value, bars scaled to the largest
 * value, a band at the top for the figures and one at the bottom for the labels. A suppressed value
 * (null) gets no bar, only its `x` at the baseline. Pure, unit-tested.
 */
export function barGeometry(values, { width = 640, height = 180, gap = 6, top = 20, bottom = 24 } = {}) {
  const max = Math.max(1, ...values.map((v) => v ?? 0));
  const slot = width / Math.max(1, values.length);
  const plot = height - top - bottom;
  const round = (n) => Math.round(n * 100) / 100;
  return values.map((value, index) => {
    const barHeight = value === null ? 0 : round((Math.max(0, value) / max) * plot);
    return {
      x: round(index * slot + Math.min(gap, slot / 4) / 2),
      width: round(Math.max(1, slot - Math.min(gap, slot / 4))),
      y: round(top + plot - barHeight),
      height: barHeight,
      centre: round(index * slot + slot / 2),
      baseline: top + plot,
      suppressed: value === null,
    };
  });
}

const node = (tag, attrs, text) => {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
};

/**
 * The chart: `values` (null when suppressed), `figures` (each value as the page writes it), `labels`
 * (each bucket, short), and `name`, what the chart as a whole is read aloud as.
 */
export function barChart({ values, figures, labels, name, width = 640, height = 180 }) {
  const svg = node('svg', { viewBox: `0 0 ${width} ${height}`, class: 'bar-chart', role: 'img', 'aria-label': name });
  const bars = barGeometry(values, { width, height });
  // Every label when they fit, else every nth, so that they never overlap.
  const every = Math.max(1, Math.ceil(bars.length / 12));
  svg.append(node('line', { x1: 0, x2: width, y1: bars[0]?.baseline ?? height, y2: bars[0]?.baseline ?? height, class: 'axis' }));
  bars.forEach((bar, index) => {
    if (!bar.suppressed && bar.height > 0)
      svg.append(node('rect', { x: bar.x, y: bar.y, width: bar.width, height: bar.height, class: 'bar-rect' }));
    svg.append(node('text', { x: bar.centre, y: bar.y - 4, 'text-anchor': 'middle', class: 'figure' }, figures[index] ?? ''));
    if (index % every === 0)
      svg.append(node('text', { x: bar.centre, y: bar.baseline + 16, 'text-anchor': 'middle', class: 'label' }, labels[index] ?? ''));
  });
  return svg;
}
