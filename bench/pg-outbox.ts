/**
 * Issue 16 groundwork: the shared outbox's claim + finish rate on PostgreSQL with 1, 2 and 3
 * instances (each its own pool of 4 connections and 4 workers, as separate processes would be),
 * against one SQLite store in one process. It measures the store only (no Graph, no pacing):
 * whether leased claims with FOR UPDATE SKIP LOCKED let instances share the queue without
 * queueing on each other. The cluster is a throwaway one (test/support/postgres.ts, fsync off).
 *
 * Run alone: `node --import tsx bench/pg-outbox.ts`; `npm run bench` includes it.
 */
import { performance } from 'node:perf_hooks';
import { parseStoreUrl } from '../src/shared/index.js';
import { openStore, type NewNotification } from '../src/store/index.js';
import { createPgPool, migratePg, PgOutbox } from '../src/store/postgres/index.js';
import { tempDir } from '../test/store/helpers.js';
import { startTestPostgres } from '../test/support/postgres.js';
import type { BenchSection } from './run.js';

const ROWS = 3_000;
const WORKERS_PER_INSTANCE = 4;
const BATCH = 4;
const T0 = 1_750_000_000_000;

function notification(i: number): NewNotification {
  return { id: `n${i}`, kind: 'alert', groupKey: 'g', to: ['ops@contoso.com'], cc: [], bcc: [], subject: `s${i}`, html: '<p>x</p>', text: 'x', importance: 'normal', createdAt: T0 + i };
}

async function pgRate(createDatabase: () => Promise<string>, instances: number): Promise<number> {
  const parsed = parseStoreUrl(await createDatabase());
  if (!parsed.ok || parsed.location.kind !== 'postgres') throw new Error('not a postgres URL');
  const location = parsed.location;
  const pools = Array.from({ length: instances }, () => createPgPool(location, { max: WORKERS_PER_INSTANCE }));
  try {
    await migratePg(pools[0]!, location);
    const seed = new PgOutbox(pools[0]!);
    for (let i = 0; i < ROWS; i++) await seed.add(notification(i));
    const started = performance.now();
    await Promise.all(
      pools.flatMap((pool, p) =>
        Array.from({ length: WORKERS_PER_INSTANCE }, async (_, w) => {
          const outbox = new PgOutbox(pool);
          const owner = `bench-${p}/${w}`;
          for (;;) {
            const claimed = await outbox.claimDue(T0 + ROWS, BATCH, { owner, expiresAt: T0 + 3_600_000 });
            if (claimed.length === 0) return;
            for (const c of claimed) await outbox.finishAttemptWith(c.notification.id, c.attemptId, { result: 'sent', at: T0 + ROWS, messageId: c.notification.id });
          }
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const sent = (await seed.countByStatus()).sent;
    if (sent !== ROWS) throw new Error(`${sent} of ${ROWS} sent: a claim was lost or doubled`);
    return ROWS / seconds;
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
}

function sqliteRate(): number {
  const { dir, cleanup } = tempDir('o365-bench-pg-');
  const store = openStore(`${dir}/o365-notify.db`, { durability: 'process-crash' });
  try {
    store.transaction(() => {
      for (let i = 0; i < ROWS; i++) store.outbox.add(notification(i));
    });
    const started = performance.now();
    for (;;) {
      const claimed = store.outbox.claimDue(T0 + ROWS, BATCH, { owner: 'bench/1', expiresAt: T0 + 3_600_000 });
      if (claimed.length === 0) break;
      for (const c of claimed) store.outbox.finishAttemptWith(c.notification.id, c.attemptId, { result: 'sent', at: T0 + ROWS, messageId: c.notification.id });
    }
    return ROWS / ((performance.now() - started) / 1000);
  } finally {
    store.close();
    cleanup();
  }
}

export async function pgOutboxSection(): Promise<BenchSection> {
  const title = `Shared outbox on PostgreSQL (issue 16 groundwork): claim + finish of ${ROWS.toLocaleString('en')} e-mails`;
  const started = await startTestPostgres();
  if (!started.ok) return { title, rows: [], notes: [`Not measured: ${started.reason}`] };
  try {
    const sqlite = sqliteRate();
    const rates: number[] = [];
    for (const instances of [1, 2, 3]) rates.push(await pgRate(() => started.postgres.createDatabase(), instances));
    const rows: BenchSection['rows'] = [['SQLite, 1 process (claim + finish per second)', sqlite.toFixed(0), '', null]];
    rates.forEach((rate, i) => {
      rows.push([`PostgreSQL, ${i + 1} instance(s) x ${WORKERS_PER_INSTANCE} workers (per second)`, `${rate.toFixed(0)} (x${(rate / rates[0]!).toFixed(2)} of 1 instance, x${(rate / sqlite).toFixed(2)} of SQLite)`, '', null]);
    });
    return {
      title,
      rows,
      notes: [
        'Store only: no Graph and no pacing (a mailbox allows 30 e-mails a minute, far below either figure). Every run checks that each e-mail ended sent exactly once. Throwaway cluster with fsync off, on this machine\'s shared cores (2 here, shared with the bench itself: more instances cannot add CPU).',
      ],
    };
  } finally {
    await started.postgres.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await pgOutboxSection();
  console.log(section.title);
  for (const [name, value] of section.rows) console.log(`${name}: ${value}`);
  for (const note of section.notes ?? []) console.log(note);
}
