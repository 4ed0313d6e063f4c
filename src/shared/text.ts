/**
 * The product's one rule for control characters, used by every check and every clean-up of text
 * (settings, events, webhooks, silences, subjects, bodies, headers).
 *
 * - Control characters: Unicode category Cc (C0 U+0000-U+001F, DEL, C1 U+0080-U+009F) and the
 *   line/paragraph separators U+2028/U+2029. A one-line value (subject, header, label, pattern)
 *   allows none of them (CR/LF there is how header injection starts); multi-line text allows
 *   tab, LF and CR only.
 * - Direction controls: U+202A-U+202E (embeddings, overrides), U+2066-U+2069 (isolates) and the
 *   marks U+200E/U+200F. They reorder what a reader sees ("Trojan source", "invoice\u202Efdp.exe"),
 *   so every text we send or show has them removed; a value is not refused for carrying one.
 */

// eslint-disable-next-line no-control-regex -- the rule is about control characters
const LINE_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- the rule is about control characters
const TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const DIRECTION_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/g;
const LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
// eslint-disable-next-line no-control-regex -- the rule is about control characters
const TEXT_CONTROL_ALL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;

/** `line`: one line (no line breaks or tabs); `text`: several lines (tab, LF, CR allowed). */
export type TextShape = 'line' | 'text';

/** True when `value` carries a control character its shape does not allow. */
export function hasControlCharacters(value: string, shape: TextShape = 'line'): boolean {
  return (shape === 'line' ? LINE_CONTROL : TEXT_CONTROL).test(value);
}

/**
 * `value` made safe to send or show. `line`: each run of tabs and line breaks becomes one space,
 * other control characters are removed (whitespace is not collapsed here). `text`: line breaks become LF (NEL, U+2028/U+2029 too), other
 * control characters are removed. Direction controls are removed in both.
 */
export function cleanText(value: string, shape: TextShape = 'line'): string {
  const out = value.replace(DIRECTION_CONTROLS, '');
  if (shape === 'line') return out.replace(LINE_BREAKS, ' ').replace(TEXT_CONTROL_ALL, '');
  return out.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n').replace(TEXT_CONTROL_ALL, '');
}

/** For messages about bad input: control characters shown as \xNN, at most 80 characters. */
export function printable(value: string): string {
  const shown = value.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}
