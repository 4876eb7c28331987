import { describe, expect, it } from 'vitest';

import { aggregate, historyRange, periodStart } from '../../src/lib/periods';
import { compactNumber } from '../../src/lib/format';

describe('history periods (UTC)', () => {
  it('starts ISO weeks on Monday and months on the 1st', () => {
    expect(periodStart('2026-03-01', 'week')).toBe('2026-02-23'); // a Sunday
    expect(periodStart('2026-03-02', 'week')).toBe('2026-03-02'); // a Monday
    expect(periodStart('2026-03-31', 'month')).toBe('2026-03-01');
    expect(periodStart('2026-03-31', 'day')).toBe('2026-03-31');
  });

  it('asks for 30 days, 12 weeks or 12 months ending today, within the 366 days the server allows', () => {
    expect(historyRange('day', '2026-03-31')).toEqual({ from: '2026-03-02', to: '2026-03-31' });
    expect(historyRange('week', '2026-03-31').from).toBe('2026-01-12');
    expect(historyRange('month', '2026-03-31').from).toBe('2025-04-01');
    expect(historyRange('month', '2028-02-29').from).toBe('2027-03-01');
  });

  it('sums days into weeks and months', () => {
    const days = [
      { date: '2026-02-28', requests: 1, tokens: 10, limited: 0 },
      { date: '2026-03-01', requests: 2, tokens: 20, limited: 1 },
      { date: '2026-03-02', requests: 4, tokens: 40, limited: 2 },
    ];
    expect(aggregate(days, 'week')).toEqual([
      { start: '2026-02-23', requests: 3, tokens: 30, limited: 1 },
      { start: '2026-03-02', requests: 4, tokens: 40, limited: 2 },
    ]);
    expect(aggregate(days, 'month').map((p) => [p.start, p.requests])).toEqual([
      ['2026-02-01', 1],
      ['2026-03-01', 6],
    ]);
  });
});

describe('compact numbers', () => {
  it('writes counts for people', () => {
    expect([0, 999, 1000, 1234, 12_345, 999_949, 999_950, 3_400_000, 2_500_000_000, -1500].map(compactNumber)).toEqual([
      '0',
      '999',
      '1k',
      '1.2k',
      '12.3k',
      '1M',
      '1M',
      '3.4M',
      '2.5B',
      '-1.5k',
    ]);
  });
});
