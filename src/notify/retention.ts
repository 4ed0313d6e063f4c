import type { NotifyStore } from './store-port.js';
import type { NotifyLogger } from '../infra/index.js';

const LAST_PRUNE_META_KEY = 'prune.last_day';
/** Rows of each kind deleted per transaction by the retention. */
const PRUNE_BATCH = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

/** How long history is kept, in milliseconds: sent e-mails and settled events, and those that failed for good. */
export interface RetentionPeriods {
  retentionMs: number;
  failedRetentionMs: number;
}

/** store.retentionDays / failedRetentionDays (defaults 90 and 365 days) as periods. */
export function retentionPeriods(retention: { days?: number; failedDays?: number } = {}): RetentionPeriods {
  return { retentionMs: (retention.days ?? 90) * DAY_MS, failedRetentionMs: (retention.failedDays ?? 365) * DAY_MS };
}

/**
 * Retention: once a day, the history older than the retention is deleted, PRUNE_BATCH rows of
 * each kind per transaction and one transaction per tick, so a long backlog never blocks the
 * event loop; the day counts as done when a batch came back short.
 */
export async function pruneHistory(store: NotifyStore, periods: RetentionPeriods, now: number, logger: NotifyLogger): Promise<void> {
  const day = String(Math.floor(now / DAY_MS));
  if ((await store.meta.get(LAST_PRUNE_META_KEY)) === day) return;
  await store.unitOfWork(async (tx) => {
    const sentBefore = now - periods.retentionMs;
    const failedBefore = now - periods.failedRetentionMs;
    const emails = await tx.outbox.pruneFinished({ sentBefore, failedBefore }, PRUNE_BATCH);
    const events = await tx.events.pruneSettledBefore(sentBefore, failedBefore, PRUNE_BATCH);
    if (emails < PRUNE_BATCH && events < PRUNE_BATCH) await tx.meta.set(LAST_PRUNE_META_KEY, day);
    if (emails + events > 0) logger.info({ emails, events }, 'deleted history older than the retention period (store.retentionDays)');
  });
}
