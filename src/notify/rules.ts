import type { Problem } from '../config/index.js';
import { badRecipientMessage, cleanText, emailAddressProblem, hasControlCharacters, isEmailAddress, NOBODY_IS_EMAILED } from '../shared/index.js';
import { SEVERITIES, type Severity } from '../store/index.js';
import { CUSTOM_TYPE_PATTERN, IMAGEMANAGER_EVENT_TYPES, isCatalogType } from './catalog.js';
import { formatDuration, parseDuration } from './duration.js';
import { MATCHER_LABELS, describeMatchers, matchesAll, type AlertLabels, type Matchers } from './matchers.js';

/**
 * The `notifications:` section of settings.yaml. src/config keeps it as an unknown section; this
 * module validates it from the plain object. Names follow Alertmanager (`group_by`, `group_wait`,
 * ...); the camelCase spellings the rest of settings.yaml uses (`groupBy`, `groupWait`) work too.
 */
export const NOTIFICATIONS_SECTION = 'notifications';

export const GROUP_LABELS = ['type', 'agent', 'folder'] as const;
export type GroupLabel = (typeof GROUP_LABELS)[number];

export interface Timings {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

/** Where an alert's e-mails go and how they are grouped. */
export interface Route extends Timings {
  /** `default`, or the rule's name (`rule-1` ... when unnamed). */
  name: string;
  match: Matchers;
  recipients: string[];
  groupBy: GroupLabel[];
}

export interface EventTypeRule {
  enabled: boolean;
  /** Firing events below this severity send nothing (recoveries of notified alerts always do). */
  minSeverity: Severity;
}

export interface DailyReportSettings {
  enabled: boolean;
  /** HH:MM, local time of `timeZone`. */
  time: string;
  hour: number;
  minute: number;
  /** IANA name; undefined means the server's local time zone. */
  timeZone: string | undefined;
  recipients: string[];
}

/** A silence written in the settings file (the CLI and API add theirs to the store). */
export interface ConfigSilence {
  id: string;
  matchers: Matchers;
  startsAt: number;
  endsAt: number;
  comment: string;
}

export interface NotificationRules {
  /** Default recipients: `notifications.recipients`, else `mail.to`. */
  recipients: string[];
  /** Who gets health warnings (sign-in, secret expiry, consent): `admin_recipients`, else the default recipients. */
  adminRecipients: string[];
  defaultRoute: Route;
  /** First match wins; no match means the default route. */
  routes: Route[];
  /** Per event type (catalog ids and exact custom types). */
  events: Record<string, EventTypeRule>;
  /** For event types without an entry of their own (the `custom.*` entry, or `*`). */
  defaultEventRule: EventTypeRule;
  dailyReport: DailyReportSettings;
  silences: ConfigSilence[];
}

export const DEFAULT_TIMINGS: Timings = {
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 60 * 60_000,
};

export const DEFAULT_GROUP_BY: readonly GroupLabel[] = ['agent'];
export const DEFAULT_DAILY_REPORT_TIME = '08:00';

/** Defaults for ImageManager administrators: every check on, grouped per agent, a report at 08:00. */
export function defaultNotificationRules(defaultRecipients: readonly string[] = []): NotificationRules {
  const recipients = [...defaultRecipients];
  return {
    recipients,
    adminRecipients: recipients,
    defaultRoute: { name: 'default', match: {}, recipients, groupBy: [...DEFAULT_GROUP_BY], ...DEFAULT_TIMINGS },
    routes: [],
    events: {},
    defaultEventRule: { enabled: true, minSeverity: 'info' },
    dailyReport: { enabled: true, time: DEFAULT_DAILY_REPORT_TIME, hour: 8, minute: 0, timeZone: undefined, recipients },
    silences: [],
  };
}

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

export function eventRuleFor(rules: NotificationRules, type: string): EventTypeRule {
  return rules.events[type] ?? rules.defaultEventRule;
}

export function routeFor(rules: NotificationRules, labels: AlertLabels): Route {
  return rules.routes.find((r) => matchesAll(r.match, labels)) ?? rules.defaultRoute;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** A plain e-mail address: the product's one validator (src/shared/email.ts). */
export { isEmailAddress };

type Raw = Record<string, unknown>;

function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`).replace(/-/g, '_');
}

function describe(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a section' : `${JSON.stringify(value)}`;
}

class Problems {
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
function entries(p: Problems, field: string, value: Raw, known: readonly string[], unknown?: (key: string, close: string | undefined) => void): Map<string, unknown> {
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

function parseRecipients(
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
function validAddresses(list: readonly unknown[], bad: (item: unknown) => void = () => {}): string[] {
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

function parseSeverity(p: Problems, field: string, value: unknown): Severity | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  p.error(field, `must be one of ${SEVERITIES.join(', ')}, not ${describe(value)}`);
  return undefined;
}

function parseBoolean(p: Problems, field: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  p.error(field, `must be true or false, not ${describe(value)}`);
  return undefined;
}

function parseGroupBy(p: Problems, field: string, value: unknown): GroupLabel[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((l) => typeof l === 'string' && (GROUP_LABELS as readonly string[]).includes(l))) {
    p.error(field, `must be a list of ${GROUP_LABELS.join(', ')} (for example [agent] or [agent, folder]), not ${describe(value)}`);
    return undefined;
  }
  return [...new Set(list as GroupLabel[])];
}

function parseMatchers(p: Problems, field: string, value: unknown): Matchers | undefined {
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

function parseTimeOfDay(p: Problems, field: string, value: unknown): { time: string; hour: number; minute: number } | undefined {
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

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function parseTimestamp(p: Problems, field: string, value: unknown): number | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  const ms = typeof value === 'string' && /\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    p.error(field, `must be a date-time such as 2025-07-01T18:00:00Z, not ${describe(value)}`);
    return undefined;
  }
  return ms;
}

function parseTimings(p: Problems, prefix: string, raw: Map<string, unknown>, base: Timings): Timings {
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

const TOP_KEYS = [
  'recipients',
  'admin_recipients',
  'group_by',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'min_severity',
  'events',
  'rules',
  'daily_report',
  'silences',
] as const;

function parseEvents(p: Problems, value: unknown, rules: NotificationRules): void {
  if (value === undefined || value === null) return;
  if (!isMap(value)) {
    p.error('events', `must be a section with one entry per event type, not ${describe(value)}`);
    return;
  }
  for (const [type, entry] of Object.entries(value)) {
    const field = `events.${type}`;
    const wildcard = type === 'custom.*' || type === '*';
    if (!wildcard && !isCatalogType(type) && !CUSTOM_TYPE_PATTERN.test(type)) {
      p.error(
        field,
        type.startsWith('imagemanager.')
          ? `is not an ImageManager event type; known types: ${IMAGEMANAGER_EVENT_TYPES.join(', ')}`
          : 'is not an event type: use an ImageManager type (imagemanager.verification_failed, ...), custom.<name> or custom.*',
      );
      continue;
    }
    const base = wildcard ? rules.defaultEventRule : eventRuleFor(rules, type);
    let rule: EventTypeRule | undefined;
    if (typeof entry === 'boolean') rule = { ...base, enabled: entry };
    else if (isMap(entry)) {
      const raw = entries(p, field, entry, ['enabled', 'min_severity']);
      rule = {
        enabled: parseBoolean(p, `${field}.enabled`, raw.get('enabled')) ?? base.enabled,
        minSeverity: parseSeverity(p, `${field}.min_severity`, raw.get('min_severity')) ?? base.minSeverity,
      };
    } else {
      p.error(field, `must be true, false, or a section with enabled and min_severity, not ${describe(entry)}`);
      continue;
    }
    if (wildcard) rules.defaultEventRule = rule;
    else rules.events[type] = rule;
  }
}

function parseRoutes(p: Problems, value: unknown, rules: NotificationRules): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) {
    p.error('rules', `must be a list of rules (each with match and recipients), not ${describe(value)}`);
    return;
  }
  const names = new Set<string>();
  value.forEach((item, index) => {
    const field = `rules[${index}]`;
    if (!isMap(item)) {
      p.error(field, `must be a section with match and recipients, not ${describe(item)}`);
      return;
    }
    const raw = entries(p, field, item, ['name', 'match', 'recipients', 'group_by', 'group_wait', 'group_interval', 'repeat_interval']);
    let name = `rule-${index + 1}`;
    const givenName = raw.get('name');
    if (givenName !== undefined) {
      if (typeof givenName !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/.test(givenName)) {
        p.error(`${field}.name`, 'must be a short name of letters, digits, spaces, ".", "_" or "-"');
        return;
      }
      name = givenName;
    }
    if (names.has(name) || name === 'default') {
      p.error(`${field}.name`, `"${name}" is used by another rule; names must be unique (and not "default")`);
      return;
    }
    names.add(name);
    const match = parseMatchers(p, `${field}.match`, raw.get('match'));
    const recipients = parseRecipients(p, `${field}.recipients`, raw.get('recipients'), { required: true });
    const groupBy = parseGroupBy(p, `${field}.group_by`, raw.get('group_by'));
    const timings = parseTimings(p, field, raw, rules.defaultRoute);
    if (match === undefined || recipients === undefined) return;
    if (Object.keys(match).length === 0) {
      p.warning(`${field}.match`, 'is empty, so this rule takes every event: later rules and the default recipients are never used');
    }
    rules.routes.push({ name, match, recipients, groupBy: groupBy ?? [...rules.defaultRoute.groupBy], ...timings });
  });
}

function parseDailyReport(p: Problems, value: unknown, rules: NotificationRules): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'boolean') {
    rules.dailyReport.enabled = value;
    return;
  }
  if (!isMap(value)) {
    p.error('daily_report', `must be a section with enabled, time, timezone and recipients, not ${describe(value)}`);
    return;
  }
  const raw = entries(p, 'daily_report', value, ['enabled', 'time', 'timezone', 'time_zone', 'recipients']);
  const report = rules.dailyReport;
  report.enabled = parseBoolean(p, 'daily_report.enabled', raw.get('enabled')) ?? report.enabled;
  const time = parseTimeOfDay(p, 'daily_report.time', raw.get('time'));
  if (time) Object.assign(report, time);
  const zone = raw.get('timezone') ?? raw.get('time_zone');
  if (zone !== undefined && zone !== null) {
    if (typeof zone === 'string' && isTimeZone(zone)) report.timeZone = zone;
    else p.error('daily_report.timezone', `must be an IANA time zone such as Europe/London or America/New_York, not ${describe(zone)}`);
  }
  // Like the administrator list: no usable address here means the recipients get the report.
  const listed = parseRecipients(p, 'daily_report.recipients', raw.get('recipients'), { required: false, insteadWhenNone: 'the recipients get the report instead' });
  if (listed !== undefined && listed.length > 0) report.recipients = listed;
}

function parseSilences(p: Problems, value: unknown, rules: NotificationRules, now: number): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) {
    p.error('silences', `must be a list of silences (each with match and ends_at), not ${describe(value)}`);
    return;
  }
  value.forEach((item, index) => {
    const field = `silences[${index}]`;
    if (!isMap(item)) {
      p.error(field, `must be a section with match and ends_at, not ${describe(item)}`);
      return;
    }
    const raw = entries(p, field, item, ['match', 'starts_at', 'ends_at', 'comment']);
    const matchers = parseMatchers(p, `${field}.match`, raw.get('match'));
    if (raw.get('ends_at') === undefined) {
      p.error(`${field}.ends_at`, 'is required: a silence always ends (for example 2025-07-01T18:00:00Z)');
      return;
    }
    const endsAt = parseTimestamp(p, `${field}.ends_at`, raw.get('ends_at'));
    const startsAt = raw.get('starts_at') === undefined ? 0 : parseTimestamp(p, `${field}.starts_at`, raw.get('starts_at'));
    const comment = raw.get('comment');
    if (matchers === undefined || endsAt === undefined || startsAt === undefined) return;
    if (Object.keys(matchers).length === 0) {
      p.error(`${field}.match`, 'must name at least one of type, agent, folder, severity (a silence of everything would hide every alert)');
      return;
    }
    if (endsAt <= now) p.warning(`${field}.ends_at`, `has passed: this silence (${describeMatchers(matchers)}) no longer applies; remove it`);
    rules.silences.push({
      id: `settings-${index + 1}`,
      matchers,
      startsAt,
      endsAt,
      comment: typeof comment === 'string' ? comment.slice(0, 500) : '',
    });
  });
}

export interface ParseRulesOptions {
  /** `mail.to` from the settings: the default recipients when the section names none. */
  defaultRecipients?: readonly string[];
  now?: number;
}

export interface ParsedRules {
  rules: NotificationRules;
  /** In src/config's shape, so `config check` lists them with the other settings problems. */
  problems: Problem[];
}

/**
 * Reads the `notifications:` section (a plain object, as YAML parsed it). Never throws: a value that
 * cannot be used is reported and its default kept, so one typo does not stop every notification.
 */
export function parseNotificationRules(section: unknown, options: ParseRulesOptions = {}): ParsedRules {
  const p = new Problems();
  const now = options.now ?? Date.now();
  // mail.to's bad addresses are reported by checkSettings (src/config); here they are only left out.
  const fallback = validAddresses(options.defaultRecipients ?? []);
  const rules = defaultNotificationRules(fallback);
  if (section !== undefined && section !== null && !isMap(section)) {
    p.error('', `must be a section (recipients:, group_by:, events:, rules:, ...), not ${describe(section)}`);
    return { rules, problems: p.list };
  }
  const raw = entries(p, '', section ?? {}, TOP_KEYS);

  // A list with no usable address falls back to the default recipients (mail.to), if there are any.
  const recipients = parseRecipients(p, 'recipients', raw.get('recipients'), {
    required: false,
    ...(fallback.length > 0 ? { insteadWhenNone: 'the default recipients get the e-mails instead' } : {}),
  });
  if (recipients !== undefined && recipients.length > 0) rules.recipients = recipients;
  rules.adminRecipients =
    parseRecipients(p, 'admin_recipients', raw.get('admin_recipients'), { required: false, insteadWhenNone: 'the recipients get these warnings instead' }) ?? rules.recipients;
  if (rules.adminRecipients.length === 0) rules.adminRecipients = rules.recipients;

  const timings = parseTimings(p, '', raw, DEFAULT_TIMINGS);
  const groupBy = parseGroupBy(p, 'group_by', raw.get('group_by'));
  rules.defaultRoute = { name: 'default', match: {}, recipients: rules.recipients, groupBy: groupBy ?? [...DEFAULT_GROUP_BY], ...timings };
  const minSeverity = parseSeverity(p, 'min_severity', raw.get('min_severity'));
  if (minSeverity) rules.defaultEventRule = { ...rules.defaultEventRule, minSeverity };
  rules.dailyReport.recipients = rules.recipients;

  parseEvents(p, raw.get('events'), rules);
  parseRoutes(p, raw.get('rules'), rules);
  parseDailyReport(p, raw.get('daily_report'), rules);
  parseSilences(p, raw.get('silences'), rules, now);

  // "Nobody is e-mailed" is said once: by the bad address that left the list empty, if one did.
  const saidNobody = p.list.some((problem) => problem.message.endsWith(`${NOBODY_IS_EMAILED}.`)) || (fallback.length === 0 && (options.defaultRecipients ?? []).length > 0);
  if (rules.recipients.length === 0 && !saidNobody) {
    p.warning(
      'recipients',
      rules.routes.length > 0
        ? 'no default recipients: events that match no rule are recorded but not e-mailed. Set notifications.recipients or mail.to (`o365-notify setup --to ...`).'
        : 'no recipients: events are recorded but nobody is e-mailed. Set notifications.recipients or mail.to (`o365-notify setup --to ...`).',
      'recipients',
    );
  }
  return { rules, problems: p.list };
}

/** A commented example of the section, for the README and `setup`. */
export const NOTIFICATIONS_EXAMPLE = `notifications:
  recipients: [backup-admins@contoso.com]   # default: mail.to
  admin_recipients: [it@contoso.com]        # sign-in and secret warnings; default: recipients
  group_by: [agent]                         # one e-mail per agent (type, agent, folder)
  group_wait: 30s                           # wait for related events before the first e-mail
  group_interval: 5m                        # at most one e-mail per group in this time
  repeat_interval: 4h                       # reminder while something stays broken
  events:
    imagemanager.inactive_folder: { min_severity: warning }
    imagemanager.images_in_store_root: false
    custom.*: { enabled: true }
  rules:                                    # first match wins; * matches anything
    - name: london
      match: { agent: "LON-*" }
      recipients: [london-it@contoso.com]
  daily_report:
    enabled: true
    time: "08:00"                           # server's local time, or set timezone
    timezone: Europe/London
  silences:
    - match: { agent: SRV-OLD }
      ends_at: 2025-07-01T18:00:00Z
      comment: decommissioning
`;
