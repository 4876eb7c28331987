// A limit: a whole number, or "unlimited" (the API's null).
import { Field } from './Field';

interface LimitInputProps {
  label: string;
  /** The text typed; `null` = unlimited. */
  value: string | null;
  onChange: (value: string | null) => void;
  error?: string | undefined;
  hint?: string;
}

export function LimitInput({ label, value, onChange, error, hint }: LimitInputProps) {
  const unlimited = value === null;
  return (
    <Field label={label} error={error} hint={hint}>
      {(control) => (
        <div className="limit-input">
          <input
            className="input tabular"
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            placeholder={unlimited ? 'Unlimited' : '0'}
            value={value ?? ''}
            disabled={unlimited}
            onChange={(e) => onChange(e.target.value)}
            {...control}
          />
          <label className="checkbox">
            <input type="checkbox" checked={unlimited} onChange={(e) => onChange(e.target.checked ? null : '')} />
            Unlimited
            <span className="visually-hidden"> {label.toLowerCase()}</span>
          </label>
        </div>
      )}
    </Field>
  );
}

/** The text of a limit for the form. */
export function limitText(limit: number | null | undefined): string | null {
  return limit === null || limit === undefined ? null : String(limit);
}

/** The limit for the API: null, or the number typed (`NaN` stays visible to validation). */
export function limitValue(text: string | null): number | null {
  return text === null ? null : text.trim() === '' ? Number.NaN : Number(text);
}

/** A client-side check of a limit's text, before the server's own. */
export function limitError(text: string | null): string | undefined {
  if (text === null) return undefined;
  if (text.trim() === '') return 'Enter a limit, or choose unlimited';
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? undefined : 'Must be a whole number, 0 or more';
}
