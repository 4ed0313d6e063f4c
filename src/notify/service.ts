import { randomUUID } from 'node:crypto';
import { EventIntake, type EventIntakeOptions, type DeliveryAttemptRow, type HealthNoticeRow, type NotificationKind, type NotificationRow, type NotificationStatus, type SilenceRow, type StoredDiagnosis, type QueueDepth, type Store } from '../store/index.js';
import { formatTime, timeZoneNote } from './format.js';
import { endsWithNewToken, healthEmailView, healthResolvedEmailView, isRefusalNotice, secretExpiryNotice, signInRefusalNotice, type HealthNotice, type HealthNoticeKind } from './health.js';
import { EventValidationError, toNewEvent, validateEvents, type ValidEvent } from '../intake/index.js';
import { noopLogger, type NotifyLogger } from '../infra/index.js';
import { hasControlCharacters } from '../shared/index.js';
import { type DeliveryChannel, type DeliveryProblem, DeliveryWorker, type DeliveryOptions, type DeliveryResult } from '../delivery/index.js';
import { MATCHER_LABELS, type Matchers } from './matchers.js';
import { NotifyMetrics, type NotifyMetricsSnapshot } from './metrics.js';
import { flushDueGroups, reviewAllGroups, routeEvents, type PipelineContext } from './pipeline.js';
import { previewEmail } from './preview.js';
import { TemplateSet, type RenderedEmail, type TemplateProblem } from './render.js';
import { LAST_REPORT_META_KEY, dueReportDate, renderDailyReport } from './report.js';
import { defaultNotificationRules, type NotificationRules } from './rules.js';

export interface NotificationServiceOptions {
  store: Store;
  /** The way out (GraphChannel in the service; a fake in tests). */
  channel: DeliveryChannel;
  /** Parsed `notifications:` settings (parseNotificationRules); defaults when absent. */
  rules?: NotificationRules;
  /** `<home>/templates`: the user's template overrides. */
  templatesDir?: string;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  clock?: () => number;
  logger?: NotifyLogger;
  intake?: EventIntakeOptions;
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
}

export interface TickReport {
  routed: number;
  queued: string[];
  deliveries: DeliveryResult[];
}

export interface SilenceInput {
  matchers: Matchers;
  /** ms since the epoch, or an ISO 8601 string. */
  endsAt: number | string;
  startsAt?: number | string;
  comment?: string;
  createdBy?: string;
}

export class SilenceValidationError extends Error {
  /** What was refused, for forms that show it next to their field: a matcher label, 'matchers', 'endsAt' or 'startsAt'. */
  readonly field: string;
  constructor(message: string, field: string) {
    super(message);
    this.field = field;
    this.name = 'SilenceValidationError';
  }
}

export interface DeliveryRecord {
  notification: Omit<NotificationRow, 'html' | 'text'> & Partial<Pick<NotificationRow, 'html' | 'text'>>;
  eventIds: number[];
  attempts: DeliveryAttemptRow[];
}

export interface ServiceStatus {
  running: boolean;
  /** True while e-mails wait for `o365-notify login` (or consent, or a new client secret). */
  waitingForSignIn: boolean;
  queue: QueueDepth;
  oldestUndeliveredEvent: { id: number; receivedAt: number } | null;
  lastDelivery: { id: string; subject: string; sentAt: number | null; to: string[] } | null;
  lastError: { notificationId: string; at: number; error: string | null; diagnosis: StoredDiagnosis | null } | null;
  healthNotices: HealthNoticeRow[];
  templateProblems: TemplateProblem[];
  nextGroupFlushAt: number | null;
}

const LAST_PRUNE_META_KEY = 'prune.last_day';
/** Rows of each kind deleted per transaction by the retention. */
const PRUNE_BATCH = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The notification service: intake -> store -> route -> state -> group -> render -> outbox ->
 * deliver. `submit` resolves only once events are committed; everything after that is driven from
 * the store, so a crash or restart at any point resumes where it stopped.
 *
 * Run it with start()/stop() (timers, background delivery), or drive it step by step with
 * tick(now) and a fake clock (tests, one-shot CLI use).
 */
