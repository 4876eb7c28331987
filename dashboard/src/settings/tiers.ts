// Tiers as the editor holds them: rows in the user's order, names editable.
import type { TierLimits } from '../api/types';
import { limitError, limitText, limitValue } from '../components/LimitInput';
import { newKey } from '../rules/model';

export interface TierDraft {
  key: string;
  name: string;
  requestLimit: string | null;
  tokenLimit: string | null;
}

/** The server's longest tier name. */
export const MAX_TIER_NAME = 64;

export function tiersFromApi(tiers: Record<string, TierLimits>): TierDraft[] {
  return Object.entries(tiers).map(([name, t]) => ({
    key: newKey(),
    name,
    requestLimit: limitText(t.requestLimit),
    tokenLimit: limitText(t.tokenLimit),
  }));
}

export function tiersToApi(tiers: TierDraft[]): Record<string, TierLimits> {
  return Object.fromEntries(
    tiers.map((t) => [t.name.trim(), { requestLimit: limitValue(t.requestLimit), tokenLimit: limitValue(t.tokenLimit) }]),
  );
}

/** Errors by row key and input: names must be unique and 1–64 characters; limits whole numbers. */
export function tierErrors(tiers: TierDraft[]): Record<string, Partial<Record<'name' | 'requestLimit' | 'tokenLimit', string>>> {
  const errors: ReturnType<typeof tierErrors> = {};
  const seen = new Set<string>();
  for (const t of tiers) {
    const e: (typeof errors)[string] = {};
    const name = t.name.trim();
    if (!name) e.name = 'Name the tier';
    else if ([...name].length > MAX_TIER_NAME) e.name = `At most ${MAX_TIER_NAME} characters`;
    else if (seen.has(name)) e.name = 'Another tier has this name';
    seen.add(name);
    const requests = limitError(t.requestLimit);
    const tokens = limitError(t.tokenLimit);
    if (requests) e.requestLimit = requests;
    if (tokens) e.tokenLimit = tokens;
    if (Object.keys(e).length) errors[t.key] = e;
  }
  return errors;
}
