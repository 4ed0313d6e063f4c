import { randomUUID } from 'node:crypto';
import type { DeliveryResult } from '../delivery/index.js';
import { flushDueGroupsWithin, routeEvents } from './pipeline.js';
import { LAST_REPORT_META_KEY, dueReportDate, renderDailyReport } from './report.js';
import { pruneHistory, type RetentionPeriods } from './retention.js';
import { pipelineContext, type ServiceCore } from './service-core.js';

/** How long one running cycle spends flushing groups before it yields to the event loop. */
const FLUSH_BUDGET_MS = 50;

export interface TickReport {
  routed: number;
  queued: string[];
  deliveries: DeliveryResult[];
}

/**
 * Runs a job that must run once across the instances sharing a store (issue 16): the result, or
 * undefined when another instance holds the job now. The default runs it (one instance).
 */
export type RunOnce = <T>(job: 'daily-report' | 'retention' | 'credential-expiry', fn: () => Promise<T>) => Promise<T | undefined>;

/** RunOnce on one instance: runs the job here. */
export const runHere: RunOnce = (_job, fn) => fn();

export interface SchedulerOptions {
  /** How often the running service looks at timers (group waits, retries, the daily report). */
  tickIntervalMs: number;
  /** Events routed per transaction. */
  routeBatchSize: number;
  retention: RetentionPeriods;
  runOnce?: RunOnce;
}

/**
 * When the pipeline runs: the timer of the running service, a cycle after each intake commit, and
 * tick(now) for tests and one-shot use. One cycle at a time; delivery is kicked after each.
 */
export class ServiceScheduler {
  private timer: NodeJS.Timeout | undefined;
  private cycleScheduled = false;
  private lastHousekeepingAt = -Infinity;
  private cycleRunning: Promise<void> | undefined;
  private isRunning = false;

  constructor(
    private readonly core: ServiceCore,
    private readonly intake: { flush(): Promise<void> },
    private readonly options: SchedulerOptions,
  ) {}

  get running(): boolean {
    return this.isRunning;
  }

  /** Recovers from a crash (re-queues e-mails that were in flight), catches up, and starts the timers. */
  async start(): Promise<void> {
    if (this.isRunning) return;
    const now = this.core.clock();
    await this.core.worker.recover(now);
    this.isRunning = true;
    await this.runCycle();
    this.timer = setInterval(() => this.scheduleCycle(), this.options.tickIntervalMs);
    this.timer.unref();
  }

  /** Commits submissions still gathering, stops the timers and waits for e-mails in flight. The store stays open. */
  async stop(): Promise<void> {
    if (!this.isRunning) return;
    this.isRunning = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.intake.flush();
    await this.cycleRunning;
    await this.core.worker.idle();
  }

  /**
   * Runs every stage once at `now`: commits waiting submissions, routes new events, flushes due
   * groups, sends the daily report when due, and delivers everything due - awaiting the sends.
   */
  async tick(now: number): Promise<TickReport> {
    await this.intake.flush();
    const { routed, queued } = await this.runStages(now);
    const deliveries = await this.core.worker.drain(now);
    return { routed, queued, deliveries };
  }

  scheduleCycle(delayMs = 0): void {
    if (this.cycleScheduled || !this.isRunning) return;
    this.cycleScheduled = true;
    const run = () => {
      this.cycleScheduled = false;
      if (this.cycleRunning) {
        // One cycle at a time; the running one is followed by another.
        void this.cycleRunning.then(() => this.scheduleCycle());
        return;
      }
      void this.runCycle();
    };
    if (delayMs > 0) setTimeout(run, delayMs).unref();
    else setImmediate(run);
  }

  kickDelivery(): void {
    if (!this.isRunning) return;
    this.core.worker
      .pump(this.core.clock())
      .then((results) => {
        if (results.length > 0) this.kickDelivery();
      })
      .catch((err: unknown) => this.core.logger.error({ err }, 'delivery failed; it is retried on the next tick'));
  }

  /**
   * route -> state -> group -> render -> outbox, plus the daily report and housekeeping. Routes at
   * most `maxBatches` batches, so a running service with a large backlog yields to the event loop.
   */
  private async runStages(now: number, maxBatches = Infinity): Promise<{ routed: number; queued: string[]; more: boolean }> {
    const ctx = pipelineContext(this.core);
    const { routeBatchSize, tickIntervalMs } = this.options;
    let routed = 0;
    let more = false;
    for (let batch = 0; ; batch++) {
      if (batch >= maxBatches) {
        more = true;
        break;
      }
      const n = await routeEvents(ctx, now, routeBatchSize);
      routed += n;
      if (n < routeBatchSize) break;
    }
    // A running cycle flushes for at most FLUSH_BUDGET_MS and continues in the next; tick() flushes all.
    const flush = await flushDueGroupsWithin(ctx, now, maxBatches === Infinity ? Infinity : FLUSH_BUDGET_MS);
    const queued = flush.queued;
    more ||= flush.more;
    for (let i = 0; i < queued.length; i++) this.core.metrics.emailQueued('alert');
    // Daily report and pruning read the store's meta table: once per tick is plenty.
    if (now - this.lastHousekeepingAt >= tickIntervalMs || now < this.lastHousekeepingAt) {
      this.lastHousekeepingAt = now;
      // Once across instances: the report's meta check and the pruning each under a job lease.
      const runOnce = this.options.runOnce ?? runHere;
      const report = await runOnce('daily-report', () => this.maybeQueueDailyReport(now));
      if (report) queued.push(report);
      await runOnce('retention', () => pruneHistory(this.core.store, this.options.retention, now, this.core.logger));
      // Claims whose lease ran out (their instance died and did not come back) are queued again.
      const requeued = await this.core.worker.requeueExpired(now);
      if (requeued > 0) this.core.logger.warn({ requeued }, 'e-mails claimed by a worker whose lease ran out (a stopped instance) are queued again');
    }
    return { routed, queued, more };
  }

  private async maybeQueueDailyReport(now: number): Promise<string | null> {
    const { templates } = this.core;
    const settings = this.core.rules().dailyReport;
    const id = await this.core.store.unitOfWork(async (store) => {
      const due = dueReportDate(settings, now, await store.meta.get(LAST_REPORT_META_KEY));
      if (!due) return null;
      await store.meta.set(LAST_REPORT_META_KEY, due.date);
      if (!due.send || settings.recipients.length === 0) return null;
      const id = randomUUID();
      const email = await renderDailyReport(store, templates, { id, date: due.date, now, timeZone: settings.timeZone });
      await store.outbox.add({ id, kind: 'report', groupKey: `daily-report|${due.date}`, to: settings.recipients, cc: [], bcc: [], ...email, createdAt: now });
      return id;
    });
    // Counted once committed.
    if (id) this.core.metrics.emailQueued('report');
    return id;
  }

  private runCycle(): Promise<void> {
    const run = (async () => {
      try {
        const now = this.core.clock();
        await this.intake.flush();
        const { more } = await this.runStages(now, 1);
        this.kickDelivery();
        if (more) setImmediate(() => this.scheduleCycle());
      } catch (err) {
        this.core.logger.error({ err }, 'the notification pipeline failed; it is retried on the next tick');
      }
    })();
    this.cycleRunning = run.finally(() => {
      this.cycleRunning = undefined;
    });
    return this.cycleRunning;
  }
}