/** How long routing waits after an intake commit, to take the commits of a burst together. */
const ROUTE_AFTER_COMMIT_MS = 100;

export class NotificationService {
  readonly store: Store;
  private rulesValue: NotificationRules;
  private readonly templates: TemplateSet;
  private readonly clock: () => number;
  private readonly logger: NotifyLogger;
  private readonly intake: EventIntake;
  private readonly worker: DeliveryWorker;
  private readonly metricsValue = new NotifyMetrics();
  private readonly tickIntervalMs: number;
  private readonly routeBatchSize: number;
  private readonly maxAlertsPerEmail: number;
  private readonly retentionMs: number;
  private readonly failedRetentionMs: number;
  private readonly groupWork: boolean;
  private timer: NodeJS.Timeout | undefined;
  private cycleScheduled = false;
  private lastHousekeepingAt = -Infinity;
  private cycleRunning: Promise<void> | undefined;
  private isRunning = false;

  constructor(options: NotificationServiceOptions) {
    this.store = options.store;
    this.rulesValue = options.rules ?? defaultNotificationRules();
    this.templates = new TemplateSet(options.templatesDir);
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? noopLogger;
    this.tickIntervalMs = options.tickIntervalMs ?? 1000;
    this.routeBatchSize = options.routeBatchSize ?? 2000;
    this.maxAlertsPerEmail = options.maxAlertsPerEmail ?? 200;
    this.retentionMs = (options.retention?.days ?? 90) * DAY_MS;
    this.failedRetentionMs = (options.retention?.failedDays ?? 365) * DAY_MS;
    this.groupWork = options.groupWork ?? true;
    this.intake = new EventIntake(this.store, options.intake);
    this.intake.onCommitted = (ids) => {
      this.metricsValue.eventsReceived += ids.length;
      // Under load, commits come every few milliseconds: route them in batches rather than one
      // cycle per commit. group_wait is seconds, so the short delay changes no e-mail.
      if (this.isRunning) this.scheduleCycle(ROUTE_AFTER_COMMIT_MS);
    };
    this.worker = new DeliveryWorker(this.store, options.channel, options.delivery ?? {}, {
      clock: this.clock,
      logger: this.logger,
      onResult: (r) => this.onDeliveryResult(r),
      onSignInNeeded: (f) => this.onSignInNeeded(f),
      onSignInHealthy: () => this.onSignInHealthy(),
    });
  }

  get rules(): NotificationRules {
    return this.rulesValue;
  }

  get running(): boolean {
    return this.isRunning;
  }

  /** Recovers from a crash (re-queues e-mails that were in flight), catches up, and starts the timers. */
  async start(): Promise<void> {
    if (this.isRunning) return;
    const now = this.clock();
    this.worker.recover(now);
    this.isRunning = true;
    await this.runCycle();
    this.timer = setInterval(() => this.scheduleCycle(), this.tickIntervalMs);
    this.timer.unref();
  }

  /** Commits submissions still gathering, stops the timers and waits for e-mails in flight. The store stays open. */
  async stop(): Promise<void> {
    if (!this.isRunning) return;
    this.isRunning = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.intake.flush();
    await this.cycleRunning;
    await this.worker.idle();
  }

  /**
   * Validates and stores events (one or an array, as parsed from JSON). Resolves with their ids
   * once committed. Rejects with EventValidationError (400) or StoreSaturatedError (429).
   */
  async submit(input: unknown): Promise<number[]> {
    const result = validateEvents(input, this.clock());
    if (!result.ok) {
      this.metricsValue.submissionsRejected++;
      throw new EventValidationError(result.errors);
    }
    return this.submitValid(result.events);
  }

  submitValid(events: readonly ValidEvent[]): Promise<number[]> {
    const receivedAt = this.clock();
    return this.intake.submit(events.map((e) => toNewEvent(e, receivedAt)));
  }

