// Requests, tokens and limited requests over time, by day, week or month; with the same
// numbers as a table for screen readers.
import { useState } from 'react';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

import { useHistory } from '../api/queries';
import { Card } from '../components/Card';
import { Segmented } from '../components/Choice';
import { ChartIcon } from '../components/Icons';
import { Empty, ErrorState, Loading } from '../components/States';
import { compactNumber, dayLabel, fullNumber, monthLabel } from '../lib/format';
import { type HistoryPoint, type Interval } from '../lib/periods';

const INTERVALS: { value: Interval; label: string }[] = [
  { value: 'day', label: 'Day' },
  { value: 'week', label: 'Week' },
  { value: 'month', label: 'Month' },
];

const SPAN_TEXT: Record<Interval, string> = {
  day: 'Last 30 days, by day (UTC)',
  week: 'Last 12 weeks, by ISO week (UTC)',
  month: 'Last 12 months, by month (UTC)',
};

function label(point: HistoryPoint, interval: Interval) {
  if (interval === 'month') return monthLabel(point.start);
  return interval === 'week' ? `Week of ${dayLabel(point.start)}` : dayLabel(point.start);
}

function HistoryTable({ points, interval }: { points: HistoryPoint[]; interval: Interval }) {
  return (
    // Tables ignore a height: the wrapper is what hides it.
    <div className="visually-hidden">
    <table>
      <caption>{SPAN_TEXT[interval]}</caption>
      <thead>
        <tr>
          <th scope="col">Period</th>
          <th scope="col">Requests</th>
          <th scope="col">Tokens</th>
          <th scope="col">Limited</th>
        </tr>
      </thead>
      <tbody>
        {points.map((p) => (
          <tr key={p.start}>
            <th scope="row">{label(p, interval)}</th>
            <td>{p.requests}</td>
            <td>{p.tokens}</td>
            <td>{p.limited}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

export function UsageChart({ projectId }: { projectId: string }) {
  const [interval, setInterval] = useState<Interval>('day');
  const history = useHistory(projectId, interval);
  const points = (history.data ?? []).map((p) => ({ ...p, label: label(p, interval) }));
  const empty = points.every((p) => p.requests === 0 && p.tokens === 0 && p.limited === 0);
  const totals = points.reduce((t, p) => ({ requests: t.requests + p.requests, limited: t.limited + p.limited }), { requests: 0, limited: 0 });

  return (
    <Card
      id="usage-chart"
      title="Usage over time"
      description={SPAN_TEXT[interval]}
      actions={<Segmented label="Group by" value={interval} options={INTERVALS} onChange={setInterval} />}
    >
      {history.isPending && <Loading label="Loading the history…" lines={4} />}
      {history.isError && <ErrorState error={history.error} title="Could not load the history" onRetry={() => void history.refetch()} />}
      {history.data && empty && (
        <Empty icon={<ChartIcon />} title="No traffic yet">
          Requests through the proxy appear here within seconds. The Connect tab has code to send the first one.
        </Empty>
      )}
      {history.data && !empty && (
        <figure className="chart" aria-label={`${SPAN_TEXT[interval]}: ${fullNumber(totals.requests)} requests, ${fullNumber(totals.limited)} limited`}>
          <div aria-hidden="true" style={{ width: '100%', height: 280 }}>
            <ResponsiveContainer>
              <ComposedChart data={points} margin={{ top: 8, right: 4, bottom: 0, left: -8 }} accessibilityLayer={false}>
                <CartesianGrid stroke="#eef0f4" vertical={false} />
                <XAxis dataKey="label" tickLine={false} axisLine={false} fontSize={12} minTickGap={16} stroke="#8a94a6" />
                <YAxis yAxisId="count" allowDecimals={false} tickFormatter={compactNumber} tickLine={false} axisLine={false} fontSize={12} width={44} stroke="#8a94a6" />
                <YAxis yAxisId="tokens" orientation="right" tickFormatter={compactNumber} tickLine={false} axisLine={false} fontSize={12} width={44} stroke="#8a94a6" />
                <Tooltip
                  formatter={(value) => fullNumber(Number(value))}
                  contentStyle={{ borderRadius: 8, border: '1px solid #e4e7ec', fontSize: 13 }}
                  cursor={{ fill: 'rgb(99 102 241 / 0.06)' }}
                />
                <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 13 }} />
                <Bar yAxisId="count" dataKey="requests" name="Requests" stackId="count" fill="var(--chart-requests)" radius={[0, 0, 0, 0]} maxBarSize={28} />
                <Bar yAxisId="count" dataKey="limited" name="Limited" stackId="count" fill="var(--chart-limited)" radius={[4, 4, 0, 0]} maxBarSize={28} />
                <Line yAxisId="tokens" dataKey="tokens" name="Tokens" type="monotone" stroke="var(--chart-tokens)" strokeWidth={2} dot={false} />
              </ComposedChart>
            </ResponsiveContainer>
          </div>
          <HistoryTable points={history.data} interval={interval} />
        </figure>
      )}
    </Card>
  );
}
