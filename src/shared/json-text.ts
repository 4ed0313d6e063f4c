/**
 * The JSON text a value was parsed from or checked as, kept beside it (issue 14: an event's
 * details were serialised or parsed six times between the request and the alert row). Details
 * objects are never changed in place, only replaced, so the text stays theirs. Here, below every
 * layer, because the intake remembers the text and the store writes it.
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
