import { EVENT_STATUSES, SEVERITIES, type EventStatus, type NewEvent, type Severity } from '../notify/index.js';
import { withJsonText } from '../shared/index.js';
import { hasControlCharacters } from '../shared/index.js';
import { CUSTOM_TYPE_PREFIX, IMAGEMANAGER_EVENT_TYPES, eventTypeInfo, isCatalogType, isCustomType } from '../notify/index.js';

/** One thing wrong with a submitted event: `path` like `[2].severity` or `details.job.name`. */
export interface FieldError {
  path: string;
  message: string;
}

/** An event that passed validation; `occurredAt` is filled with the receive time when absent. */
export interface ValidEvent {
  type: string;
  severity: Severity;
  status: EventStatus;
  agent: string;
  folder: string;
  summary: string;
  details: Record<string, unknown>;
  occurredAt: number | undefined;
  dedupKey: string;
}

export type ValidationResult = { ok: true; events: ValidEvent[] } | { ok: false; errors: FieldError[] };

export const EVENT_LIMITS = {
  /** Events in one submission (one array). */
  maxEventsPerSubmission: 1000,
  typeLength: 100,
  agentLength: 255,
  /** Windows paths, UNC shares and long-path prefixes included. */
  folderLength: 1024,
  summaryLength: 1000,
  dedupKeyLength: 255,
  /** UTF-8 bytes of `details` as JSON. */
  detailsBytes: 16 * 1024,
  detailsDepth: 8,
  /** Values (objects, arrays, scalars) in `details`. */
  detailsNodes: 2000,
  detailsKeyLength: 200,
  /** Errors reported per submission; the rest are summarised. */
  maxErrors: 100,
  /** occurredAt may be this far ahead of the receive time (clock skew between machines). */
  maxFutureSkewMs: 24 * 60 * 60 * 1000,
  /** Raw request body, for parseEventPayload. */
  maxPayloadBytes: 1024 * 1024,
} as const;

const FIELDS = ['type', 'severity', 'status', 'agent', 'folder', 'summary', 'details', 'occurredAt', 'dedupKey'] as const;

// The product's one control-character rule (src/shared/text.ts): one-line fields (subjects, table
// cells) allow none, and CR/LF there is how header injection starts; `details` strings allow tabs
// and line breaks.
const SINGLE_LINE_FORBIDDEN = { test: (v: string) => hasControlCharacters(v, 'line') };
const MULTI_LINE_FORBIDDEN = { test: (v: string) => hasControlCharacters(v, 'text') };
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// ISO 8601 date-time with a time zone (Z or +hh:mm): without one the instant is ambiguous.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

class Collector {
  readonly errors: FieldError[] = [];
  private dropped = 0;

  add(path: string, message: string): void {
    if (this.errors.length < EVENT_LIMITS.maxErrors) this.errors.push({ path, message });
    else this.dropped++;
  }

