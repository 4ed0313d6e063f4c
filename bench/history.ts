/**
 * Issue 14: cost that stays flat as history grows. The status, the settings page (data gathered
 * and rendered, as a GET / does) and the claim of the next e-mail, each measured on a store
 * holding 1,000, 10,000 and 100,000 e-mails (90 % sent with an attempt and an event each, 1 %
 * failed, 9 % queued), and reported as medians with the ratio to the 1,000 figure.
 *
 * Run alone: `node --import tsx bench/history.ts` (prints the section); `npm run bench` includes it.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DeliveryChannel } from '../src/delivery/index.js';
import { NotificationService } from '../src/notify/service.js';
import { gatherPageData } from '../src/server/page/page-data.js';
import { settingsPage } from '../src/server/page/view-page.js';
import { sqliteNotifyStore, type Store } from '../src/store/index.js';
import { median, printSection, ratioRows, withTempStore } from './history-shape.js';
import type { BenchSection } from './run.js';

const SIZES = [1_000, 10_000, 100_000] as const;
const STATUS_RUNS = 101;
const PAGE_RUNS = 21;
const CLAIM_RUNS = 51;
/** A rendered alert e-mail is a few KB of HTML; the history's bodies are what a scan would drag through. */
const BODY = `<html><body>${'<p>Verification failed for image D:\\Backups\\SRV-FS01\\C_VOL-b001-i0042.spi</p>'.repeat(24)}</body></html>`;

const sentChannel: DeliveryChannel = { send: () => Promise.resolve({ kind: 'sent', messageId: null, requests: 1 }) };

/** Fills the store with `size` e-mails of history in one transaction. */
export function fill(store: Store, size: number, now: number): void {
  const db = store.db;
  const event = db.prepare(
    `INSERT INTO events (received_at, type, severity, status, agent, folder, summary, details, occurred_at, alert_key, group_key, outcome)
     VALUES (?, 'imagemanager.verification_failed', 'critical', 'firing', ?, 'D:\\Backups', 'Verification failed', '{}', ?, ?, ?, ?)`,
  );
  const mail = db.prepare(
    `INSERT INTO notifications (id, kind, group_key, recipients, subject, html, text, status, attempts, next_attempt_at, created_at, sent_at, updated_at)
     VALUES (?, ?, ?, '["it-team@contoso.com"]', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const link = db.prepare('INSERT INTO notification_events (notification_id, event_id) VALUES (?, ?)');
  const attempt = db.prepare(
    'INSERT INTO delivery_attempts (notification_id, attempt, started_at, finished_at, result, status_code, error) VALUES (?, 1, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 0; i < size; i++) {
      const at = now - (size - i) * 1000;
      const kind = i % 10 === 9 ? 'queued' : i % 100 === 50 ? 'failed' : 'sent';
      const agent = `SRV-${i % 500}`;
      const group = `default|{"agent":"${agent}"}`;
      const outcome = kind === 'queued' ? 'queued' : kind === 'failed' ? 'failed' : 'notified';
      const eventId = Number(event.run(at, agent, at, `["imagemanager.verification_failed","${agent}","D:\\\\Backups",""]`, group, outcome).lastInsertRowid);
      const id = randomUUID();
      mail.run(id, i % 1000 === 0 ? 'test' : 'alert', group, `Verification failed on ${agent}`, BODY, 'Verification failed', kind, kind === 'queued' ? 0 : 1, kind === 'queued' ? at : null, at, kind === 'sent' ? at + 500 : null, at + 500);
      link.run(id, eventId);
      if (kind !== 'queued') attempt.run(id, at, at + 500, kind === 'sent' ? 'sent' : 'failed', kind === 'sent' ? 202 : 400, kind === 'sent' ? null : 'ErrorInvalidRecipients');
    }
  })();
  store.events.recount();
}

async function timed(runs: number, fn: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

export interface HistoryFigures {
  size: number;
  statusMs: number;
  pageMs: number;
  claimMs: number;
  fillSeconds: number;
}

function measure(size: number): Promise<HistoryFigures> {
  return withTempStore('history', { durability: 'process-crash' }, async (store, dir) => {
    const now = Date.now();
    const filled = performance.now();
    fill(store, size, now);
    const fillSeconds = (performance.now() - filled) / 1000;
    const service = new NotificationService({ store: sqliteNotifyStore(store), channel: sentChannel, groupWork: false });
    const statusMs = await timed(STATUS_RUNS, () => service.status());
    const home = join(dir, 'home');
    const pageMs = await timed(PAGE_RUNS, async () =>
      settingsPage(await gatherPageData({ home, env: {}, service, store: { eventById: async (id) => store.events.get(id), relay: store.relay }, local: true, pageRedirectUri: 'http://localhost:8025', deviceCode: { state: 'idle' } }), 'csrf'),
    );
    // The worker's step: claim the next due e-mail and record its answer.
    const claimMs = await timed(CLAIM_RUNS, () => {
      const [claimed] = store.outbox.claimDue(Date.now(), 1);
      if (!claimed) throw new Error('the queue ran dry');
      store.outbox.finishAttemptWith(claimed.notification.id, claimed.attemptId, { result: 'sent', at: Date.now() });
    });
    return { size, statusMs, pageMs, claimMs, fillSeconds };
  });
}

export async function runHistoryBench(): Promise<HistoryFigures[]> {
  const out: HistoryFigures[] = [];
  for (const size of SIZES) out.push(await measure(size));
  return out;
}

export async function historySection(): Promise<BenchSection> {
  const figures = await runHistoryBench();
  const rows: BenchSection['rows'] = [];
  const row = (name: string, pick: (f: HistoryFigures) => number) =>
    rows.push(
      ...ratioRows(
        figures,
        (f) => `${name} at ${f.size.toLocaleString('en-US')} e-mails (median)`,
        pick,
        (f, ratio) => `${pick(f).toFixed(3)} ms (${ratio.toFixed(2)}x the 1,000 figure)`,
        { ratio: 2, text: '<= 2x the 1,000 figure' },
      ),
    );
  row('status (GET /api/v1/status: counts, last sent e-mail, last problem)', (f) => f.statusMs);
  row('settings page (data gathered and rendered)', (f) => f.pageMs);
  row('claim + finish of the next e-mail', (f) => f.claimMs);
  return {
    title: 'Cost as history grows (issue 14): status, settings page and claim at 1k / 10k / 100k e-mails',
    rows,
    notes: [
      `History per size: 90 % sent e-mails (${(BODY.length / 1024).toFixed(1)} KB of HTML each, one attempt, one event), 1 % failed, 9 % queued; in-process, SQLite in a temp dir.`,
      `Filling took ${figures.map((f) => `${f.fillSeconds.toFixed(1)} s`).join(' / ')}. Medians of ${STATUS_RUNS} / ${PAGE_RUNS} / ${CLAIM_RUNS} runs; the machine is shared, so figures move between runs.`,
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await historySection());
}