  /** Whether `count` more events would be accepted now (for answering 429 before reading a body). */
  hasRoomFor(count = 1): boolean {
    return this.intake.hasRoomFor(count);
  }

  /**
   * Runs every stage once at `now`: commits waiting submissions, routes new events, flushes due
   * groups, sends the daily report when due, and delivers everything due - awaiting the sends.
   */
  async tick(now: number = this.clock()): Promise<TickReport> {
    this.intake.flush();
    const { routed, queued } = this.runStages(now);
    const deliveries = await this.worker.drain(now);
    return { routed, queued, deliveries };
  }

  /** The sign-in works again (after `login`): waiting e-mails go out, the refusal notices close. */
  resumeAfterSignIn(): number {
    const now = this.clock();
    this.endRefusals('a new sign-in succeeded', now);
    const resumed = this.worker.resumeAfterSignIn(now);
    this.logger.info({ resumed }, 'sign-in healthy; e-mails waiting for it are queued again');
    if (this.isRunning) this.kickDelivery();
    return resumed;
  }

  /**
   * The token endpoint issued a token at `at` (a refresh or client credentials): refusals it
   * answered before then are over. Graph's own refusals wait for a successful send.
   */
  tokenWorks(at: number): number {
    return this.endRefusals('Microsoft Entra ID issued a new token', this.clock(), (n) => endsWithNewToken(n) && n.lastSeenAt <= at);
  }

  /** Settings changed (maybe the fix, e.g. a new secret): e-mails waiting for a sign-in get one more try. */
  retryWaiting(): number {
    if (!this.worker.signInBlocked && this.store.outbox.countByStatus().waitingSignIn === 0) return 0;
    const resumed = this.worker.retryAfterChange(this.clock());
    if (this.isRunning) this.kickDelivery();
    return resumed;
  }

  /**
   * Closes the open refusal notices the evidence covers. A warning still unsent is withdrawn (it is
   * no longer true); for the ones that went out, the administrators get one "resolved" e-mail that
   * names what was fixed. Returns how many notices closed.
   */
  private endRefusals(evidence: string, now: number, covers: (n: HealthNoticeRow) => boolean = () => true): number {
    return this.endNotices(evidence, now, (n) => isRefusalNotice(n) && covers(n));
  }

  /** Closes the selected open notices; one "resolved" e-mail for those whose warning went out. */
  private endNotices(evidence: string, now: number, select: (n: HealthNoticeRow) => boolean): number {
    const result = this.store.transaction(() => {
      const told: HealthNoticeRow[] = [];
      let closed = 0;
      for (const notice of this.store.health.listActive()) {
        if (!select(notice) || !this.store.health.resolveOne(notice.kind, notice.subject, notice.threshold, now)) continue;
        closed++;
        if (notice.notificationId === null) continue; // nobody was warned (no admin recipients)
        // A warning still unsent is no longer true: it is withdrawn, and the one "resolved" e-mail
        // says what happened instead (sending was refused from then until now).
        this.store.outbox.withdraw(notice.notificationId);
        if (!told.some((t) => t.kind === notice.kind && t.subject === notice.subject)) told.push(notice);
      }
      return { closed, email: told.length > 0 ? this.queueResolvedEmail(told, evidence, now) : null };
    });
    if (result.closed > 0) this.logger.info({ closed: result.closed, emailed: result.email !== null, evidence }, 'health warnings are over');
    if (result.email) {
      this.metricsValue.emailQueued('health');
      if (this.isRunning) this.kickDelivery();
    }
    return result.closed;
  }

  /** Queues the one "resolved" e-mail for notices whose warning went out; null without admin recipients. */
  private queueResolvedEmail(notices: HealthNoticeRow[], evidence: string, now: number): string | null {
    if (this.rulesValue.adminRecipients.length === 0) return null;
    const id = randomUUID();
    const email = this.templates.render(['health'], healthResolvedEmailView(notices, evidence, id, now, this.rulesValue.dailyReport.timeZone), 'normal');
    this.store.outbox.add({
      id,
      kind: 'health',
      groupKey: `health-resolved|${notices.map((n) => `${n.kind}|${n.subject}`).join(',')}|${now}`,
      to: this.rulesValue.adminRecipients,
      cc: [],
      bcc: [],
      ...email,
      createdAt: now,
    });
    return id;
  }

