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

/**
 * The JSON text a value was parsed from or checked as, kept beside it (issue 14: an event's
 * details were serialised or parsed six times between the request and the alert row). Details
 * objects are never changed in place, only replaced, so the text stays theirs.
 */
const texts = new WeakMap<object, string>();

export function withJsonText<T extends object>(value: T, text: string): T {
  texts.set(value, text);
  return value;
}

/** The text remembered for `value`, else JSON.stringify(value). */
export function jsonText(value: object): string {
  return texts.get(value) ?? JSON.stringify(value);
}

/** parseJsonColumn for an object column, remembering the text for the next write. */
export function parseJsonObjectColumn(text: string | null | undefined): Record<string, unknown> {
  const value = parseJsonColumn<Record<string, unknown>>(text, {});
  return text && typeof value === 'object' && value !== null ? withJsonText(value, text) : value;
}
