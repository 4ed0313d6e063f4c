/** JSON columns: written by us, but a hand-edited or damaged row must not crash a reader. */
export function parseJsonColumn<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

// The remembered texts live in shared: the intake sets them, the store writes them.
export { jsonText, withJsonText } from '../shared/index.js';
import { withJsonText } from '../shared/index.js';

/** parseJsonColumn for an object column, remembering the text for the next write. */
export function parseJsonObjectColumn(text: string | null | undefined): Record<string, unknown> {
  const value = parseJsonColumn<Record<string, unknown>>(text, {});
  return text && typeof value === 'object' && value !== null ? withJsonText(value, text) : value;
}
