/**
 * Issue 14: delivery must not slow down while the status is polled (a monitoring system asking
 * GET /api/v1/status at 5 Hz) on a store holding 100,000 e-mails of history. The running service
 * (start(), real clock, its own timers and worker) delivers 1,000 of the queued e-mails through a
 * channel that answers like a fast Graph (20 ms per send); the rate with the status polled every
 * 200 ms is compared with the rate without. Runs alternate (without, with, without, with) on the
 * same store; the medians are compared.
 *
 * Run alone: `node --import tsx bench/polling.ts`; `npm run bench` includes it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DeliveryChannel } from '../src/delivery/index.js';
import { NotificationService } from '../src/notify/service.js';
import { openStore, sqliteNotifyStore } from '../src/store/index.js';
import { fill } from './history.js';
import { median, printSection } from './history-shape.js';
import type { BenchSection } from './run.js';

const HISTORY = 100_000;
const PER_RUN = 1_000;
const SEND_MS = 20;
const POLL_MS = 200;
const RUNS_EACH = 2;

interface RunFigures {
  perMinute: number;
  polls: number;
  /** Each status answer's time (how long it held the event loop). */
  pollMs: number[];
}

/** Delivers PER_RUN e-mails with the service running; polls the status meanwhile when asked. */
async function deliverRun(service: NotificationService, counter: { sent: number; target: number; done?: () => void }, poll: boolean): Promise<RunFigures> {
  const finished = new Promise<void>((resolve) => (counter.done = resolve));
  counter.target = counter.sent + PER_RUN;
  let polls = 0;
  const pollMs: number[] = [];
  const started = performance.now();
  const timer = poll
    ? setInterval(() => {
        const t0 = performance.now();
        void service.status().then(() => {
          pollMs.push(performance.now() - t0);
          polls++;
        });
      }, POLL_MS)
    : undefined;
  await service.start();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  if (timer) clearInterval(timer);
  await service.stop();
  return { perMinute: (PER_RUN / seconds) * 60, polls, pollMs };
}

export async function runPollingBench(): Promise<{ without: RunFigures[]; with: RunFigures[]; fillSeconds: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'o365-bench-polling-'));
  // As the running service opens it (src/server/runtime.ts): WAL checkpoints in a worker.
  const store = openStore(join(dir, 'store.db'), { durability: 'process-crash', backgroundCheckpoints: true });
  const counter: { sent: number; target: number; done?: () => void } = { sent: 0, target: Infinity };
  // A fast Graph: every send answers after SEND_MS; the run ends when its share has gone out.
  const channel: DeliveryChannel = {
    send: () =>
      new Promise((resolve) =>
        setTimeout(() => {
          counter.sent++;
          if (counter.sent === counter.target) counter.done?.();
          resolve({ kind: 'sent', messageId: null, requests: 1 });
        }, SEND_MS),
      ),
  };
  try {
    const filled = performance.now();
    fill(store, HISTORY, Date.now());
    const fillSeconds = (performance.now() - filled) / 1000;
    const service = new NotificationService({ store: sqliteNotifyStore(store), channel, groupWork: false });
    const without: RunFigures[] = [];
    const withPolling: RunFigures[] = [];
    for (let i = 0; i < RUNS_EACH; i++) {
      without.push(await deliverRun(service, counter, false));
      withPolling.push(await deliverRun(service, counter, true));
    }
    return { without, with: withPolling, fillSeconds };
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function pollingSection(): Promise<BenchSection> {
  const r = await runPollingBench();
  const without = median(r.without.map((f) => f.perMinute));
  const withPolling = median(r.with.map((f) => f.perMinute));
  const ratio = withPolling / without;
  const answers = r.with.flatMap((f) => f.pollMs);
  const typical = median(answers);
  const slowest = Math.max(...answers);
  return {
    title: `Delivery while the status is polled at 5 Hz (issue 14): ${HISTORY.toLocaleString('en-US')} e-mails of history`,
    rows: [
      ['delivery without polling (median)', `${without.toFixed(0)} e-mails/min (runs: ${r.without.map((f) => f.perMinute.toFixed(0)).join(', ')})`, '', null],
      ['delivery with the status polled every 200 ms (median)', `${withPolling.toFixed(0)} e-mails/min (runs: ${r.with.map((f) => f.perMinute.toFixed(0)).join(', ')}; ${r.with.map((f) => f.polls).join(' + ')} polls)`, '', null],
      ['ratio with / without', ratio.toFixed(3), '>= 0.95', ratio >= 0.95],
      ['status answer while polled, median / slowest', `${typical.toFixed(2)} / ${slowest.toFixed(2)} ms`, 'a few ms (median <= 5)', typical <= 5],
    ],
    notes: [
      `The running service (real clock, delivery concurrency 4) on a store filled as in the history bench (90 % sent, 1 % failed, 9 % queued; filling took ${r.fillSeconds.toFixed(1)} s); ` +
        `each run delivers ${PER_RUN} of the queued e-mails through a channel answering in ${SEND_MS} ms. The status is service.status(), what GET /api/v1/status serves, ` +
        'called on the service\'s own event loop as the API would. The machine is shared, so runs vary.',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await pollingSection());
}
