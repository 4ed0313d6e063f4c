import fs from 'node:fs';
import { NotificationService, type HealthNoticeKind } from '../notify/index.js';
import { type DeliveryChannel } from '../delivery/index.js';
import { storeLocation, type Settings } from '../config/index.js';
import { loadPostgresStore, openStore, sqliteNotifyStore, type PgRepositories, type QueueDepth, type SentRecipients, type Store } from '../store/index.js';
import { STALE_MS } from './coordination.js';
import type { StoredDiagnosis } from '../diagnose/index.js';
import { serviceRecordPath, serviceStorePath } from './paths.js';
import { readServiceRecord, recordedProcessAlive, type ServiceRecord } from './service-record.js';

/**
 * The store without a running service (the CLI's fallback): SQLite in WAL mode with a busy
 * timeout, so writing next to a service that is starting or stopping is safe; the service routes
 * what was written on its next tick.
 */

const NOT_RUNNING: DeliveryChannel = {
  send: () =>
    Promise.resolve({
      kind: 'retry',
      afterMs: null,
      problem: { message: 'The service is not running; it sends this e-mail when it starts.', statusCode: null, code: 'not-running', diagnosis: null },
      requests: 0,
    }),
};

/** What the CLI says when a service owns the store but does not answer: nothing was written. */
export function storeOwnedMessage(home: string, owner: ServiceRecord): string {
  return (
    `An o365-notify service owns this home's store (process ${owner.pid} on ${owner.hostname}, started ${owner.startedAt || 'at an unknown time'}, ` +
    `recorded at ${owner.url}) but does not answer there, so the CLI leaves the store alone: it never writes the store while a service runs. ` +
    'Check in its log that it is not stopping or hung, pass its address with --url (an HTTPS service with its own certificate: ' +
    'set NODE_EXTRA_CA_CERTS to that certificate), or stop it and run the command again. ' +
    `If no such service runs any more (a home shared with another machine), delete ${serviceRecordPath(home)}.`
  );
}

/** Thrown instead of opening the store behind a running service's back (issue 9.4). */
export class StoreOwnedError extends Error {
  constructor(
    readonly home: string,
    readonly owner: ServiceRecord,
  ) {
    super(storeOwnedMessage(home, owner));
    this.name = 'StoreOwnedError';
  }
}

/**
 * A pipeline on the home's store that never sends (its timers are not started): intake, silences.
 * It has no settings, so it never touches groups (issue 9.3): the running service does that.
 * Refused (StoreOwnedError) while a service process of this home lives (issue 9.4).
 */
export async function withLocalService<T>(home: string, fn: (service: NotificationService) => Promise<T> | T): Promise<T> {
  const record = await readServiceRecord(home);
  if (record && recordedProcessAlive(record)) throw new StoreOwnedError(home, record);
  const store = openStore(serviceStorePath(home));
  try {
    return await fn(new NotificationService({ store: sqliteNotifyStore(store), channel: NOT_RUNNING, groupWork: false }));
  } finally {
    store.close();
  }
}

export interface StoreSummary {
  file: string;
  queue: QueueDepth;
  oldestUndeliveredEvent: { id: number; receivedAt: string } | null;
  lastDelivery: { id: string; subject: string; sentAt: string | null; to: string[] } | null;
  lastError: { notificationId: string; at: string; error: string | null; diagnosis: StoredDiagnosis | null } | null;
  /** The queued e-mail due first and why it waits (a hold of the daily recipient budget says until when). */
  nextQueued: { id: string; dueAt: string | null; reason: string | null } | null;
  healthNotices: { kind: HealthNoticeKind; message: string; since: string; diagnosis: StoredDiagnosis | null }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The recipients the service's outbox sent since a time (the daily recipient budget of a CLI
 * `send`, which sends outside the outbox): read-only use of the home's store, empty when the
 * service never ran here or the store cannot be read (the send then counts only itself).
 */
export function storeRecipientHistory(home: string): (sinceMs: number) => SentRecipients[] {
  return (sinceMs) => {
    const file = serviceStorePath(home);
    if (!fs.existsSync(file)) return [];
    let store: Store | undefined;
    try {
      store = openStore(file);
      return store.outbox.sentRecipientsSince(sinceMs);
    } catch {
      return [];
    } finally {
      store?.close();
    }
  };
}

/** What `status` shows of the notification queue, from either store's repositories (each call awaited). */
async function summarize(file: string, store: Store | PgRepositories, undeliveredEvents: number): Promise<StoreSummary> {
  const oldest = await store.events.oldestUndeliveredEvent();
  const last = await store.outbox.lastSentNotification();
  const problem = await store.outbox.lastProblemAttempt();
  const next = await store.outbox.nextQueued();
  return {
    file,
    queue: { undeliveredEvents, outbox: await store.outbox.countByStatus() },
    oldestUndeliveredEvent: oldest ? { id: oldest.id, receivedAt: iso(oldest.receivedAt) } : null,
    lastDelivery: last ? { id: last.id, subject: last.subject, sentAt: last.sentAt === null ? null : iso(last.sentAt), to: last.to } : null,
    lastError: problem
      ? { notificationId: problem.notificationId, at: iso(problem.finishedAt ?? problem.startedAt), error: problem.error, diagnosis: problem.diagnosis }
      : null,
    nextQueued: next ? { id: next.id, dueAt: next.dueAt === null ? null : iso(next.dueAt), reason: next.reason } : null,
    healthNotices: (await store.health.listActive()).map((n) => ({ kind: n.kind, message: n.message, since: iso(n.firstSeenAt), diagnosis: n.diagnosis })),
  };
}

/** The instances on a PostgreSQL store, as `status` lists them: alive ones and what each holds. */
export interface InstanceSummary {
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: string;
  lastHeartbeat: string;
  /** Job leases held now (group flushes excepted: those are row locks), e.g. daily-report. */
  leases: string[];
  /** Mailbox send slots held now. */
  slots: number;
  holds: Record<string, unknown>;
}

/**
 * What `status` shows of the notification queue; null when the service never ran in this home.
 * On PostgreSQL (store.url) the database's, plus the instances alive on it; read-only (no migration).
 */
export async function readStoreSummary(home: string, settings?: Settings): Promise<(StoreSummary & { instances?: { alive: InstanceSummary[]; gone: number } }) | null> {
  const location = storeLocation(settings?.store);
  if (location.kind === 'postgres') {
    const pgStore = await loadPostgresStore();
    const pool = pgStore.createPgPool(location, { max: 2, applicationName: 'o365-notify status' });
    try {
      const repos = new pgStore.PgRepositories(pool, new pgStore.LocalTally());
      const summary = await summarize(location.display, repos, await repos.events.countUndelivered());
      const registry = new pgStore.InstanceRegistry(pool, { id: 'status', host: '', pid: process.pid, version: '' });
      const { alive, gone } = await registry.list(STALE_MS);
      const instances = alive.map((i) => ({
        id: i.id, host: i.host, pid: i.pid, version: i.version, startedAt: iso(i.startedAt), lastHeartbeat: iso(i.heartbeatAt), leases: i.leases, slots: i.slots, holds: i.holds,
      }));
      return { ...summary, instances: { alive: instances, gone: gone.length } };
    } catch (err) {
      throw new Error(pgStore.describePgError(err, location), { cause: err });
    } finally {
      await pool.end();
    }
  }
  const file = serviceStorePath(home);
  if (!fs.existsSync(file)) return null;
  let store: Store | undefined;
  try {
    store = openStore(file);
    return await summarize(file, store, store.queueDepth().undeliveredEvents);
  } finally {
    store?.close();
  }
}
