/**
 * Issue 14: accepting events must not slow down as undelivered events pile up (an outage: Graph
 * unreachable, e-mails waiting). For 1,000 / 10,000 / 100,000 undelivered events in the store:
 *
 *  - ingest: the rate of one "batch step" as the running service takes it - a submission of 1,000
 *    events validated and committed, then routed (alert state, group timers) by the next tick;
 *  - the group flush round that follows (once per group_interval): every group's unsent e-mail
 *    updated with its news and re-rendered. Its cost follows what each e-mail says (all the
 *    group's alerts), so it is reported, with no flat target.
 *
 * In-process with a fake clock (as bench/history.ts), SQLite in a temp dir with the service's
 * default durability. The backlog is built through the real path (submit + tick), in steps of
 * 1,000 events, so its shape is the one an outage leaves: one unsent e-mail per group carrying
 * the group's events.
 *
 * Run alone: `node --import tsx bench/ingest-history.ts` (BENCH_INGEST_SIZES=1000,100000 picks the
 * backlog sizes); `npm run bench` includes it.
 */
import { performance } from 'node:perf_hooks';
import type { DeliveryChannel } from '../src/delivery/index.js';
import { parseNotificationRules } from '../src/notify/rules.js';
import { NotificationService } from '../src/notify/service.js';
import { sqliteNotifyStore, type Store } from '../src/store/index.js';
import { median, printSection, ratioRows, withTempStore } from './history-shape.js';
import type { BenchSection } from './run.js';

const SIZES: readonly number[] = process.env.BENCH_INGEST_SIZES ? process.env.BENCH_INGEST_SIZES.split(",").map(Number) : [1_000, 10_000, 100_000];
const STEP_EVENTS = 1_000;
const MEASURED_STEPS = 7;
const FLUSH_ROUNDS = 3;
const AGENTS = 200;
const MINUTE = 60_000;

/** Graph unreachable: every attempt is answered "try again later". */
const outage: DeliveryChannel = {
  send: () =>
    Promise.resolve({ kind: 'retry', afterMs: 60 * MINUTE, requests: 1, problem: { message: 'connect ECONNREFUSED graph.microsoft.com', statusCode: null, code: null, diagnosis: null } }),
};

/**
 * Step `s`'s events: every agent, each event a new alert (its own folder), so every one is news
 * and stays undelivered through the outage - the backlog grows by the step's size.
 */
function stepEvents(s: number): Record<string, unknown>[] {
  const types = ['imagemanager.verification_failed', 'imagemanager.consolidation_failed', 'imagemanager.replication_failed'];
  return Array.from({ length: STEP_EVENTS }, (_, i) => {
    const n = s * STEP_EVENTS + i;
    return {
      type: types[n % types.length],
      severity: 'critical',
      agent: `SRV-${String(n % AGENTS).padStart(3, '0')}`,
      folder: `D:\\Backups\\Volume-${Math.floor(n / AGENTS)}`,
      summary: `Check failed (occurrence ${n})`,
      details: { image: `C_VOL-b001-i${String(n % 10_000).padStart(4, '0')}.spi`, job: { name: 'nightly', attempt: n % 3 } },
    };
  });
}

export interface IngestHistoryFigures {
  undelivered: number;
  /** Median wall time of one 1,000-event step (submit + commit + route + flush). */
  stepMs: number;
  perSecond: number;
  /** Of which: the submission (validation + commit), median. */
  commitMs: number;
  /** Median wall time of a flush round of every group (news in each). */
  flushMs: number;
  fillSeconds: number;
  unsentEmails: number;
}

// The store as the running service opens it (src/server/runtime.ts): WAL checkpoints in a worker.
const measure = (size: number) => withTempStore('ingest-history', { durability: 'process-crash', backgroundCheckpoints: true }, (store) => measureIn(store, size));

