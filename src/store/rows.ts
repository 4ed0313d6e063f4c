/**
 * The shapes the store reads and writes. They are the domain's: events, alerts, groups,
 * silences and health notices are notify's (src/notify/domain.ts), e-mails, attempts and claims
 * delivery's (src/delivery/outbox-types.ts). Re-exported here so the store's code and its
 * callers name them in one place.
 */
import type { StoredDiagnosis } from '../diagnose/index.js';

export * from '../notify/domain.js';
export {
  NOTIFICATION_STATUSES,
  type AttemptResult,
  type DeliveryAttemptRow,
  type Importance,
  type NewNotification,
  type NotificationKind,
  type NotificationRow,
  type NotificationStatus,
} from '../delivery/outbox-types.js';

/** What a failed delivery tells the administrator: src/diagnose's one Diagnosis type, as kept. */
export type { StoredDiagnosis };
