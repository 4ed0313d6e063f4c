import { randomUUID } from 'node:crypto';
import type { QueueDepth, SilenceRow } from './domain.js';
import type { NotificationKind } from '../delivery/index.js';
import { formatTime, timeZoneNote } from './format.js';
import type { HealthNotice, HealthNoticeKind } from './health.js';
import type { ValidEvent } from '../intake/index.js';
import { noopLogger, type NotifyLogger } from '../infra/index.js';
import { type DeliveryChannel, DeliveryWorker, type DeliveryOptions, type DeliveryResult } from '../delivery/index.js';
import { NotifyMetrics, type NotifyMetricsSnapshot } from './metrics.js';
import { reviewAllGroups } from './pipeline.js';
import { previewEmail } from './preview.js';
import { TemplateSet, type RenderedEmail } from './render.js';
import { retentionPeriods } from './retention.js';
import { defaultNotificationRules, type NotificationRules } from './rules.js';
import { pipelineContext, type ServiceCore } from './service-core.js';
import { ServiceHealth } from './service-health.js';
import { ServiceIntake, type IntakeLimits } from './service-intake.js';
import { ServiceQueries, type DeliveryPageRequest, type DeliveryRecord, type ServiceStatus } from './service-queries.js';
import { ServiceScheduler, type RunOnce, type TickReport } from './service-scheduler.js';
import { ServiceSilences, type SilenceInput } from './service-silences.js';
import type { NotifyStore } from './store-port.js';

export { SilenceValidationError, type SilenceInput } from './service-silences.js';
export type { DeliveryRecord, ServiceStatus } from './service-queries.js';
export { runHere, type RunOnce, type TickReport } from './service-scheduler.js';

export interface NotificationServiceOptions {
  /** The store port (SQLite: sqliteNotifyStore(store) from src/store, whose options carry the group commit's). */
  store: NotifyStore;
  /** The way out (GraphChannel in the service; a fake in tests). */
  channel: DeliveryChannel;
  /** Parsed `notifications:` settings (parseNotificationRules); defaults when absent. */
  rules?: NotificationRules;
  /** `<home>/templates`: the user's template overrides. */
  templatesDir?: string;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  clock?: () => number;
  logger?: NotifyLogger;
  intake?: IntakeLimits;
  delivery?: DeliveryOptions;
  /** How often the running service looks at timers (group waits, retries, the daily report). */
  tickIntervalMs?: number;
  /** Events routed per transaction. */
  routeBatchSize?: number;
  maxAlertsPerEmail?: number;
  /**
   * False for a service built on the store without the running one (the CLI's fallback, with no
   * settings of its own): it never reviews groups, which would give them default rules' (empty)
   * recipients (issue 9.3). The running service looks at them at their next turn.
   */
  groupWork?: boolean;
  /**
   * History kept (settings store.retentionDays / failedRetentionDays): sent e-mails and settled
   * events for `days` (default 90), e-mails that failed for good and their events for `failedDays`
   * (default 365). Deleted once a day, a batch per tick.
   */
  retention?: { days?: number; failedDays?: number };
  /** Jobs that run once across instances sharing a store (issue 16: PostgreSQL's job leases); default: run here. */
  runOnce?: RunOnce;
}

/**
 * The notification service: intake -> store -> route -> state -> group -> render -> outbox ->
 * deliver. `submit` resolves only once events are committed; everything after that is driven from
 * the store, so a crash or restart at any point resumes where it stopped.
 *
 * Run it with start()/stop() (timers, background delivery), or drive it step by step with
 * tick(now) and a fake clock (tests, one-shot CLI use).
 *
 * A thin composition of its jobs, each its own module: intake (service-intake.ts), scheduling and
 * flush (service-scheduler.ts), health notices (service-health.ts), silences (service-silences.ts)
 * and queries (service-queries.ts), sharing one ServiceCore.
 */
