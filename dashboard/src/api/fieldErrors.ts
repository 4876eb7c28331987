// A server validation error, placed on the form field it names.
import { ApiError, capitalize } from './errors';

/** `{field: message}` when `error` names one of `fields` (or a path under one of them). */
export function fieldErrorsOf(error: unknown, fields: readonly string[]): Record<string, string> {
  if (!(error instanceof ApiError) || !error.field) return {};
  const field = fields.find((f) => error.field === f || error.field?.startsWith(`${f}.`) || error.field?.startsWith(`${f}[`));
  return field ? { [field]: capitalize(error.message) } : {};
}

/** The error to show above a form: one that no field of the form shows. */
export function formError(error: unknown, fieldErrors: Record<string, string>): unknown {
  return error && Object.keys(fieldErrors).length === 0 ? error : null;
}
