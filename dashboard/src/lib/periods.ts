// Usage history by day, ISO week (Monday start) or calendar month, all in UTC. The server
// answers days; weeks and months are summed here from them (API.md's `interval` parameter
// may not exist yet on the server; when it does, its `periods` are used as they are).

export type Interval = 'day' | 'week' | 'month';

export interface HistoryDay {
  date: string;
  requests: number;
  tokens: number;
  limited: number;
}

export interface HistoryPoint {
  /** First day of the period, `YYYY-MM-DD`. */
  start: string;
  requests: number;
  tokens: number;
  limited: number;
}

/** How many days of history each interval shows. */
export const SPAN_DAYS: Record<Interval, number> = { day: 30, week: 84, month: 365 };

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The first day of the period of `interval` that contains `date`. */
export function periodStart(date: string, interval: Interval): string {
  if (interval === 'day') return date;
  if (interval === 'month') return `${date.slice(0, 7)}-01`;
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

/** The `from` and `to` of the history request ending today (UTC). */
export function historyRange(interval: Interval, today: string): { from: string; to: string } {
  const from = periodStart(addDays(today, -(SPAN_DAYS[interval] - 1)), interval);
  return { from, to: today };
}

/** Sums days into periods, oldest first. */
export function aggregate(days: HistoryDay[], interval: Interval): HistoryPoint[] {
  const points = new Map<string, HistoryPoint>();
  for (const day of days) {
    const start = periodStart(day.date, interval);
    const point = points.get(start) ?? { start, requests: 0, tokens: 0, limited: 0 };
    point.requests += day.requests;
    point.tokens += day.tokens;
    point.limited += day.limited;
    points.set(start, point);
  }
  return [...points.values()].sort((a, b) => a.start.localeCompare(b.start));
}