export class NotificationService {
  readonly store: NotifyStore;
  private rulesValue: NotificationRules;
  private readonly core: ServiceCore;
  private readonly worker: DeliveryWorker;
  private readonly metricsValue = new NotifyMetrics();
  private readonly intake: ServiceIntake;
  private readonly scheduler: ServiceScheduler;
  private readonly health: ServiceHealth;
  private readonly silences: ServiceSilences;
  private readonly queries: ServiceQueries;

  constructor(options: NotificationServiceOptions) {
    this.store = options.store;
    this.rulesValue = options.rules ?? defaultNotificationRules();
    const clock = options.clock ?? Date.now;
    const logger = options.logger ?? noopLogger;
    this.worker = new DeliveryWorker(this.store, options.channel, options.delivery ?? {}, {
      clock,
      logger,
      onResult: (r) => this.onDeliveryResult(r),
      onSignInNeeded: (f) => this.health.signInNeeded(f),
      onSignInHealthy: () => this.health.signInHealthy(),
    });
    this.core = {
      store: this.store,
      templates: new TemplateSet(options.templatesDir),
      clock,
      logger,
      metrics: this.metricsValue,
      worker: this.worker,
      maxAlertsPerEmail: options.maxAlertsPerEmail ?? 200,
      groupWork: options.groupWork ?? true,
      rules: () => this.rulesValue,
      running: () => this.scheduler.running,
      kickDelivery: () => this.scheduler.kickDelivery(),
      scheduleCycle: (delayMs) => this.scheduler.scheduleCycle(delayMs),
    };
    this.intake = new ServiceIntake(this.core, options.intake);
    this.scheduler = new ServiceScheduler(this.core, this.intake, {
      tickIntervalMs: options.tickIntervalMs ?? 1000,
      routeBatchSize: options.routeBatchSize ?? 2000,
      retention: retentionPeriods(options.retention),
      runOnce: options.runOnce,
    });
    this.health = new ServiceHealth(this.core);
    this.silences = new ServiceSilences(this.core);
    this.queries = new ServiceQueries(this.core);
  }

  get rules(): NotificationRules {
    return this.rulesValue;
  }

  get running(): boolean {
    return this.scheduler.running;
  }

  get waitingForSignIn(): boolean {
    return this.worker.signInBlocked;
  }

  // Running: see service-scheduler.ts.
  start(): Promise<void> { return this.scheduler.start(); }
  stop(): Promise<void> { return this.scheduler.stop(); }
  tick(now: number = this.core.clock()): Promise<TickReport> { return this.scheduler.tick(now); }

  // Intake: see service-intake.ts.
  submit(input: unknown): Promise<number[]> { return this.intake.submit(input); }
  submitValid(events: readonly ValidEvent[]): Promise<number[]> { return this.intake.submitValid(events); }
  hasRoomFor(count = 1): boolean { return this.intake.hasRoomFor(count); }

  // Sign-in and health notices: see service-health.ts.
  resumeAfterSignIn(): Promise<number> { return this.health.resumeAfterSignIn(); }
  tokenWorks(at: number): Promise<number> { return this.health.tokenWorks(at); }
  recordHealthNotice(notice: HealthNotice): Promise<{ emailed: boolean; notificationId: string | null }> { return this.health.record(notice); }
  resolveHealthNotice(kind: HealthNoticeKind, subject?: string): Promise<number> { return this.health.resolve(kind, subject); }
  checkSecretExpiry(expiresOn: string | undefined): Promise<{ emailed: boolean; notificationId: string | null } | null> { return this.health.checkSecretExpiry(expiresOn); }
  checkCertificateExpiry(certificate: { thumbprint: string; endDateTime: string } | undefined, renewalAhead: boolean): Promise<{ emailed: boolean; notificationId: string | null } | null> {
    return this.health.checkCertificateExpiry(certificate, renewalAhead);
  }

