import type { AlertRepository, GroupRepository } from '../alerts.js';
import type { EventRepository } from '../events.js';
import type { HealthNoticeRepository, MetaRepository } from '../health.js';
import type { OutboxRepository } from '../outbox.js';
import type { RelayRepository } from '../relay.js';
import type { SilenceRepository } from '../silences.js';
import type { PgAlerts, PgGroups } from './alerts.js';
import type { PgEvents } from './events.js';
import type { PgHealthNotices, PgMeta } from './health.js';
import type { PgOutbox } from './outbox.js';
import type { PgRelay } from './relay.js';
import type { PgSilences } from './silences.js';

/**
 * A repository's public methods with their results as promises: what each PostgreSQL repository
 * must offer for the SQLite one it mirrors. The checks below fail to compile when a method is
 * missing or its parameters or result differ, so the two cannot drift apart unnoticed.
 */
export type AsyncMethods<T> = {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/** Compile-time only (never called): PgX is assignable to AsyncMethods<XRepository>. */
export function conformance(pg: {
  events: PgEvents;
  alerts: PgAlerts;
  groups: PgGroups;
  silences: PgSilences;
  outbox: PgOutbox;
  health: PgHealthNotices;
  meta: PgMeta;
  relay: PgRelay;
}): {
  events: AsyncMethods<EventRepository>;
  alerts: AsyncMethods<AlertRepository>;
  groups: AsyncMethods<GroupRepository>;
  silences: AsyncMethods<SilenceRepository>;
  outbox: AsyncMethods<OutboxRepository>;
  health: AsyncMethods<HealthNoticeRepository>;
  meta: AsyncMethods<MetaRepository>;
  relay: AsyncMethods<RelayRepository>;
} {
  return pg;
}