  get waitingForSignIn(): boolean {
    return this.worker.signInBlocked;
  }

  /** Another way in (the SMTP relay) committed an outbox row: it is counted and delivery starts at once. */
  outboxRowAdded(kind: string): void {
    this.metricsValue.emailQueued(kind);
    if (this.isRunning) this.kickDelivery();
  }

  /** New settings: groups take their routes' new recipients and timings and are looked at again. */
  setRules(rules: NotificationRules): void {
    this.rulesValue = rules;
    if (this.groupWork) reviewAllGroups(this.pipeline(), this.clock());
    if (this.isRunning) this.scheduleCycle();
  }

  // ------------------------------------------------------------------------------------------
  // Health

  /**
   * Records a health notice; the first time a (kind, subject, threshold) is seen, the
   * administrators get one warning e-mail (deduplicated in the store, across restarts).
   */
  recordHealthNotice(notice: HealthNotice): { emailed: boolean; notificationId: string | null } {
    const now = this.clock();
    const subject = notice.subject ?? '';
    const threshold = notice.threshold ?? '';
    const result = this.store.transaction(() => {
      const isNew = this.store.health.record(
        { kind: notice.kind, subject, threshold, message: notice.message, diagnosis: notice.diagnosis ?? null },
        now,
      );
      if (!isNew || this.rulesValue.adminRecipients.length === 0) return { emailed: false, notificationId: null };
      const id = randomUUID();
      const email = this.templates.render(['health'], healthEmailView(notice, id, now, this.rulesValue.dailyReport.timeZone), 'high');
      this.store.outbox.add({
        id,
        kind: 'health',
        groupKey: `health|${notice.kind}|${subject}|${threshold}`,
        to: this.rulesValue.adminRecipients,
        cc: [],
        bcc: [],
        ...email,
        createdAt: now,
      });
      this.store.health.attachNotification(notice.kind, subject, threshold, id);
      return { emailed: true, notificationId: id };
    });
    this.logger.warn({ kind: notice.kind, threshold, emailed: result.emailed }, notice.message);
    if (result.emailed) {
      this.metricsValue.emailQueued('health');
      if (this.isRunning) this.kickDelivery();
    }
    return result;
  }

  resolveHealthNotice(kind: HealthNoticeKind, subject?: string): number {
    return this.store.health.resolveKind(kind, this.clock(), subject);
  }

  /** Checks the client secret's Expires date (YYYY-MM-DD); warns once per threshold (30, 7, 1 days, expired). */
  checkSecretExpiry(expiresOn: string | undefined): { emailed: boolean; notificationId: string | null } | null {
    this.endOldSecretDates(expiresOn);
    if (!expiresOn) return null;
    const notice = secretExpiryNotice(expiresOn, this.clock());
    return notice && this.recordHealthNotice(notice);
  }

  /**
   * A new Expires date was recorded (a new secret): the warnings about the old date are over. One
   * "resolved" e-mail tells the administrators; a date being removed (no secret) ends them too.
   */
  private endOldSecretDates(expiresOn: string | undefined): void {
    const evidence = expiresOn ? `the settings now record the client secret's Expires date as ${expiresOn}` : 'the settings no longer record a client secret expiry';
    this.endNotices(evidence, this.clock(), (n) => n.kind === 'secret-expiring' && !isRefusalNotice(n) && n.subject !== expiresOn);
  }

  // ------------------------------------------------------------------------------------------
  // Silences