  // Silences: see service-silences.ts.
  addSilence(input: SilenceInput): Promise<SilenceRow> { return this.silences.add(input); }
  removeSilence(id: string): Promise<boolean> { return this.silences.remove(id); }
  listSilences(): Promise<{ store: SilenceRow[]; settings: NotificationRules['silences'] }> { return this.silences.list(); }

  // Queries: see service-queries.ts.
  queueDepth(): Promise<QueueDepth> { return this.store.queueDepth(); }
  status(): Promise<ServiceStatus> { return this.queries.status(); }
  deliveries(query: DeliveryPageRequest = {}): Promise<DeliveryRecord[]> { return this.queries.deliveries(query); }
  metrics(): NotifyMetricsSnapshot { return this.metricsValue.snapshot(); }
  metricsText(): Promise<string> { return this.queries.metricsText(); }

  /** Settings changed (maybe the fix, e.g. a new secret): e-mails waiting for a sign-in get one more try. */
  async retryWaiting(): Promise<number> {
    if (!this.worker.signInBlocked && (await this.store.outbox.countByStatus()).waitingSignIn === 0) return 0;
    const resumed = await this.worker.retryAfterChange(this.core.clock());
    this.core.kickDelivery();
    return resumed;
  }

  /** Another way in (the SMTP relay) committed an outbox row: it is counted and delivery starts at once. */
  outboxRowAdded(kind: NotificationKind): void {
    this.metricsValue.emailQueued(kind);
    this.core.kickDelivery();
  }

  /** New settings: groups take their routes' new recipients and timings and are looked at again. */
  async setRules(rules: NotificationRules): Promise<void> {
    this.rulesValue = rules;
    if (this.core.groupWork) await reviewAllGroups(pipelineContext(this.core), this.core.clock());
    this.core.scheduleCycle();
  }

  /**
   * Sends a test e-mail through the outbox right away (even while others wait for a sign-in) and
   * resolves with the outcome; a retryable failure stays queued and is retried like any e-mail.
   */
  async sendTestEmail(options: { to?: string[] } = {}): Promise<DeliveryResult> {
    const now = this.core.clock();
    const timeZone = this.rulesValue.dailyReport.timeZone;
    const to = options.to && options.to.length > 0 ? options.to : this.rulesValue.adminRecipients;
    if (to.length === 0) throw new Error('No recipient for the test e-mail: pass one, or set mail.to with `o365-notify setup --to ...`.');
    const id = randomUUID();
    const email = this.core.templates.render(
      ['test'],
      {
        id,
        generatedAt: formatTime(now, timeZone),
        timeZoneNote: timeZoneNote(timeZone),
        eyebrow: 'o365-notify · test',
        accent: '#175cd3',
        headline: 'o365-notify test e-mail',
        message:
          'This message was sent by o365-notify through Microsoft Graph (sendMail) with the account it signed in with. If you can read it, notifications will reach this mailbox.',
      },
      'normal',
    );
    await this.store.outbox.add({ id, kind: 'test', groupKey: `test|${id}`, to, cc: [], bcc: [], ...email, createdAt: now });
    this.metricsValue.emailQueued('test');
    const result = await this.worker.deliverNow(id, now);
    if (!result) throw new Error('The test e-mail could not be claimed for sending.');
    return result;
  }

  /** Renders a sample for an event type, or `group`, `daily-report`, `health`, `test`. */
  preview(name: string): RenderedEmail {
    return previewEmail(name, { templates: this.core.templates, now: this.core.clock(), timeZone: this.rulesValue.dailyReport.timeZone });
  }

  private onDeliveryResult(r: DeliveryResult): void {
    this.metricsValue.graphRequests += r.requests;
    if (r.status === 'sent') this.metricsValue.emailSent(r.kind, r.latencyMs);
    // A hold of the recipient budget (outcome deferred) is no retry: nothing was tried.
    else if (r.status === 'queued' && r.outcome !== 'deferred') this.metricsValue.emailRetries++;
    else if (r.status === 'failed') this.metricsValue.emailFailed(r.failure?.diagnosis?.guideStep || r.failure?.code || 'error');
  }
}
