import type { Problem } from '../config/index.js';
import { isEmailAddress, NOBODY_IS_EMAILED } from '../shared/index.js';
import { DEFAULT_GROUP_BY, DEFAULT_TIMINGS, defaultNotificationRules, type NotificationRules } from './rules-model.js';
import { Problems, describe, entries, isMap, parseGroupBy, parseRecipients, parseSeverity, parseTimings, validAddresses } from './rules-fields.js';
import { TOP_KEYS, parseDailyReport, parseEvents, parseRoutes, parseSilences } from './rules-sections.js';

/**
 * The `notifications:` section of settings.yaml. src/config keeps it as an unknown section; this
 * module validates it from the plain object. Names follow Alertmanager (`group_by`, `group_wait`,
 * ...); the camelCase spellings the rest of settings.yaml uses (`groupBy`, `groupWait`) work too.
 */
// The parsed rules' types, defaults and lookups are in rules-model.ts; field and section parsers in
// rules-fields.ts and rules-sections.ts. Everything stays importable from here.
export * from './rules-model.js';

/** A plain e-mail address: the product's one validator (src/shared/email.ts). */
export { isEmailAddress };

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