  addSilence(input: SilenceInput): SilenceRow {
    const now = this.clock();
    const matchers: Matchers = {};
    for (const [key, value] of Object.entries(input.matchers ?? {})) {
      if (!(MATCHER_LABELS as readonly string[]).includes(key)) {
        throw new SilenceValidationError(`"${key}" is not a silence matcher; use ${MATCHER_LABELS.join(', ')}`, key);
      }
      if (typeof value !== 'string' || value === '' || value.length > 1024 || hasControlCharacters(value)) {
        throw new SilenceValidationError(`the ${key} matcher must be a non-empty pattern on one line (* matches anything)`, key);
      }
      matchers[key as keyof Matchers] = value;
    }
    if (Object.keys(matchers).length === 0) {
      throw new SilenceValidationError('a silence needs at least one of type, agent, folder, severity: a silence of everything would hide every alert', 'matchers');
    }
    const toMs = (v: number | string | undefined, name: string, field: string): number | undefined => {
      if (v === undefined) return undefined;
      const ms = typeof v === 'number' ? v : Date.parse(v);
      if (!Number.isFinite(ms)) throw new SilenceValidationError(`${name} must be a date-time such as 2025-07-01T18:00:00Z`, field);
      return ms;
    };
    const endsAt = toMs(input.endsAt, 'the end time', 'endsAt')!;
    const startsAt = toMs(input.startsAt, 'the start time', 'startsAt') ?? now;
    if (endsAt <= now || endsAt <= startsAt) throw new SilenceValidationError('the end time must be in the future (and after the start)', 'endsAt');
    const silence: SilenceRow = {
      id: randomUUID(),
      matchers,
      startsAt,
      endsAt,
      comment: (input.comment ?? '').slice(0, 500),
      createdBy: (input.createdBy ?? '').slice(0, 200),
      createdAt: now,
      removedAt: null,
    };
    this.store.silences.add(silence);
    return silence;
  }

  /** Ends a silence now; what it held back goes out at its groups' next turn. */
  removeSilence(id: string): boolean {
    const removed = this.store.silences.removeById(id, this.clock());
    if (removed && this.groupWork) {
      reviewAllGroups(this.pipeline(), this.clock());
      if (this.isRunning) this.scheduleCycle();
    }
    return removed;
  }

  /** Silences added through the CLI/API (newest first) and those from the settings file. */
  listSilences(): { store: SilenceRow[]; settings: NotificationRules['silences'] } {
    return { store: this.store.silences.list(), settings: this.rulesValue.silences };
  }

  // ------------------------------------------------------------------------------------------
  // Visibility

  queueDepth(): QueueDepth {
    return this.store.queueDepth();
  }

  status(): ServiceStatus {
    const last = this.store.outbox.lastSentNotification();
    const problem = this.store.outbox.lastProblemAttempt();
    const queue = this.store.queueDepth();
    return {
      running: this.isRunning,
      waitingForSignIn: this.worker.signInBlocked || queue.outbox.waitingSignIn > 0,
      queue,
      oldestUndeliveredEvent: this.store.events.oldestUndeliveredEvent() ?? null,
      lastDelivery: last ? { id: last.id, subject: last.subject, sentAt: last.sentAt, to: last.to } : null,
      lastError: problem
        ? { notificationId: problem.notificationId, at: problem.finishedAt ?? problem.startedAt, error: problem.error, diagnosis: problem.diagnosis }
        : null,
      healthNotices: this.store.health.listActive(),
      templateProblems: this.templates.problems,
      nextGroupFlushAt: this.store.groups.nextFlushAt(),
    };
  }

  /** Delivery history, newest first: each e-mail with the events it carried and its attempts. */
  deliveries(
    query: { limit?: number; before?: { createdAt: number; id: string }; status?: NotificationStatus; kind?: NotificationKind; includeBodies?: boolean } = {},
  ): DeliveryRecord[] {
    const pageQuery = { limit: query.limit ?? 50, before: query.before, status: query.status, kind: query.kind };
    // Bodies only when asked for; attempts and events of the whole page in one query each.
    const rows = query.includeBodies ? this.store.outbox.page(pageQuery) : this.store.outbox.pageSummaries(pageQuery);
    const ids = rows.map((n) => n.id);
    const attempts = this.store.outbox.attemptsFor(ids);
    const events = this.store.outbox.eventIdsFor(ids);
    return rows.map((n) => ({ notification: n, eventIds: events.get(n.id) ?? [], attempts: attempts.get(n.id) ?? [] }));
  }

