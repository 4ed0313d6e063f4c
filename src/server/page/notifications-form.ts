import type { Problem, Settings } from '../../config/index.js';
import {
  catalogEntries,
  DEFAULT_DAILY_REPORT_TIME,
  DEFAULT_GROUP_BY,
  DEFAULT_TIMINGS,
  formatDuration,
  GROUP_LABELS,
  NOTIFICATIONS_SECTION,
  parseNotificationRules,
  settingsProblems,
  type GroupLabel,
  type NotificationRules,
} from '../../notify/index.js';
import { SEVERITIES, type Severity } from '../../store/index.js';

/**
 * The Notifications form over the `notifications:` section of settings.yaml (the same file and
 * section the CLI and the service read). Only the keys the form shows are rewritten; routing rules,
 * silences written in the file, custom event types and anything unknown stay as they are.
 */

type Section = Record<string, unknown>;

/** Where the Recipients field is saved: `notifications.recipients` when the file has it, else `mail.to`. */
export type RecipientsField = 'mail.to' | 'notifications.recipients';

export interface NotificationsFormValues {
  recipientsField: RecipientsField;
  recipients: string;
  adminRecipients: string;
  minSeverity: Severity | '';
  groupBy: GroupLabel[];
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  /** Per ImageManager event type: enabled, and its own minimum severity ('' = the general one). */
  events: { id: string; title: string; kind: 'alert' | 'report'; enabled: boolean; minSeverity: Severity | '' }[];
  dailyReportEnabled: boolean;
  dailyReportTime: string;
  dailyReportTimeZone: string;
}