async function measureIn(store: Store, size: number): Promise<IngestHistoryFigures> {
  let now = Date.UTC(2026, 0, 5, 8);
  const rules = parseNotificationRules(
    // A long group_interval keeps flush rounds out of the ingest steps; the rounds are timed apart.
    { group_by: ['agent'], group_wait: '0s', group_interval: '1h', repeat_interval: '24h', daily_report: false },
    { defaultRecipients: ['it-team@contoso.com'], now },
  ).rules;
  const service = new NotificationService({
    store: sqliteNotifyStore(store),
    channel: outage,
    rules,
    clock: () => now,
    intake: { maxUndeliveredEvents: 1_000_000 },
    delivery: { retryBaseMs: 60 * MINUTE, retryMaxMs: 60 * MINUTE },
  });
  const step = async (s: number, advanceMs = 1000) => {
    await service.submit(stepEvents(s));
    now += advanceMs;
    await service.tick(now);
  };
  const filled = performance.now();
  let s = 0;
  for (; s * STEP_EVENTS < size; s++) await step(s);
  const fillSeconds = (performance.now() - filled) / 1000;
  const samples: number[] = [];
  const commits: number[] = [];
  for (let i = 0; i < MEASURED_STEPS; i++, s++) {
    const started = performance.now();
    await service.submit(stepEvents(s));
    commits.push(performance.now() - started);
    now += 1000;
    await service.tick(now);
    samples.push(performance.now() - started);
  }
  const stepMs = median(samples);
  const commitMs = median(commits);
  const rounds: number[] = [];
  for (let i = 0; i < FLUSH_ROUNDS; i++, s++) {
    await service.submit(stepEvents(s));
    now += 61 * MINUTE;
    const started = performance.now();
    await service.tick(now);
    rounds.push(performance.now() - started);
  }
  const flushMs = median(rounds);
  const unsentEmails = (store.db.prepare("SELECT count(*) AS n FROM notifications WHERE kind = 'alert' AND status <> 'sent'").get() as { n: number }).n;
  return { undelivered: store.undeliveredEvents(), stepMs, perSecond: (STEP_EVENTS / stepMs) * 1000, commitMs, flushMs, fillSeconds, unsentEmails };
}

export async function runIngestHistoryBench(): Promise<IngestHistoryFigures[]> {
  // Warm-up (JIT, templates): otherwise the first size pays for it and the ratios flatter the rest.
  await measure(SIZES[0]!);
  const out: IngestHistoryFigures[] = [];
  for (const size of SIZES) out.push(await measure(size));
  return out;
}

export async function ingestHistorySection(): Promise<BenchSection> {
  const figures = await runIngestHistoryBench();
  const sizeOf = (f: IngestHistoryFigures) => SIZES[figures.indexOf(f)]!.toLocaleString('en-US');
  const rows = ratioRows(
    figures,
    (f) => `ingest with ${sizeOf(f)} undelivered (median step of ${STEP_EVENTS.toLocaleString('en-US')} events: commit + route)`,
    (f) => f.perSecond,
    (f, ratio) => `${f.perSecond.toFixed(0)} events/s (${f.stepMs.toFixed(1)} ms per step, of which commit ${f.commitMs.toFixed(1)} ms; ${ratio.toFixed(2)}x the 1,000 rate)`,
    { ratio: 1.5, text: '>= 1/1.5 of the 1,000 rate', higherIsBetter: true },
  );
  figures.forEach((f, i) =>
    rows.push([
      `flush round of ${AGENTS} groups with ${SIZES[i]!.toLocaleString('en-US')} undelivered (median)`,
      `${f.flushMs.toFixed(0)} ms (${(f.flushMs / AGENTS).toFixed(2)} ms per group; ${f.unsentEmails} unsent e-mails, one per group; ${f.undelivered.toLocaleString('en-US')} undelivered at the end)`,
      'one unsent e-mail per group',
      f.unsentEmails <= AGENTS,
    ]),
  );
  return {
    title: 'Ingest as undelivered events pile up (issue 14): 1k / 10k / 100k undelivered, Graph unreachable',
    rows,
    notes: [
      `A step: ${STEP_EVENTS} events submitted (one array, validated and committed), then one tick a second later (routed into ${AGENTS} groups by agent; each event a new alert, so all stay undelivered). ` +
        `A flush round: group_interval later, every group's unsent e-mail updated with the new alerts and re-rendered (its cost grows with the alerts each e-mail lists and hashes). ` +
        `Medians of ${MEASURED_STEPS} steps / ${FLUSH_ROUNDS} rounds after the backlog; building it took ${figures.map((f) => `${f.fillSeconds.toFixed(1)} s`).join(' / ')}. ` +
        'In-process, fake clock, SQLite in a temp dir; the machine is shared, so figures move between runs.',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await ingestHistorySection());
}
