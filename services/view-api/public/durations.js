// Durations as people read them: business time in days and hours (the casework's pace), pipeline
// latency in milliseconds or seconds (the machines'). Pure: Intl only, unit-tested in Node.

const UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** The two largest non-zero units of a duration, rounded down: 93,780,000 ms → 1 day, 2 hours. */
export function durationParts(ms) {
  let rest = Math.max(0, Math.round(ms));
  const parts = [];
  for (const [unit, size] of UNITS) {
    const value = Math.floor(rest / size);
    rest -= value * size;
    if (value > 0 || parts.length > 0) parts.push({ unit, value });
  }
  const shown = parts.filter((part) => part.value > 0).slice(0, 2);
  // Only units next to each other: "1 day, 5 minutes" would hide the hours between them.
  if (shown.length === 2 && UNITS.findIndex(([u]) => u === shown[1].unit) - UNITS.findIndex(([u]) => u === shown[0].unit) > 1) shown.pop();
  return shown.length > 0 ? shown : [{ unit: 'second', value: 0 }];
}

/** Business time in words of `locale`: "1 day, 2 hours", "1 jour et 2 heures". */
export function businessTime(ms, locale) {
  const words = durationParts(ms).map(({ unit, value }) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value),
  );
  return new Intl.ListFormat(locale, { type: 'unit', style: 'long' }).format(words);
}

/** Pipeline latency: milliseconds under ten seconds, else seconds with one decimal ("250 ms", "12.5 s" / "12,5 s"). */
export function latency(ms, locale) {
  const number = (n, digits) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(n);
  return ms < 10_000 ? `${number(Math.round(ms), 0)}\u00a0ms` : `${number(ms / 1000, 1)}\u00a0s`;
}