  metrics(): NotifyMetricsSnapshot {
    return this.metricsValue.snapshot();
  }

  /** Prometheus text for this service's counters and gauges. */
  metricsText(): Promise<string> {
    const depth = this.store.queueDepth();
    const oldest = this.store.events.oldestUndeliveredEvent();
    return this.metricsValue.text({
      queueDepth: depth.outbox.queued + depth.outbox.sending + depth.outbox.waitingSignIn,
      undeliveredEvents: depth.undeliveredEvents,
      oldestUndeliveredAgeSeconds: oldest ? Math.max(0, (this.clock() - oldest.receivedAt) / 1000) : 0,
      signInBlocked: this.worker.signInBlocked,
    });
  }

  /**
   * Sends a test e-mail through the outbox right away (even while others wait for a sign-in) and
   * resolves with the outcome; a retryable failure stays queued and is retried like any e-mail.
   */
  async sendTestEmail(options: { to?: string[] } = {}): Promise<DeliveryResult> {
    const now = this.clock();
    const to = options.to && options.to.length > 0 ? options.to : this.rulesValue.adminRecipients;
    if (to.length === 0) throw new Error('No recipient for the test e-mail: pass one, or set mail.to with `o365-notify setup --to ...`.');
    const id = randomUUID();
    const email = this.templates.render(
      ['test'],
      {
        id,
        generatedAt: formatTime(now, this.rulesValue.dailyReport.timeZone),
        timeZoneNote: timeZoneNote(this.rulesValue.dailyReport.timeZone),
        eyebrow: 'o365-notify · test',
        accent: '#175cd3',
        headline: 'o365-notify test e-mail',
        message:
          'This message was sent by o365-notify through Microsoft Graph (sendMail) with the account it signed in with. If you can read it, notifications will reach this mailbox.',
      },
      'normal',
    );
    this.store.outbox.add({ id, kind: 'test', groupKey: `test|${id}`, to, cc: [], bcc: [], ...email, createdAt: now });
    this.metricsValue.emailQueued('test');
    const result = await this.worker.deliverNow(id, now);
    if (!result) throw new Error('The test e-mail could not be claimed for sending.');
    return result;
  }

  /** Renders a sample for an event type, or `group`, `daily-report`, `health`, `test`. */
  preview(name: string): RenderedEmail {
    return previewEmail(name, { templates: this.templates, now: this.clock(), timeZone: this.rulesValue.dailyReport.timeZone });
  }

  // ------------------------------------------------------------------------------------------
  // Internals

  private pipeline(): PipelineContext {
    return {
      store: this.store,
      rules: this.rulesValue,
      templates: this.templates,
      newId: randomUUID,
      logger: this.logger,
      maxAlertsPerEmail: this.maxAlertsPerEmail,
    };
  }

  /**
   * route -> state -> group -> render -> outbox, plus the daily report and housekeeping. Routes at
   * most `maxBatches` batches, so a running service with a large backlog yields to the event loop.
   */
  private runStages(now: number, maxBatches = Infinity): { routed: number; queued: string[]; more: boolean } {
    const ctx = this.pipeline();
    let routed = 0;
    let more = false;
    for (let batch = 0; ; batch++) {
      if (batch >= maxBatches) {
        more = true;
        break;
      }
      const n = routeEvents(ctx, now, this.routeBatchSize);
      routed += n;
      if (n < this.routeBatchSize) break;
    }
    const queued = flushDueGroups(ctx, now);
    for (let i = 0; i < queued.length; i++) this.metricsValue.emailQueued('alert');
    // Daily report and pruning read the store's meta table: once per tick is plenty.
    if (now - this.lastHousekeepingAt >= this.tickIntervalMs || now < this.lastHousekeepingAt) {
      this.lastHousekeepingAt = now;
      const report = this.maybeQueueDailyReport(now);
      if (report) queued.push(report);
      this.maybePrune(now);
    }
    return { routed, queued, more };
  }