  finish(): FieldError[] {
    if (this.dropped > 0) this.errors.push({ path: '', message: `${this.dropped} more errors not listed` });
    return this.errors;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function suggestField(name: string): string {
  const lower = name.toLowerCase().replace(/[-_]/g, '');
  const close = FIELDS.find((f) => f.toLowerCase() === lower || editDistance(f.toLowerCase(), lower) <= 2);
  return close ? ` Did you mean "${close}"?` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** A one-line text field; returns the value, or undefined after recording why not. */
function singleLine(
  c: Collector,
  path: string,
  value: unknown,
  max: number,
  { required }: { required: boolean },
): string | undefined {
  if (value === undefined || value === null) {
    if (required) c.add(path, 'is required');
    return required ? undefined : '';
  }
  if (typeof value !== 'string') {
    c.add(path, `must be a string, not ${describe(value)}`);
    return undefined;
  }
  if (LONE_SURROGATE.test(value)) {
    c.add(path, 'is not valid Unicode (it contains an unpaired surrogate, as invalid UTF-8 can produce)');
    return undefined;
  }
  if (SINGLE_LINE_FORBIDDEN.test(value)) {
    c.add(path, 'must be a single line of text: line breaks and control characters are not allowed');
    return undefined;
  }
  const trimmed = value.trim();
  if (required && trimmed === '') {
    c.add(path, 'must not be empty');
    return undefined;
  }
  if ([...trimmed].length > max) {
    c.add(path, `is too long: at most ${max} characters`);
    return undefined;
  }
  return trimmed;
}

function validateType(c: Collector, path: string, value: unknown): string | undefined {
  const type = singleLine(c, path, value, EVENT_LIMITS.typeLength, { required: true });
  if (type === undefined) return undefined;
  if (isCatalogType(type) || isCustomType(type)) return type;
  if (type.startsWith('imagemanager.')) {
    c.add(path, `"${type}" is not an ImageManager event type; known types: ${IMAGEMANAGER_EVENT_TYPES.join(', ')}`);
  } else if (type.toLowerCase().startsWith(CUSTOM_TYPE_PREFIX)) {
    c.add(path, 'a custom type is "custom." followed by lower-case letters, digits, "_", "-" or "." (at most 63), e.g. custom.nightly_sync_failed');
  } else {
    c.add(path, 'must be an ImageManager event type (imagemanager.verification_failed, ...) or a custom type "custom.<name>"');
  }
  return undefined;
}

function validateEnum<T extends string>(
  c: Collector,
  path: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T | undefined {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  c.add(path, `must be one of ${allowed.join(', ')}`);
  return undefined;
}

/** Milliseconds since the epoch, or undefined after recording why not. */
function validateTime(c: Collector, path: string, value: unknown, now: number): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    c.add(path, `must be an ISO 8601 date-time string such as 2025-06-01T14:03:00Z, not ${describe(value)}`);
    return undefined;
  }
  const m = ISO_8601.exec(value.trim());
  if (!m) {
    c.add(path, 'must be an ISO 8601 date-time with a time zone, such as 2025-06-01T14:03:00Z or 2025-06-01T16:03:00+02:00');
    return undefined;
  }
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const zone = m[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const zh = Number(digits.slice(0, 2));
    const zm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
    if (zh > 23 || zm > 59) offsetMinutes = Number.NaN;
  }
  const dayExists = mo >= 1 && mo <= 12 && d >= 1 && new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d;
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec, millis) - offsetMinutes * 60_000;
  if (!dayExists || h > 23 || mi > 59 || sec > 59 || !Number.isFinite(ms) || y < 2000) {
    c.add(path, 'is not a real date and time (or is before the year 2000)');
    return undefined;
  }
  if (ms > now + EVENT_LIMITS.maxFutureSkewMs) {
    c.add(path, 'is more than a day in the future; check the sending machine\'s clock');
    return undefined;
  }
  return ms;
}

interface DetailsBudget {
  nodes: number;
}

function validateDetailsValue(c: Collector, path: string, value: unknown, depth: number, budget: DetailsBudget): boolean {
  if (++budget.nodes > EVENT_LIMITS.detailsNodes) {
    c.add('details', `has too many values: at most ${EVENT_LIMITS.detailsNodes}`);
    return false;
  }
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return true;
    c.add(path, 'must be a finite number');
    return false;
  }
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) {
      c.add(path, 'is not valid Unicode (it contains an unpaired surrogate, as invalid UTF-8 can produce)');
      return false;
    }
    if (MULTI_LINE_FORBIDDEN.test(value)) {
      c.add(path, 'contains control characters (only tabs and line breaks are allowed)');
      return false;
    }
    return true;
  }
  if (depth >= EVENT_LIMITS.detailsDepth) {
    c.add(path, `is nested too deeply: at most ${EVENT_LIMITS.detailsDepth} levels`);
    return false;
  }
  if (Array.isArray(value)) {
    let ok = true;
    for (let i = 0; i < value.length && ok; i++) ok = validateDetailsValue(c, `${path}[${i}]`, value[i], depth + 1, budget);
    return ok;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      if (key.length > EVENT_LIMITS.detailsKeyLength || LONE_SURROGATE.test(key) || SINGLE_LINE_FORBIDDEN.test(key)) {
        c.add(path, `has a key that is too long or contains control characters or invalid Unicode`);
        return false;
      }
      if (!validateDetailsValue(c, join(path, key), value[key], depth + 1, budget)) return false;
    }
    return true;
  }
  c.add(path, `must be JSON data (string, number, boolean, null, array or object), not ${describe(value)}`);
  return false;
}

function validateDetails(c: Collector, path: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) {
    c.add(path, `must be an object of name/value pairs, not ${describe(value)}`);
    return undefined;
  }
  const before = c.errors.length;
  if (!validateDetailsValue(c, path, value, 0, { nodes: 0 }) || c.errors.length > before) return undefined;
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') > EVENT_LIMITS.detailsBytes) {
    c.add(path, `is too large: at most ${EVENT_LIMITS.detailsBytes / 1024} KB as JSON`);
    return undefined;
  }
  // A fresh copy made of plain data: an own "__proto__" key stays a key, never a prototype. The
  // text is kept with it: the store writes it as it is (the event's one serialisation).
  return withJsonText(JSON.parse(json) as Record<string, unknown>, json);
}

