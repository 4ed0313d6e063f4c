import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NotificationKind } from '../delivery/index.js';

/**
 * Counters of the notification service, for GET /metrics. The service keeps its own tallies (read
 * synchronously by `metrics()`); prom-client reads them at scrape time (`collect`) and writes the
 * Prometheus text, so names, HELP, label escaping and the histogram layout come from the library.
 */

const LATENCY_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface NotifyMetricsSnapshot {
  eventsReceived: number;
  submissionsRejected: number;
  emailsQueued: Record<string, number>;
  emailsSent: Record<string, number>;
  emailsFailed: Record<string, number>;
  emailRetries: number;
  graphRequests: number;
}

/** What the store and the worker say at scrape time. */
export interface NotifyGauges {
  queueDepth: number;
  undeliveredEvents: number;
  oldestUndeliveredAgeSeconds: number;
  signInBlocked: boolean;
}

/** A counter whose value is a tally kept elsewhere: set (never decreased) when Prometheus scrapes. */
function tallyCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name, help, registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function labelledTallyCounter(registry: Registry, name: string, help: string, label: string, read: () => Map<string, number>): void {
  new Counter({
    name, help, labelNames: [label], registers: [registry],
    collect() {
      this.reset();
      for (const [value, count] of read()) this.inc({ [label]: value }, count);
    },
  });
}

export class NotifyMetrics {
  eventsReceived = 0;
  submissionsRejected = 0;
  emailRetries = 0;
  /** HTTP requests made to send (every attempt, token refreshes and draft steps included). */
  graphRequests = 0;
  private readonly queued = new Map<string, number>();
  private readonly sent = new Map<string, number>();
  private readonly failed = new Map<string, number>();
  /** One registry per service (not prom-client's global one): two services in a process stay apart. */
  private readonly registry = new Registry();
  private readonly latency: Histogram;
  private readonly gauges: Record<keyof NotifyGauges, Gauge>;

  constructor() {
    const r = this.registry;
    tallyCounter(r, 'o365_notify_events_received_total', 'Events accepted and committed.', () => this.eventsReceived);
    tallyCounter(r, 'o365_notify_submissions_rejected_total', 'Submissions refused as invalid.', () => this.submissionsRejected);
    labelledTallyCounter(r, 'o365_notify_emails_queued_total', 'E-mails put in the outbox, by kind.', 'kind', () => this.queued);
    labelledTallyCounter(r, 'o365_notify_emails_sent_total', 'E-mails accepted by Microsoft Graph, by kind.', 'kind', () => this.sent);
    labelledTallyCounter(r, 'o365_notify_emails_failed_total', 'E-mails that failed for good, by reason.', 'reason', () => this.failed);
    tallyCounter(r, 'o365_notify_email_retries_total', 'Send attempts that will be retried (each is one HTTP attempt: the outbox worker owns every retry).', () => this.emailRetries);
    tallyCounter(r, 'o365_notify_graph_requests_total', 'HTTP requests made to send e-mails (every attempt, token refreshes and draft steps included).', () => this.graphRequests);
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [r] });
    this.gauges = {
      queueDepth: gauge('o365_notify_queue_depth', 'E-mails queued, sending or waiting for a sign-in.'),
      undeliveredEvents: gauge('o365_notify_undelivered_events', 'Events not yet delivered or settled.'),
      oldestUndeliveredAgeSeconds: gauge('o365_notify_oldest_undelivered_event_age_seconds', 'Age of the oldest undelivered event.'),
      signInBlocked: gauge('o365_notify_sign_in_blocked', '1 while e-mails wait for a new sign-in.'),
    };
    this.latency = new Histogram({
      name: 'o365_notify_delivery_latency_seconds',
      help: 'Time to hand one e-mail to Microsoft Graph.',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [r],
    });
  }

  emailQueued(kind: NotificationKind): void {
    this.queued.set(kind, (this.queued.get(kind) ?? 0) + 1);
  }

  emailSent(kind: NotificationKind, latencyMs: number): void {
    this.sent.set(kind, (this.sent.get(kind) ?? 0) + 1);
    this.latency.observe(latencyMs / 1000);
  }

  emailFailed(reason: string): void {
    this.failed.set(reason, (this.failed.get(reason) ?? 0) + 1);
  }

  snapshot(): NotifyMetricsSnapshot {
    return {
      eventsReceived: this.eventsReceived,
      submissionsRejected: this.submissionsRejected,
      emailsQueued: Object.fromEntries(this.queued),
      emailsSent: Object.fromEntries(this.sent),
      emailsFailed: Object.fromEntries(this.failed),
      emailRetries: this.emailRetries,
      graphRequests: this.graphRequests,
    };
  }

  /** The counters plus these gauges (read once per scrape) as Prometheus exposition text. */
  async text(gauges: NotifyGauges): Promise<string> {
    this.gauges.queueDepth.set(gauges.queueDepth);
    this.gauges.undeliveredEvents.set(gauges.undeliveredEvents);
    this.gauges.oldestUndeliveredAgeSeconds.set(gauges.oldestUndeliveredAgeSeconds);
    this.gauges.signInBlocked.set(gauges.signInBlocked ? 1 : 0);
    return this.registry.metrics();
  }
}
