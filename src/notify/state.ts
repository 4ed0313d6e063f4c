import type { AlertRow, StoredEvent } from './domain.js';
import { SEVERITY_RANK } from './rules.js';

/**
 * Alert state. An alert is one (type, agent, folder, dedupKey); events move it between firing and
 * resolved. Only changes are news: the first firing, the recovery, an escalation to a higher
 * severity, and - while it stays broken - a reminder every repeat_interval. Repeats of what the
 * administrator was already told send nothing.
 */

/** What applying an event did to its alert. */
export type AlertChange = 'started' | 'resolved' | 'escalated' | 'repeated' | 'unchanged';

export function applyEvent(current: AlertRow | undefined, event: StoredEvent, groupKey: string | null): { alert: AlertRow; change: AlertChange } {
  const at = event.occurredAt;
  if (!current) {
    const firing = event.status === 'firing';
    return {
      alert: {
        key: event.alertKey,
        type: event.type,
        agent: event.agent,
        folder: event.folder,
        dedupKey: event.dedupKey,
        severity: event.severity,
        summary: event.summary,
        details: event.details,
        state: event.status,
        firstFiringAt: firing ? at : null,
        resolvedAt: firing ? null : at,
        lastEventAt: at,
        lastEventId: event.id,
        eventCount: 1,
        groupKey,
        lastNotifiedAt: null,
        lastNotifiedState: null,
        lastNotifiedSeverity: null,
      },
      change: firing ? 'started' : 'unchanged',
    };
  }
  const next: AlertRow = {
    ...current,
    lastEventAt: Math.max(current.lastEventAt, at),
    lastEventId: event.id,
    eventCount: current.eventCount + 1,
    groupKey: groupKey ?? current.groupKey,
  };
  // A change older than what the alert already knows (a sender retrying an old event after a newer
  // one got through) must not flip the state back.
  if (event.status !== current.state && at < current.lastEventAt) return { alert: next, change: 'unchanged' };
  if (event.status === 'firing') {
    next.severity = event.severity;
    next.summary = event.summary;
    next.details = event.details;
    if (current.state === 'resolved') {
      return { alert: { ...next, state: 'firing', firstFiringAt: at, resolvedAt: null }, change: 'started' };
    }
    const escalated = SEVERITY_RANK[event.severity] > SEVERITY_RANK[current.severity];
    return { alert: next, change: escalated ? 'escalated' : 'repeated' };
  }
  if (current.state === 'firing') {
    // The recovery keeps the severity it was failing with: "critical, resolved" reads right.
    return { alert: { ...next, state: 'resolved', resolvedAt: at, summary: event.summary, details: event.details }, change: 'resolved' };
  }
  return { alert: next, change: 'unchanged' };
}

/** Why an alert belongs in its group's next e-mail (or `null`: nothing new to say). */
export type NotificationReason = 'new' | 'escalated' | 'resolved' | 'reminder';

/** Whether the administrator has been told the alert's current state (see NotificationReason). */
export function pendingReason(alert: AlertRow): Exclude<NotificationReason, 'reminder'> | null {
  if (alert.state === 'firing') {
    if (alert.lastNotifiedState !== 'firing') return 'new';
    const told = alert.lastNotifiedSeverity ?? alert.severity;
    return SEVERITY_RANK[alert.severity] > SEVERITY_RANK[told] ? 'escalated' : null;
  }
  return alert.lastNotifiedState === 'firing' ? 'resolved' : null;
}

export function notificationReason(alert: AlertRow, now: number, repeatIntervalMs: number): NotificationReason | null {
  const pending = pendingReason(alert);
  if (pending) return pending;
  if (alert.state === 'firing' && alert.lastNotifiedAt !== null && now - alert.lastNotifiedAt >= repeatIntervalMs) {
    return 'reminder';
  }
  return null;
}

/** When a firing alert is next due for a reminder. */
export function reminderDueAt(alert: AlertRow, repeatIntervalMs: number): number | null {
  return alert.state === 'firing' && alert.lastNotifiedState === 'firing' && alert.lastNotifiedAt !== null
    ? alert.lastNotifiedAt + repeatIntervalMs
    : null;
}
