import type { Problem } from '../config/index.js';
import { badRecipientMessage, cleanText, emailAddressProblem, hasControlCharacters, isEmailAddress } from '../shared/index.js';
import { SEVERITIES, type Severity } from './domain.js';
import { formatDuration, parseDuration } from './duration.js';
import { MATCHER_LABELS, type Matchers } from './matchers.js';
import { GROUP_LABELS, NOTIFICATIONS_SECTION, type GroupLabel, type Timings } from './rules-model.js';

/**
 * The field parsers of the `notifications:` section: each reads one value, reports what it cannot
 * use in the portal's words (Problems) and returns undefined so the caller keeps its default.
 */

export type Raw = Record<string, unknown>;

export function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`).replace(/-/g, '_');
}

export function describe(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a section' : `${JSON.stringify(value)}`;
}

export class Problems {
  readonly list: Problem[] = [];

  error(field: string, message: string, guideStep: Problem['guideStep'] = null): void {
    this.list.push({ field: `${NOTIFICATIONS_SECTION}.${field}`, severity: 'error', message: `${NOTIFICATIONS_SECTION}.${field}: ${message}`, guideStep });
  }

  warning(field: string, message: string, guideStep: Problem['guideStep'] = null): void {
    this.list.push({ field: `${NOTIFICATIONS_SECTION}.${field}`, severity: 'warning', message: `${NOTIFICATIONS_SECTION}.${field}: ${message}`, guideStep });
  }
}

/** A known name one or two typing slips away (agnet -> agent, recipeints -> recipients). */
function closeName(name: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      for (let j = 1; j <= b.length; j++) {
        const swap = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1] ? previous[j - 2]! : Infinity;
        current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1), swap + 1);
      }
      previous = current;
    }
    return previous[b.length]!;
  };
  return known.find((k) => distance(name.toLowerCase(), k) <= 2);
}

/** A section's entries with snake_case names; unknown names are reported and left out. */
export function entries(p: Problems, field: string, value: Raw, known: readonly string[], unknown?: (key: string, close: string | undefined) => void): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value)) {
    const name = snake(key);
    if (!known.includes(name)) {
      const close = known.find((k) => k.replace(/_/g, '') === name.replace(/_/g, '').toLowerCase()) ?? closeName(name, known);
      if (unknown) unknown(key, close);
      else {
        p.warning(
          field === '' ? key : `${field}.${key}`,
          `is not a known setting and is ignored.${close ? ` Did you mean ${close}?` : ` Known: ${known.join(', ')}.`}`,
        );
      }
      continue;
    }
    if (out.has(name)) p.warning(field === '' ? key : `${field}.${key}`, `is given twice; the later value is used`);
    out.set(name, v);
  }
  return out;
}

export function parseRecipients(
  p: Problems,
  field: string,
  value: unknown,
  { required, insteadWhenNone }: { required: boolean; insteadWhenNone?: string },
): string[] | undefined {
  if (value === undefined || value === null) {
    if (required) p.error(field, 'is required: a list of e-mail addresses', 'recipients');
    return undefined;
  }
  const list = typeof value === 'string' ? value.split(/[,;]/) : value;
  if (!Array.isArray(list)) {
    p.error(field, `must be a list of e-mail addresses, not ${describe(value)}`, 'recipients');
    return undefined;
  }
  // One bad address drops only itself (reported): the others still get the e-mails.
  const othersRemain = validAddresses(list).length > 0;
  const out = validAddresses(list, (item) =>
    p.error(
      field,
      badRecipientMessage(
        typeof item === 'string' ? cleanText(item.trim().slice(0, 100)) : describe(item),
        typeof item === 'string' ? (emailAddressProblem(item.trim()) ?? 'it needs the form name@domain') : 'it is not text',
        othersRemain,
        insteadWhenNone,
      ),
      'recipients',
    ),
  );
  if (required && out.length === 0) {
    p.error(field, 'must list at least one valid e-mail address', 'recipients');
    return undefined;
  }
  return out;
}

/** The valid, distinct addresses of a list; `bad` hears about each entry that is not one. */
export function validAddresses(list: readonly unknown[], bad: (item: unknown) => void = () => {}): string[] {
  const out: string[] = [];
  for (const item of list) {
    const address = typeof item === 'string' ? item.trim() : '';
    if (typeof item === 'string' && address === '') continue;
    if (!isEmailAddress(address)) {
      bad(item);
      continue;
    }
    if (!out.some((a) => a.toLowerCase() === address.toLowerCase())) out.push(address);
  }
  return out;
}

function parseTiming(p: Problems, field: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) {
    p.error(field, `must be a duration such as 30s, 5m, 4h or 1d, not ${describe(value)}`);
    return undefined;
  }
  if (ms < min || ms > max) {
    p.error(field, `must be between ${formatDuration(min)} and ${formatDuration(max)}`);
    return undefined;
  }
  return ms;
}

export function parseSeverity(p: Problems, field: string, value: unknown): Severity | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  p.error(field, `must be one of ${SEVERITIES.join(', ')}, not ${describe(value)}`);
  return undefined;
}

export function parseBoolean(p: Problems, field: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  p.error(field, `must be true or false, not ${describe(value)}`);
  return undefined;
}

export function parseGroupBy(p: Problems, field: string, value: unknown): GroupLabel[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((l) => typeof l === 'string' && (GROUP_LABELS as readonly string[]).includes(l))) {
    p.error(field, `must be a list of ${GROUP_LABELS.join(', ')} (for example [agent] or [agent, folder]), not ${describe(value)}`);
    return undefined;
  }
  return [...new Set(list as GroupLabel[])];
}

export function parseMatchers(p: Problems, field: string, value: unknown): Matchers | undefined {
  if (value === undefined || value === null) return {};
  if (!isMap(value)) {
    p.error(field, `must be a section of ${MATCHER_LABELS.join(', ')} patterns (* matches anything), not ${describe(value)}`);
    return undefined;
  }
  const matchers: Matchers = {};
  let ok = true;
  // An unknown label (a typo such as "agnet") is an error, never "match everything".
  const known = entries(p, field, value, MATCHER_LABELS, (key, close) => {
    p.error(`${field}.${key}`, `is not a label to match on (${MATCHER_LABELS.join(', ')}).${close ? ` Did you mean ${close}?` : ''} It is not used until this is fixed`);
    ok = false;
  });
  for (const [key, v] of known) {
    if (typeof v !== 'string' || v.length === 0 || v.length > 1024 || hasControlCharacters(v)) {
      p.error(`${field}.${key}`, 'must be a non-empty pattern of one line (* matches any text, ? one character)');
      ok = false;
      continue;
    }
    matchers[key as keyof Matchers] = v;
  }
  return ok ? matchers : undefined;
}

export function parseTimeOfDay(p: Problems, field: string, value: unknown): { time: string; hour: number; minute: number } | undefined {
  if (value === undefined || value === null) return undefined;
  const m = typeof value === 'string' ? /^(\d{1,2}):(\d{2})$/.exec(value.trim()) : null;
  const hour = m ? Number(m[1]) : NaN;
  const minute = m ? Number(m[2]) : NaN;
  if (!m || hour > 23 || minute > 59) {
    p.error(field, `must be a time of day HH:MM such as "08:00" (quote it in YAML), not ${describe(value)}`);
    return undefined;
  }
  return { time: `${String(hour).padStart(2, '0')}:${m[2]}`, hour, minute };
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function parseTimestamp(p: Problems, field: string, value: unknown): number | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  const ms = typeof value === 'string' && /\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    p.error(field, `must be a date-time such as 2025-07-01T18:00:00Z, not ${describe(value)}`);
    return undefined;
  }
  return ms;
}

export function parseTimings(p: Problems, prefix: string, raw: Map<string, unknown>, base: Timings): Timings {
  const at = (name: string) => (prefix === '' ? name : `${prefix}.${name}`);
  const timings: Timings = {
    groupWaitMs: parseTiming(p, at('group_wait'), raw.get('group_wait'), 0, 60 * 60_000) ?? base.groupWaitMs,
    groupIntervalMs: parseTiming(p, at('group_interval'), raw.get('group_interval'), 1000, 24 * 60 * 60_000) ?? base.groupIntervalMs,
    repeatIntervalMs:
      parseTiming(p, at('repeat_interval'), raw.get('repeat_interval'), 60_000, 30 * 24 * 60 * 60_000) ?? base.repeatIntervalMs,
  };
  if (timings.repeatIntervalMs < timings.groupIntervalMs) {
    p.error(
      at('repeat_interval'),
      `(${formatDuration(timings.repeatIntervalMs)}) must not be shorter than group_interval (${formatDuration(timings.groupIntervalMs)})`,
    );
    timings.repeatIntervalMs = timings.groupIntervalMs;
  }
  return timings;
}
