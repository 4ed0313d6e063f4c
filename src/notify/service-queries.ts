import type { HealthNoticeRow, QueueDepth } from './domain.js';
import type { DeliveryAttemptRow, NotificationKind, NotificationRow, NotificationStatus } from '../delivery/index.js';
import type { StoredDiagnosis } from '../diagnose/index.js';
import type { TemplateProblem } from './render.js';
import type { ServiceCore } from './service-core.js';

export interface DeliveryRecord {
  notification: Omit<NotificationRow, 'html' | 'text'> & Partial<Pick<NotificationRow, 'html' | 'text'>>;
  eventIds: number[];
  attempts: DeliveryAttemptRow[];
}

export interface ServiceStatus {
  running: boolean;
  /** True while e-mails wait for `o365-notify login` (or consent, or a new client secret). */
  waitingForSignIn: boolean;
  queue: QueueDepth;
  oldestUndeliveredEvent: { id: number; receivedAt: number } | null;
  lastDelivery: { id: string; subject: string; sentAt: number | null; to: string[] } | null;
  lastError: { notificationId: string; at: number; error: string | null; diagnosis: StoredDiagnosis | null } | null;
  /** The queued e-mail due first and why it waits (a hold of the daily recipient budget: no attempt, the time it goes). */
  nextQueued: { id: string; dueAt: number | null; reason: string | null } | null;
  healthNotices: HealthNoticeRow[];
  templateProblems: TemplateProblem[];
  nextGroupFlushAt: number | null;
}

export interface DeliveryPageRequest {
  limit?: number;
  before?: { createdAt: number; id: string };
  status?: NotificationStatus;
  kind?: NotificationKind;
  includeBodies?: boolean;
}

/** What the service shows: status, delivery history, Prometheus gauges. Reads only. */
export class ServiceQueries {
  constructor(private readonly core: ServiceCore) {}

  async status(): Promise<ServiceStatus> {
    const { store, worker } = this.core;
    const last = await store.outbox.lastSentNotification();
    const problem = await store.outbox.lastProblemAttempt();
    const queue = await store.queueDepth();
    return {
      running: this.core.running(),
      waitingForSignIn: worker.signInBlocked || queue.outbox.waitingSignIn > 0,
      queue,
      oldestUndeliveredEvent: (await store.events.oldestUndeliveredEvent()) ?? null,
      lastDelivery: last ? { id: last.id, subject: last.subject, sentAt: last.sentAt, to: last.to } : null,
      lastError: problem
        ? { notificationId: problem.notificationId, at: problem.finishedAt ?? problem.startedAt, error: problem.error, diagnosis: problem.diagnosis }
        : null,
      nextQueued: (await store.outbox.nextQueued()) ?? null,
      healthNotices: await store.health.listActive(),
      templateProblems: this.core.templates.problems,
      nextGroupFlushAt: await store.groups.nextFlushAt(),
    };
  }

  /** Delivery history, newest first: each e-mail with the events it carried and its attempts. */
  async deliveries(query: DeliveryPageRequest = {}): Promise<DeliveryRecord[]> {
    const { outbox } = this.core.store;
    const pageQuery = { limit: query.limit ?? 50, before: query.before, status: query.status, kind: query.kind };
    // Bodies only when asked for; attempts and events of the whole page in one query each.
    const rows = query.includeBodies ? await outbox.page(pageQuery) : await outbox.pageSummaries(pageQuery);
    const ids = rows.map((n) => n.id);
    const attempts = await outbox.attemptsFor(ids);
    const events = await outbox.eventIdsFor(ids);
    return rows.map((n) => ({ notification: n, eventIds: events.get(n.id) ?? [], attempts: attempts.get(n.id) ?? [] }));
  }

  /** Prometheus text for this service's counters and gauges. */
  async metricsText(): Promise<string> {
    const { store } = this.core;
    const depth = await store.queueDepth();
    const oldest = await store.events.oldestUndeliveredEvent();
    return this.core.metrics.text({
      queueDepth: depth.outbox.queued + depth.outbox.sending + depth.outbox.waitingSignIn,
      undeliveredEvents: depth.undeliveredEvents,
      oldestUndeliveredAgeSeconds: oldest ? Math.max(0, (this.core.clock() - oldest.receivedAt) / 1000) : 0,
      signInBlocked: this.core.worker.signInBlocked,
    });
  }
}
