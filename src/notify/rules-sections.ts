import { CUSTOM_TYPE_PATTERN, IMAGEMANAGER_EVENT_TYPES, isCatalogType } from './catalog.js';
import { describeMatchers } from './matchers.js';
import { eventRuleFor, type EventTypeRule, type NotificationRules } from './rules-model.js';
import {
  Problems,
  describe,
  entries,
  isMap,
  isTimeZone,
  parseBoolean,
  parseGroupBy,
  parseMatchers,
  parseRecipients,
  parseSeverity,
  parseTimeOfDay,
  parseTimestamp,
  parseTimings,
} from './rules-fields.js';

/** The sub-sections of `notifications:` (events, rules, daily_report, silences), each parsed into the rules. */

export const TOP_KEYS = [
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

export function parseEvents(p: Problems, value: unknown, rules: NotificationRules): void {
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

export function parseRoutes(p: Problems, value: unknown, rules: NotificationRules): void {
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

export function parseDailyReport(p: Problems, value: unknown, rules: NotificationRules): void {
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

export function parseSilences(p: Problems, value: unknown, rules: NotificationRules, now: number): void {
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
