import type { StoredDiagnosis } from '../diagnose/index.js';
import type { OutboxCounts } from '../delivery/outbox-types.js';
import type { HealthNoticeKind } from './health.js';

/**
 * The notification domain's records: events, alerts, groups, silences, health notices. notify
 * owns them; a store (SQLite today, PostgreSQL next) keeps them as they are (src/store/rows.ts
 * re-exports them). Times are milliseconds since the epoch (UTC); JSON columns are objects here.
 * A light entry (eslint-rules/layers.js LIGHT_ENTRIES): types and constants only, so a store
 * loads none of notify's code with them (and the intake's one refusal, StoreSaturatedError).
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const EVENT_STATUSES = ['firing', 'resolved'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Where an event stands; `null` until the route/state stage has seen it. */
export const EVENT_OUTCOMES = [
  /** Changed an alert's state; waits for its group's next e-mail. */
  'pending',
  /** Carried by an e-mail in the outbox that is not sent yet. */
  'queued',
  /** Carried by an e-mail that was sent. */
  'notified',
  /** Carried by an e-mail that failed permanently. */
  'failed',
  /** Repeated what its alert already said (still firing, already resolved): no e-mail of its own. */
  'unchanged',
  /** Its state change was undone before its group's e-mail (fired and resolved within the wait). */
  'superseded',
  /** Its event type is disabled in the rules. */
  'disabled',
  /** Below the minimum severity of its event type. */
  'below-severity',
  /** Matched a silence when its group's e-mail went out. */
  'silenced',
  /** No recipient is configured for it. */
  'no-recipients',
  /** An informational report (imagemanager.daily_report): shown in the next daily status report. */
  'report',
] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

/** An event ready to be stored: validated, with its alert key computed. */
export interface NewEvent {
  receivedAt: number;
  type: string;
  severity: Severity;
  status: EventStatus;
  agent: string;
  folder: string;
  summary: string;
  details: Record<string, unknown>;
  occurredAt: number;
  dedupKey: string;
  alertKey: string;
}

export interface StoredEvent extends NewEvent {
  id: number;
  groupKey: string | null;
  outcome: EventOutcome | null;
}

export type AlertState = 'firing' | 'resolved';

export interface AlertRow {
  key: string;
  type: string;
  agent: string;
  folder: string;
  dedupKey: string;
  severity: Severity;
  summary: string;
  details: Record<string, unknown>;
  state: AlertState;
  firstFiringAt: number | null;
  resolvedAt: number | null;
  lastEventAt: number;
  lastEventId: number;
  eventCount: number;
  groupKey: string | null;
  lastNotifiedAt: number | null;
  lastNotifiedState: AlertState | null;
  lastNotifiedSeverity: Severity | null;
}

export interface GroupRow {
  key: string;
  route: string;
  labels: Record<string, string>;
  recipients: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  nextFlushAt: number | null;
  lastFlushAt: number | null;
  createdAt: number;
}

export interface SilenceMatchers {
  type?: string;
  agent?: string;
  folder?: string;
  severity?: string;
}

export interface SilenceRow {
  id: string;
  matchers: SilenceMatchers;
  startsAt: number;
  endsAt: number;
  comment: string;
  createdBy: string;
  createdAt: number;
  removedAt: number | null;
}

export interface HealthNoticeRow {
  kind: HealthNoticeKind;
  subject: string;
  threshold: string;
  message: string;
  diagnosis: StoredDiagnosis | null;
  firstSeenAt: number;
  lastSeenAt: number;
  notificationId: string | null;
  resolvedAt: number | null;
}

/** Events of one type, severity and status in a time window (the daily report). */
export interface EventCounts {
  type: string;
  severity: Severity;
  status: EventStatus;
  count: number;
}

/** A health notice as recorded: one row per (kind, subject, threshold). */
export interface HealthNoticeInput {
  kind: HealthNoticeKind;
  subject: string;
  threshold: string;
  message: string;
  diagnosis?: StoredDiagnosis | null;
}

export interface QueueDepth {
  /** Events received and not yet carried by a sent (or permanently failed) e-mail, nor settled without one. */
  undeliveredEvents: number;
  outbox: OutboxCounts;
}


/** Undelivered events the intake holds before it refuses new ones (backpressure: 429, not silent loss). */
export const DEFAULT_MAX_UNDELIVERED_EVENTS = 100_000;

/** The store holds as many undelivered events as it is allowed to: answer 429, try again later. */
export class StoreSaturatedError extends Error {
  readonly undelivered: number;
  readonly limit: number;
  /** A hint for Retry-After. */
  readonly retryAfterSeconds: number;

  constructor(undelivered: number, limit: number, retryAfterSeconds = 30) {
    super(
      `The notification store already holds ${undelivered} undelivered events (limit ${limit}); ` +
        'new events are refused until e-mails go out. Check `o365-notify status` for why delivery is held up ' +
        '(for example a sign-in that needs `o365-notify login`), or raise the limit.',
    );
    this.name = 'StoreSaturatedError';
    this.undelivered = undelivered;
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
