// Numbers and times as people read them, the exact value a hover (or screen reader) away.
import { compactNumber, fullNumber, localDateTime, utcDateTime } from '../lib/format';

export function Num({ value }: { value: number }) {
  const compact = compactNumber(value);
  const full = fullNumber(value);
  return (
    <span className="tabular" title={compact === full ? undefined : full}>
      {compact}
    </span>
  );
}

export function DateTime({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={utcDateTime(iso)}>
      {localDateTime(iso)}
    </time>
  );
}