  private maybeQueueDailyReport(now: number): string | null {
    const settings = this.rulesValue.dailyReport;
    return this.store.transaction(() => {
      const due = dueReportDate(settings, now, this.store.meta.get(LAST_REPORT_META_KEY));
      if (!due) return null;
      this.store.meta.set(LAST_REPORT_META_KEY, due.date);
      if (!due.send || settings.recipients.length === 0) return null;
      const id = randomUUID();
      const email = renderDailyReport(this.store, this.templates, { id, date: due.date, now, timeZone: settings.timeZone });
      this.store.outbox.add({ id, kind: 'report', groupKey: `daily-report|${due.date}`, to: settings.recipients, cc: [], bcc: [], ...email, createdAt: now });
      this.metricsValue.emailQueued('report');
      return id;
    });
  }

  /**
   * Retention: once a day, the history older than the retention is deleted, PRUNE_BATCH rows of
   * each kind per transaction and one transaction per tick, so a long backlog never blocks the
   * event loop; the day counts as done when a batch came back short.
   */
  private maybePrune(now: number): void {
    const day = String(Math.floor(now / DAY_MS));
    if (this.store.meta.get(LAST_PRUNE_META_KEY) === day) return;
    this.store.transaction(() => {
      const sentBefore = now - this.retentionMs;
      const failedBefore = now - this.failedRetentionMs;
      const emails = this.store.outbox.pruneFinished({ sentBefore, failedBefore }, PRUNE_BATCH);
      const events = this.store.events.pruneSettledBefore(sentBefore, failedBefore, PRUNE_BATCH);
      if (emails < PRUNE_BATCH && events < PRUNE_BATCH) this.store.meta.set(LAST_PRUNE_META_KEY, day);
      if (emails + events > 0) this.logger.info({ emails, events }, 'deleted history older than the retention period (store.retentionDays)');
    });
  }

  private scheduleCycle(delayMs = 0): void {
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

  private runCycle(): Promise<void> {
    const run = (async () => {
      try {
        const now = this.clock();
        this.intake.flush();
        const { more } = this.runStages(now, 1);
        this.kickDelivery();
        if (more) setImmediate(() => this.scheduleCycle());
      } catch (err) {
        this.logger.error({ err }, 'the notification pipeline failed; it is retried on the next tick');
      }
    })();
    this.cycleRunning = run.finally(() => {
      this.cycleRunning = undefined;
    });
    return this.cycleRunning;
  }

  private kickDelivery(): void {
    if (!this.isRunning) return;
    this.worker
      .pump(this.clock())
      .then((results) => {
        if (results.length > 0) this.kickDelivery();
      })
      .catch((err: unknown) => this.logger.error({ err }, 'delivery failed; it is retried on the next tick'));
  }

  private onDeliveryResult(r: DeliveryResult): void {
    this.metricsValue.graphRequests += r.requests;
    if (r.status === 'sent') this.metricsValue.emailSent(r.kind, r.latencyMs);
    else if (r.status === 'queued') this.metricsValue.emailRetries++;
    else if (r.status === 'failed') this.metricsValue.emailFailed(r.failure?.diagnosis?.guideStep || r.failure?.code || 'error');
  }

  private onSignInNeeded(failure: DeliveryProblem): void {
    const notice = signInRefusalNotice(failure.diagnosis ? { ...failure.diagnosis, code: failure.diagnosis.code || failure.code || '' } : null, true);
    if (notice) this.recordHealthNotice(notice);
  }

  private onSignInHealthy(): void {
    // A send went out after sending was refused: whatever refused it is fixed.
    this.endRefusals('an e-mail was accepted by Microsoft 365 again', this.clock());
    if (this.isRunning) this.kickDelivery();
  }
}
