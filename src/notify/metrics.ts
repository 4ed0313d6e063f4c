/** Counters of the notification service, for GET /metrics (Prometheus text format). */

const LATENCY_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;

export interface NotifyMetricsSnapshot {
  eventsReceived: number;
  submissionsRejected: number;
  emailsQueued: Record<string, number>;
  emailsSent: Record<string, number>;
  emailsFailed: Record<string, number>;
  emailRetries: number;
  graphRequests: number;
  latency: { buckets: { le: number; count: number }[]; sum: number; count: number };
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
  private readonly bucketCounts = LATENCY_BUCKETS_SECONDS.map(() => 0);
  private latencySum = 0;
  private latencyCount = 0;

  emailQueued(kind: string): void {
    this.queued.set(kind, (this.queued.get(kind) ?? 0) + 1);
  }

  emailSent(kind: string, latencyMs: number): void {
    this.sent.set(kind, (this.sent.get(kind) ?? 0) + 1);
    const seconds = latencyMs / 1000;
    this.latencySum += seconds;
    this.latencyCount++;
    LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
      if (seconds <= le) this.bucketCounts[i]!++;
    });
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
      latency: {
        buckets: LATENCY_BUCKETS_SECONDS.map((le, i) => ({ le, count: this.bucketCounts[i]! })),
        sum: this.latencySum,
        count: this.latencyCount,
      },
    };
  }
}

function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** The snapshot plus gauges as Prometheus exposition text. */
export function formatPrometheus(
  m: NotifyMetricsSnapshot,
  gauges: { queueDepth: number; undeliveredEvents: number; oldestUndeliveredAgeSeconds: number; signInBlocked: boolean },
): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const byLabel = (label: string, values: Record<string, number>): [string, number][] =>
    Object.entries(values).map(([k, v]) => [`{${label}="${labelValue(k)}"}`, v]);
  metric('o365_notify_events_received_total', 'counter', 'Events accepted and committed.', [['', m.eventsReceived]]);
  metric('o365_notify_submissions_rejected_total', 'counter', 'Submissions refused as invalid.', [['', m.submissionsRejected]]);
  metric('o365_notify_emails_queued_total', 'counter', 'E-mails put in the outbox, by kind.', byLabel('kind', m.emailsQueued));
  metric('o365_notify_emails_sent_total', 'counter', 'E-mails accepted by Microsoft Graph, by kind.', byLabel('kind', m.emailsSent));
  metric('o365_notify_emails_failed_total', 'counter', 'E-mails that failed for good, by reason.', byLabel('reason', m.emailsFailed));
  metric('o365_notify_email_retries_total', 'counter', 'Send attempts that will be retried (each is one HTTP attempt: the outbox worker owns every retry).', [['', m.emailRetries]]);
  metric('o365_notify_graph_requests_total', 'counter', 'HTTP requests made to send e-mails (every attempt, token refreshes and draft steps included).', [['', m.graphRequests]]);
  metric('o365_notify_queue_depth', 'gauge', 'E-mails queued, sending or waiting for a sign-in.', [['', gauges.queueDepth]]);
  metric('o365_notify_undelivered_events', 'gauge', 'Events not yet delivered or settled.', [['', gauges.undeliveredEvents]]);
  metric('o365_notify_oldest_undelivered_event_age_seconds', 'gauge', 'Age of the oldest undelivered event.', [['', gauges.oldestUndeliveredAgeSeconds]]);
  metric('o365_notify_sign_in_blocked', 'gauge', '1 while e-mails wait for a new sign-in.', [['', gauges.signInBlocked ? 1 : 0]]);
  lines.push('# HELP o365_notify_delivery_latency_seconds Time to hand one e-mail to Microsoft Graph.');
  lines.push('# TYPE o365_notify_delivery_latency_seconds histogram');
  for (const b of m.latency.buckets) lines.push(`o365_notify_delivery_latency_seconds_bucket{le="${b.le}"} ${b.count}`);
  lines.push(`o365_notify_delivery_latency_seconds_bucket{le="+Inf"} ${m.latency.count}`);
  lines.push(`o365_notify_delivery_latency_seconds_sum ${m.latency.sum}`);
  lines.push(`o365_notify_delivery_latency_seconds_count ${m.latency.count}`);
  return lines.join('\n') + '\n';
}
