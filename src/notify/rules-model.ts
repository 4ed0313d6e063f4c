import type { Severity } from './domain.js';
import { matchesAll, type AlertLabels, type Matchers } from './matchers.js';

/** The rules of the `notifications:` section once parsed (rules.ts parses them): types, defaults, lookups. */

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
