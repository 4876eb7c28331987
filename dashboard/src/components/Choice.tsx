// Radio groups: a compact segmented control, or larger option cards.
import { useId } from 'react';

interface Option<T extends string> {
  value: T;
  label: string;
  hint?: string;
}

interface ChoiceProps<T extends string> {
  /** The group's accessible name. */
  label: string;
  value: T;
  options: Option<T>[];
  onChange: (value: T) => void;
  /** Shows the label above the group (otherwise only screen readers get it). */
  showLabel?: boolean;
}

export function Segmented<T extends string>({ label, value, options, onChange, showLabel = false }: ChoiceProps<T>) {
  const name = useId();
  const group = (
    <div className="segmented" role="radiogroup" aria-label={label}>
      {options.map((o) => (
        <label key={o.value}>
          <input type="radio" name={name} value={o.value} checked={o.value === value} onChange={() => onChange(o.value)} />
          {o.label}
        </label>
      ))}
    </div>
  );
  if (!showLabel) return group;
  return (
    <div className="field">
      <span className="field-label" aria-hidden="true">
        {label}
      </span>
      <div>{group}</div>
    </div>
  );
}

export function ChoiceCards<T extends string>({ label, value, options, onChange }: ChoiceProps<T>) {
  const name = useId();
  return (
    <fieldset className="field" style={{ border: 'none', padding: 0, margin: 0 }}>
      <legend className="field-label" style={{ padding: 0, marginBottom: 6 }}>
        {label}
      </legend>
      <div className="choices">
        {options.map((o) => (
          <label key={o.value} className="choice">
            <input type="radio" name={name} value={o.value} checked={o.value === value} onChange={() => onChange(o.value)} />
            <span className="choice-title">{o.label}</span>
            {o.hint && <span className="choice-hint">{o.hint}</span>}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

interface SwitchProps {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
}

/** An on/off switch (a button with role="switch"); `label` is its accessible name. */
export function Switch({ checked, onChange, label }: SwitchProps) {
  return <button type="button" role="switch" className="switch" aria-checked={checked} aria-label={label} onClick={() => onChange(!checked)} />;
}
