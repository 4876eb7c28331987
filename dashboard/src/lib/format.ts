// Numbers and dates for people: compact counts (1.2k, 3.4M) and local times with UTC kept at hand.

const UNITS: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** `1234` → `1.2k`, `3_400_000` → `3.4M`; below 1000 the number itself. */
export function compactNumber(value: number): string {
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  // Smallest unit first; a value that rounds up to 1000 of a unit moves to the next one.
  const units = [...UNITS].reverse();
  for (let i = units.length - 1; i >= 0; i--) {
    const [size, unit] = units[i] as [number, string];
    if (abs < size) continue;
    const scaled = abs / size;
    const rounded = scaled >= 100 ? Math.round(scaled) : Math.round(scaled * 10) / 10;
    if (rounded >= 1000 && i + 1 < units.length) {
      const [biggerSize, biggerUnit] = units[i + 1] as [number, string];
      return `${sign}${Math.round((abs / biggerSize) * 10) / 10}${biggerUnit}`;
    }
    return `${sign}${rounded}${unit}`;
  }
  return `${sign}${Number.isInteger(abs) ? abs : Math.round(abs * 10) / 10}`;
}

/** `1234567` → `1,234,567` in the viewer's locale. */
export function fullNumber(value: number): string {
  return new Intl.NumberFormat().format(value);
}

/** `2026-01-31T12:00:00Z` in the viewer's zone, e.g. `Jan 31, 2026, 1:00 PM`. */
export function localDateTime(iso: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** The same instant in UTC, for tooltips: `2026-01-31 12:00 UTC`. */
export function utcDateTime(iso: string): string {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A UTC calendar day (`YYYY-MM-DD`) written for people, e.g. `Jan 31`. */
export function dayLabel(date: string, withYear = false): string {
  return new Intl.DateTimeFormat(undefined, {
    month: 'short',
    day: 'numeric',
    ...(withYear ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  }).format(new Date(`${date}T00:00:00Z`));
}

/** A UTC month (`YYYY-MM-01`) written for people, e.g. `Jan 2026`. */
export function monthLabel(date: string): string {
  return new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${date}T00:00:00Z`),
  );
}

/** `YYYY-MM-DD` of a Date in UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
