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

/** How many periods of history each interval shows, the current one included. */
export const SPAN: Record<Interval, number> = { day: 30, week: 12, month: 12 };

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

/** The `from` and `to` of the history request: whole periods ending with today's (UTC). */
export function historyRange(interval: Interval, today: string): { from: string; to: string } {
  const current = periodStart(today, interval);
  let from: string;
  if (interval === 'month') {
    const d = new Date(`${current}T00:00:00Z`);
    d.setUTCMonth(d.getUTCMonth() - (SPAN.month - 1));
    from = d.toISOString().slice(0, 10);
  } else {
    from = addDays(current, -(SPAN[interval] - 1) * (interval === 'week' ? 7 : 1));
  }
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
