// Limit type, window and the default limits of a project.
import type { LimitType, UsageWindow } from '../api/types';
import { ChoiceCards } from '../components/Choice';
import { SelectField } from '../components/Field';
import { LimitInput } from '../components/LimitInput';
import { enforcesRequests, enforcesTokens, LIMIT_TYPES, type LimitsDraft, WINDOW_NOUN, WINDOWS } from './limits';

interface LimitsFieldsProps {
  value: LimitsDraft;
  onChange: (value: LimitsDraft) => void;
  errors: Record<string, string | undefined>;
}

export function LimitsFields({ value, onChange, errors }: LimitsFieldsProps) {
  const set = (change: Partial<LimitsDraft>) => onChange({ ...value, ...change });
  const per = WINDOW_NOUN[value.window];
  return (
    <div className="stack">
      <ChoiceCards<LimitType> label="What to limit" value={value.limitType} options={LIMIT_TYPES} onChange={(limitType) => set({ limitType })} />
      {errors.limitType && <p className="field-error">{errors.limitType}</p>}
      <SelectField
        label="Window"
        value={value.window}
        options={WINDOWS}
        onChange={(e) => set({ window: e.target.value as UsageWindow })}
        error={errors.window}
        hint="Every limit counts per identity in this period (UTC); counts start afresh at each new period."
      />
      <div className="grid-2">
        {enforcesRequests(value.limitType) && (
          <LimitInput
            label="Request limit"
            value={value.requestLimit}
            onChange={(requestLimit) => set({ requestLimit })}
            error={errors.dailyRequestLimit}
            hint={`Requests per user per ${per}`}
          />
        )}
        {enforcesTokens(value.limitType) && (
          <LimitInput
            label="Token limit"
            value={value.tokenLimit}
            onChange={(tokenLimit) => set({ tokenLimit })}
            error={errors.dailyTokenLimit}
            hint={`Tokens per user per ${per}`}
          />
        )}
      </div>
    </div>
  );
}
