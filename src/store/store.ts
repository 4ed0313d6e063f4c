import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AlertRepository, GroupRepository } from './alerts.js';
import { BACKSTOP_FRAMES, Checkpointer } from './checkpointer.js';
import { EventRepository } from './events.js';
import { HealthNoticeRepository, MetaRepository } from './health.js';
import { LATEST_SCHEMA_VERSION, migrate } from './migrations.js';
import { OutboxRepository } from './outbox.js';
import { RelayRepository } from './relay.js';
import type { NewEvent, QueueDepth } from './rows.js';
import { SilenceRepository } from './silences.js';

/**
 * How hard a commit is pushed to disk.
 *
 * - `power-loss` (default, `synchronous=FULL`): every commit fsyncs the WAL before it returns, so an
 *   acknowledged event survives a process crash, an OS crash and a power cut.
 * - `process-crash` (`synchronous=NORMAL`): a commit is written into the WAL (a write() into the
 *   kernel's page cache) but fsynced only at checkpoints. `kill -9` cannot lose it - the kernel still
 *   holds the data - but a power cut or OS crash can roll back the last transactions (the database
 *   stays consistent).
 *
 * The store itself defaults to FULL. The service follows the setting `service.durability`, whose
 * default is `process-crash`: the crash the product promises to survive is the service dying at
 * any point (kill -9, an exception), which NORMAL covers, and a host that loses power loses the
 * ImageManager beside it too. FULL costs an fsync per commit, which group commit (group-commit.ts)
 * shares among the events that arrived together; measured, it halves the intake rate.
 */
export type Durability = 'power-loss' | 'process-crash';

export interface StoreOptions {
  durability?: Durability;
  /** How long a write waits for another process holding the write lock (the CLI writing directly). */
  busyTimeoutMs?: number;
  /** Called with every statement run, parameters filled in (tests check the query plans of hot paths). */
  trace?: (sql: string) => void;
  /**
   * WAL checkpoints (and their fsyncs) in a worker thread instead of inside a commit on the
   * event loop (checkpointer.ts). For the long-running service; one-shot commands need none.
   */
  backgroundCheckpoints?: boolean;
}

export interface IntegrityReport {
  ok: boolean;
  /** `PRAGMA integrity_check` and `PRAGMA foreign_key_check` findings; empty when ok. */
  problems: string[];
}

export type { QueueDepth };

export const STORE_FILE_NAME = 'o365-notify.db';

export function storePath(home: string): string {
  return path.join(home, STORE_FILE_NAME);
}

/**
 * The SQLite store: one connection, the only writer in the process (better-sqlite3 runs every
 * statement synchronously on the event loop, so writes never interleave). WAL mode lets readers
 * (the CLI's `status`, a second connection in tests) read while the service writes.
 */
export class Store {
  readonly db: Database.Database;
  readonly file: string;
  readonly events: EventRepository;
  readonly alerts: AlertRepository;
  readonly groups: GroupRepository;
  readonly silences: SilenceRepository;
  readonly outbox: OutboxRepository;
  readonly health: HealthNoticeRepository;
  readonly meta: MetaRepository;
  /** The SMTP relay's messages and users (src/store/relay.ts). */
  readonly relay: RelayRepository;
  readonly durability: Durability;
  /** Set with `backgroundCheckpoints` while its worker runs. */
  readonly checkpointer: Checkpointer | undefined;
  private closed = false;

  constructor(file: string, options: StoreOptions = {}) {
    this.file = file;
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    this.db = new Database(file, options.trace ? { verbose: (sql) => options.trace!(String(sql)) } : undefined);
    // Event texts and addresses are nobody else's business; SQLite gives the -wal/-shm files the same mode.
    if (file !== ':memory:' && process.platform !== 'win32') fs.chmodSync(file, 0o600);
    this.durability = options.durability ?? 'power-loss';
    try {
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      const mode = this.db.pragma('journal_mode = WAL', { simple: true });
      if (file !== ':memory:' && String(mode).toLowerCase() !== 'wal') {
        throw new Error(`SQLite refused WAL mode for ${file} (journal_mode is ${String(mode)}).`);
      }
      this.db.pragma(`synchronous = ${this.durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('foreign_keys = ON');
      migrate(this.db, file);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.events = new EventRepository(this.db);
    this.alerts = new AlertRepository(this.db);
    this.groups = new GroupRepository(this.db);
    this.silences = new SilenceRepository(this.db);
    this.outbox = new OutboxRepository(this.db);
    this.health = new HealthNoticeRepository(this.db);
    this.meta = new MetaRepository(this.db);
    this.relay = new RelayRepository(this.db, this.outbox);
    if (options.backgroundCheckpoints && file !== ':memory:') {
      this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_FRAMES}`);
      const checkpointer = new Checkpointer({ file: path.resolve(file), synchronous: this.durability === 'power-loss' ? 'FULL' : 'NORMAL' });
      // A worker that stopped: SQLite's own checkpoints again.
      checkpointer.onStopped = () => {
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      };
      this.checkpointer = checkpointer;
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  get isOpen(): boolean {
    return !this.closed && this.db.open;
  }

  /**
   * Runs `fn` in one transaction (nested calls join the outer one). The in-memory count of
   * undelivered events is recounted from the table when a transaction rolls back.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (this.db.open) this.events.recount();
      throw err;
    }
  }

  /** Group commit's unit: all the events in one transaction; ids in the same order. */
  appendEvents(events: readonly NewEvent[]): number[] {
    if (events.length === 0) return [];
    return this.transaction(() => this.events.append(events));
  }

  /** What backpressure compares with its limit. */
  undeliveredEvents(): number {
    return this.events.undeliveredCount;
  }

  queueDepth(): QueueDepth {
    return { undeliveredEvents: this.events.undeliveredCount, outbox: this.outbox.countByStatus() };
  }

  integrityCheck(): IntegrityReport {
    const problems: string[] = [];
    for (const row of this.db.pragma('integrity_check') as { integrity_check: string }[]) {
      if (row.integrity_check !== 'ok') problems.push(row.integrity_check);
    }
    for (const row of this.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]) {
      problems.push(`foreign key: ${row.table} row ${row.rowid} points to a missing ${row.parent} row`);
    }
    return { ok: problems.length === 0, problems };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating and migrating as needed) the store at `file`. */
export function openStore(file: string, options: StoreOptions = {}): Store {
  return new Store(file, options);
}

export { LATEST_SCHEMA_VERSION };
