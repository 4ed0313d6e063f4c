import { hostname } from 'node:os';
import type { RecipientHistory } from '../graph/index.js';
import type { HealthNoticeRow, NotifyStore, StoredEvent } from '../notify/index.js';
import { storeLocation, type Settings } from '../config/index.js';
import { loadPostgresStore, openStore, sqliteNotifyStore, type EventIntakeOptions, type PgLocation, type PgStore, type RelayStore, type SentRecipients, type Store } from '../store/index.js';
import { serviceStorePath } from './paths.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * The store the service runs on (issue 16): the home's SQLite file, or the PostgreSQL database of
 * store.url. Everything the runtime and the page read from it goes through here or the port, so
 * neither needs to know which one it is.
 */
export interface ServiceStore {
  readonly kind: 'sqlite' | 'postgres';
  /** The port the pipeline and the delivery worker use. */
  readonly port: NotifyStore;
  /** The relay's messages and users (every call awaited by src/relay). */
  readonly relay: RelayStore;
  /** The SQLite store (undefined on PostgreSQL). */
  readonly sqlite: Store | undefined;
  /** The PostgreSQL store (undefined on SQLite). */
  readonly pg: PgStore | undefined;
  /** The file, or the URL with its password masked: for logs and status. */
  readonly where: string;
  readonly isOpen: boolean;
  /** What the outbox sent in the last day, for the daily recipient budget (read once at start on PostgreSQL). */
  readonly recipientHistory: RecipientHistory;
  eventById(id: number): Promise<StoredEvent | undefined>;
  activeHealthNotices(): Promise<HealthNoticeRow[]>;
  close(): Promise<void>;
}

/** The database could not be opened: the sentence says what happened and what to change (never the password). */
export class ServiceStoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceStoreUnavailableError';
  }
}

function sqliteBackend(store: Store, intake: EventIntakeOptions | undefined): ServiceStore {
  const port = sqliteNotifyStore(store, { groupCommit: intake });
  return {
    kind: 'sqlite',
    port,
    relay: store.relay,
    sqlite: store,
    pg: undefined,
    where: store.file,
    get isOpen() {
      return store.isOpen;
    },
    recipientHistory: (sinceMs) => store.outbox.sentRecipientsSince(sinceMs),
    eventById: async (id) => store.events.get(id),
    activeHealthNotices: async () => store.health.listActive(),
    close: async () => store.close(),
  };
}

async function pgBackend(location: PgLocation, intake: EventIntakeOptions | undefined): Promise<ServiceStore> {
  const { describePgError, openPgStore } = await loadPostgresStore();
  let store: PgStore;
  try {
    // Migrations run under the schema advisory lock: instances starting together migrate once.
    store = await openPgStore(location, { ...intake, applicationName: `o365-notify ${hostname()} ${process.pid}` });
  } catch (err) {
    throw new ServiceStoreUnavailableError(`The service did not start: ${describePgError(err, location)}`);
  }
  // The recipient budget reads its history once per process (graph/pacing.ts) and synchronously: a day's sends, read now.
  let sent: SentRecipients[] = await store.outbox.sentRecipientsSince(Date.now() - DAY);
  return {
    kind: 'postgres',
    port: store,
    relay: store.relay,
    sqlite: undefined,
    pg: store,
    where: location.display,
    get isOpen() {
      return store.isOpen;
    },
    recipientHistory: (sinceMs) => {
      sent = sent.filter((s) => s.sentAt >= sinceMs);
      return sent;
    },
    eventById: (id) => store.events.get(id),
    activeHealthNotices: () => store.health.listActive(),
    close: () => store.close(),
  };
}

/** Opens the store the settings name: PostgreSQL for a postgres:// store.url, else the home's SQLite file. */
export async function openServiceStore(home: string, settings: Settings, intake?: EventIntakeOptions): Promise<ServiceStore> {
  const location = storeLocation(settings.store);
  if (location.kind === 'postgres') return pgBackend(location, intake);
  return sqliteBackend(openStore(serviceStorePath(home), { durability: settings.service.durability, backgroundCheckpoints: true }), intake);
}