function isMap(value: unknown): value is Section {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`).replace(/-/g, '_');
}

/** The value under `name` in any spelling (group_wait, groupWait). */
function get(section: Section, name: string): unknown {
  const key = Object.keys(section).find((k) => snake(k) === name);
  return key === undefined ? undefined : section[key];
}

/** Sets `name` in snake_case, removing other spellings; undefined removes it. */
function put(section: Section, name: string, value: unknown): void {
  for (const key of Object.keys(section)) if (snake(key) === name) delete section[key];
  if (value !== undefined) section[name] = value;
}

function sectionOf(settings: Settings): Section {
  const section = settings.otherSections[NOTIFICATIONS_SECTION];
  return isMap(section) ? section : {};
}

export function parseRules(settings: Settings, now?: number): { rules: NotificationRules; problems: Problem[] } {
  return parseNotificationRules(settings.otherSections[NOTIFICATIONS_SECTION], { defaultRecipients: settings.mail.to, now });
}

function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

function durationText(value: unknown, fallbackMs: number): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : formatDuration(fallbackMs);
}

/** What the form shows for the current settings. */
export function notificationsFormValues(settings: Settings): NotificationsFormValues {
  const section = sectionOf(settings);
  const { rules } = parseRules(settings);
  const recipientsField: RecipientsField = get(section, 'recipients') !== undefined ? 'notifications.recipients' : 'mail.to';
  const minSeverity = get(section, 'min_severity');
  const rawEvents = isMap(get(section, 'events')) ? (get(section, 'events') as Section) : {};
  const report = get(section, 'daily_report');
  return {
    recipientsField,
    recipients: (recipientsField === 'mail.to' ? settings.mail.to : rules.recipients).join(', '),
    adminRecipients: get(section, 'admin_recipients') !== undefined ? rules.adminRecipients.join(', ') : '',
    minSeverity: isSeverity(minSeverity) ? minSeverity : '',
    groupBy: [...rules.defaultRoute.groupBy],
    groupWait: durationText(get(section, 'group_wait'), rules.defaultRoute.groupWaitMs),
    groupInterval: durationText(get(section, 'group_interval'), rules.defaultRoute.groupIntervalMs),
    repeatInterval: durationText(get(section, 'repeat_interval'), rules.defaultRoute.repeatIntervalMs),
    events: catalogEntries().map((info) => {
      const own = rawEvents[info.id];
      const ownSeverity = isMap(own) ? get(own, 'min_severity') : undefined;
      const rule = rules.events[info.id] ?? rules.defaultEventRule;
      return { id: info.id, title: info.title, kind: info.kind, enabled: rule.enabled, minSeverity: isSeverity(ownSeverity) ? ownSeverity : '' };
    }),
    dailyReportEnabled: rules.dailyReport.enabled,
    dailyReportTime: isMap(report) && typeof get(report, 'time') === 'string' ? (get(report, 'time') as string) : rules.dailyReport.time,
    dailyReportTimeZone: rules.dailyReport.timeZone ?? '',
  };
}

function field(body: Section, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim() : '';
}

function checked(body: Section, name: string): boolean {
  const value = body[name];
  return value === true || value === 'on' || value === 'true';
}

function list(text: string): string[] {
  return text
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function values(body: Section, name: string): string[] {
  const value = body[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/**
 * Applies the posted form to a copy of the settings. Returns the new settings and every problem
 * with them in the notification and mail settings (errors mean: do not save).
 */
export function applyNotificationsForm(settings: Settings, body: unknown): { settings: Settings; problems: Problem[] } {
  const form = isMap(body) ? body : {};
  const next = structuredClone(settings);
  const section: Section = structuredClone(sectionOf(settings));

  const recipients = list(field(form, 'recipients'));
  if (get(section, 'recipients') !== undefined) put(section, 'recipients', recipients);
  else next.mail.to = recipients;
  const admin = list(field(form, 'adminRecipients'));
  put(section, 'admin_recipients', admin.length > 0 ? admin : undefined);

  const minSeverity = field(form, 'minSeverity');
  put(section, 'min_severity', minSeverity === '' ? undefined : minSeverity);
  const groupBy = values(form, 'groupBy');
  const sameAsDefault = groupBy.length === DEFAULT_GROUP_BY.length && groupBy.every((g) => DEFAULT_GROUP_BY.includes(g as GroupLabel));
  put(section, 'group_by', sameAsDefault && get(section, 'group_by') === undefined ? undefined : groupBy.filter((g) => (GROUP_LABELS as readonly string[]).includes(g)));
  const timing = (name: string, formName: string, defaultMs: number) => {
    const text = field(form, formName);
    const unchanged = text === formatDuration(defaultMs) && get(section, name) === undefined;
    put(section, name, text === '' || unchanged ? undefined : text);
  };
  timing('group_wait', 'groupWait', DEFAULT_TIMINGS.groupWaitMs);
  timing('group_interval', 'groupInterval', DEFAULT_TIMINGS.groupIntervalMs);
  timing('repeat_interval', 'repeatInterval', DEFAULT_TIMINGS.repeatIntervalMs);

  const events: Section = isMap(get(section, 'events')) ? { ...(get(section, 'events') as Section) } : {};
  for (const info of catalogEntries()) {
    const enabled = checked(form, `event.${info.id}.enabled`);
    const severity = field(form, `event.${info.id}.minSeverity`);
    if (enabled && severity === '') delete events[info.id];
    else events[info.id] = enabled ? { min_severity: severity } : false;
  }
  put(section, 'events', Object.keys(events).length > 0 ? events : undefined);

  const report: Section = isMap(get(section, 'daily_report')) ? { ...(get(section, 'daily_report') as Section) } : {};
  put(report, 'enabled', checked(form, 'dailyReportEnabled'));
  const time = field(form, 'dailyReportTime');
  put(report, 'time', time === '' || (time === DEFAULT_DAILY_REPORT_TIME && get(report, 'time') === undefined) ? undefined : time);
  for (const key of Object.keys(report)) if (snake(key) === 'time_zone') delete report[key];
  const zone = field(form, 'dailyReportTimeZone');
  put(report, 'timezone', zone === '' ? undefined : zone);
  put(section, 'daily_report', report);

  next.otherSections = { ...next.otherSections, [NOTIFICATIONS_SECTION]: section };
  // The same check as `config check` (mail.* and notifications.* are what this form changes).
  const problems = settingsProblems(next).filter((p) => p.field.startsWith('mail.') || p.field.startsWith(`${NOTIFICATIONS_SECTION}.`));
  return { settings: next, problems };
}