function validateOne(c: Collector, prefix: string, input: unknown, now: number): ValidEvent | undefined {
  if (!isPlainObject(input)) {
    c.add(prefix, `an event must be a JSON object, not ${describe(input)}`);
    return undefined;
  }
  const before = c.errors.length;
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      const shown = key.length > 40 || SINGLE_LINE_FORBIDDEN.test(key) || LONE_SURROGATE.test(key) ? 'this field' : `"${key}"`;
      c.add(join(prefix, SINGLE_LINE_FORBIDDEN.test(key) || LONE_SURROGATE.test(key) ? '?' : key.slice(0, 40)), `${shown} is not an event field.${shown === 'this field' ? '' : suggestField(key)} Fields: ${FIELDS.join(', ')}`);
    }
  }
  const type = validateType(c, join(prefix, 'type'), input.type);
  const severity = validateEnum(
    c,
    join(prefix, 'severity'),
    input.severity,
    SEVERITIES,
    type === undefined ? 'warning' : eventTypeInfo(type).defaultSeverity,
  );
  const status = validateEnum(c, join(prefix, 'status'), input.status, EVENT_STATUSES, 'firing');
  const agent = singleLine(c, join(prefix, 'agent'), input.agent, EVENT_LIMITS.agentLength, { required: false });
  const folder = singleLine(c, join(prefix, 'folder'), input.folder, EVENT_LIMITS.folderLength, { required: false });
  const summary = singleLine(c, join(prefix, 'summary'), input.summary, EVENT_LIMITS.summaryLength, { required: true });
  const dedupKey = singleLine(c, join(prefix, 'dedupKey'), input.dedupKey, EVENT_LIMITS.dedupKeyLength, {
    required: false,
  });
  const occurredAt = validateTime(c, join(prefix, 'occurredAt'), input.occurredAt, now);
  const details = validateDetails(c, join(prefix, 'details'), input.details);
  if (c.errors.length > before) return undefined;
  return {
    type: type!,
    severity: severity!,
    status: status!,
    agent: agent!,
    folder: folder!,
    summary: summary!,
    details: details!,
    occurredAt: occurredAt ?? undefined,
    dedupKey: dedupKey!,
  };
}

/**
 * Validates one event or an array of them (as parsed from JSON, or built by a caller). Never
 * throws: anything unreadable - wrong types, hostile objects, getters that throw - becomes a
 * field error. All events must be valid for the submission to be accepted.
 */
export function validateEvents(input: unknown, now: number = Date.now()): ValidationResult {
  const c = new Collector();
  try {
    const events: ValidEvent[] = [];
    if (Array.isArray(input)) {
      if (input.length === 0) c.add('', 'send at least one event');
      else if (input.length > EVENT_LIMITS.maxEventsPerSubmission) {
        c.add('', `too many events in one submission: at most ${EVENT_LIMITS.maxEventsPerSubmission}`);
      } else {
        for (let i = 0; i < input.length; i++) {
          const e = validateOne(c, `[${i}]`, input[i], now);
          if (e) events.push(e);
        }
      }
    } else {
      const e = validateOne(c, '', input, now);
      if (e) events.push(e);
    }
    const errors = c.finish();
    return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
  } catch {
    return { ok: false, errors: [{ path: '', message: 'the submission could not be read as JSON data' }] };
  }
}

export type PayloadResult = { ok: true; value: unknown } | { ok: false; tooLarge: boolean; errors: FieldError[] };

/**
 * Decodes a raw request body: strict UTF-8 (invalid bytes are an error, not U+FFFD) and JSON.
 * For servers that read the body themselves.
 */
export function parseEventPayload(body: Uint8Array | string, maxBytes: number = EVENT_LIMITS.maxPayloadBytes): PayloadResult {
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
  if (size > maxBytes) {
    return { ok: false, tooLarge: true, errors: [{ path: '', message: `the request body is larger than ${maxBytes} bytes` }] };
  }
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return { ok: false, tooLarge: false, errors: [{ path: '', message: 'the request body is not valid UTF-8' }] };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message.slice(0, 200) : 'unreadable';
    return { ok: false, tooLarge: false, errors: [{ path: '', message: `the request body is not valid JSON (${reason})` }] };
  }
}

/** The identity of the alert an event reports on: (type, agent, folder, dedupKey). */
export function alertKeyOf(e: { type: string; agent: string; folder: string; dedupKey: string }): string {
  return JSON.stringify([e.type, e.agent, e.folder, e.dedupKey]);
}

/** What the store keeps for a valid event received at `receivedAt`. */
export function toNewEvent(e: ValidEvent, receivedAt: number): NewEvent {
  return {
    receivedAt,
    type: e.type,
    severity: e.severity,
    status: e.status,
    agent: e.agent,
    folder: e.folder,
    summary: e.summary,
    details: e.details,
    occurredAt: e.occurredAt ?? receivedAt,
    dedupKey: e.dedupKey,
    alertKey: alertKeyOf(e),
  };
}

/** Thrown by NotificationService.submit for an invalid submission; the API answers 400 with `errors`. */
export class EventValidationError extends Error {
  readonly errors: FieldError[];

  constructor(errors: FieldError[]) {
    super(`The events are not valid: ${errors.slice(0, 5).map((e) => (e.path ? `${e.path} ${e.message}` : e.message)).join('; ')}`);
    this.name = 'EventValidationError';
    this.errors = errors;
  }
}
