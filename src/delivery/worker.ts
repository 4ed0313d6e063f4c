import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClaimedNotification, FinishResult, Lease, NotificationKind, NotificationRow, NotificationStatus } from './outbox-types.js';
import type { DeliveryStore } from './outbox-port.js';
import { NOTIFY_ID_HEADER, NOTIFY_KIND_HEADER, outcomeOfError, type DeliveryChannel, type DeliveryOutcome, type DeliveryProblem } from './channel.js';
import { noopLogger, type NotifyLogger } from '../infra/index.js';
import { backoffDelay } from '../graph/index.js';

export interface DeliveryOptions {
  /** E-mails sent at the same time (Graph allows 4 concurrent requests per mailbox). */
  concurrency?: number;
  /** Retryable failures before an e-mail is marked failed. */
  maxAttempts?: number;
  /** First retry delay; doubles each time up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** An attempt still unanswered after this is aborted (its HTTP request is cancelled) and retried. */
  sendTimeoutMs?: number;
  /** After the abort, how long a channel may take to stop before the attempt is recorded as timed out. */
  abortGraceMs?: number;
  /** How long a claim is held: longer than any attempt (send timeout + grace), so no live send loses it. */
  leaseMs?: number;
  /** This worker's lease owner, "<instance>/<run>" (default: the host name and a fresh run id). */
  owner?: string;
}

export const DEFAULT_DELIVERY_OPTIONS: Required<Omit<DeliveryOptions, 'owner' | 'leaseMs'>> = {
  concurrency: 4,
  maxAttempts: 10,
  retryBaseMs: 30_000,
  retryMaxMs: 60 * 60_000,
  sendTimeoutMs: 120_000,
  abortGraceMs: 5_000,
};

export interface DeliveryResult {
  id: string;
  kind: NotificationKind;
  /** The row's status afterwards (`sending`: the store closed under the send, or another claim owns it). */
  status: NotificationStatus;
  outcome: DeliveryOutcome['kind'];
  attempt: number;
  latencyMs: number;
  /** HTTP requests this attempt took. */
  requests: number;
  failure: DeliveryProblem | null;
}

export interface WorkerHooks {
  clock: () => number;
  logger?: NotifyLogger;
  onResult?: (result: DeliveryResult) => void;
  /** A channel said the sign-in must be renewed; every e-mail now waits. Awaited before the result is given. */
  onSignInNeeded?: (problem: DeliveryProblem) => void | Promise<void>;
  /** An e-mail went out while e-mails were waiting for a sign-in: the waiting ones are queued again. Awaited too. */
  onSignInHealthy?: () => void | Promise<void>;
}

/** 0.8 .. 1.2, fixed per e-mail: retries of many e-mails spread out, yet tests stay deterministic. */
function jitter(id: string): number {
  const byte = createHash('sha256').update(id).digest()[0]!;
  return 0.8 + (byte / 255) * 0.4;
}

class SendTimeoutError extends Error {
  readonly code = 'timeout';
  constructor(ms: number) {
    super(`Sending did not finish within ${Math.round(ms / 1000)} s; it is retried (the first try may still arrive).`);
  }
}

function defaultOwner(): string {
  return `${hostname()}/${randomUUID()}`;
}

/**
 * The deliver stage and the one owner of retries for queued e-mails: claims due outbox rows under
 * a lease, makes one attempt per claim through the DeliveryChannel, and records every attempt.
 * The policy: what is retryable and how long Graph asked to wait come from the channel (the Graph
 * client's decision in graph/retry.ts); the spacing is that module's exponential backoff, never
 * shorter than Retry-After, bounded by maxAttempts. A local hold (`deferred`: the daily recipient
 * budget, a mailbox's Retry-After pause) is no attempt: re-queued for when it ends, uncapped and
 * uncounted. Permanent failures stay visible as `failed` with their diagnosis; failures that
 * need a person park the outbox as `waiting-sign-in` until resumeAfterSignIn(). An attempt is
 * aborted at sendTimeoutMs (down to the HTTP request); an answer that still comes later is
 * recorded as what it was.
 */
export class DeliveryWorker {
  private readonly options: Required<Omit<DeliveryOptions, 'owner'>>;
  private readonly logger: NotifyLogger;
  readonly owner: string;
  private blocked = false;
  /** Resumed without proof that sending works (retryAfterChange): the next success is that proof. */
  private unproven = false;
  private running = 0;
  private readonly inFlightSends = new Set<Promise<unknown>>();
  /** Attempts given up on whose channel may still answer (recorded when it does). */
  private readonly lateAnswers = new Set<Promise<void>>();

  constructor(
    private readonly store: DeliveryStore,
    private readonly channel: DeliveryChannel,
    options: DeliveryOptions,
    private readonly hooks: WorkerHooks,
  ) {
    const merged = { ...DEFAULT_DELIVERY_OPTIONS, ...options };
    this.options = { ...merged, leaseMs: options.leaseMs ?? merged.sendTimeoutMs + merged.abortGraceMs + 60_000 };
    this.owner = options.owner ?? defaultOwner();
    this.logger = hooks.logger ?? noopLogger;
  }

  get signInBlocked(): boolean {
    return this.blocked;
  }

  get inFlight(): number {
    return this.running;
  }

  private lease(now: number): Lease {
    return { owner: this.owner, expiresAt: now + this.options.leaseMs };
  }

  /**
   * At start: rows whose claim expired, or was held by an earlier run of this instance (it
   * stopped mid-send), are queued again (at-least-once; a duplicate carries the same
   * x-o365-notify-id). Claims of other live workers are left alone. Rows waiting for a sign-in get
   * one more try - the user may have run `o365-notify login` while the service was down.
   */
  async recover(now: number): Promise<{ requeued: number; resumed: number }> {
    const requeued = await this.store.outbox.requeueInterrupted(now, { owner: this.owner });
    const resumed = await this.store.outbox.resumeWaiting(now);
    this.blocked = false;
    if (requeued > 0) this.logger.warn({ requeued }, 'e-mails that were being sent when the service stopped are queued again');
    return { requeued, resumed };
  }

  /** Claims of other workers that expired while this one runs (the other one died) are queued again. */
  requeueExpired(now: number): Promise<number> {
    return this.store.outbox.requeueInterrupted(now);
  }

  /** The sign-in works again: waiting e-mails are due at once. */
  resumeAfterSignIn(now: number): Promise<number> {
    this.blocked = false;
    this.unproven = false;
    return this.store.outbox.resumeWaiting(now);
  }

  /**
   * Something changed that may have fixed the refusal (new settings): waiting e-mails get another
   * try, and the first one that goes out counts as the proof (onSignInHealthy), as after a block.
   */
  async retryAfterChange(now: number): Promise<number> {
    const resumed = await this.resumeAfterSignIn(now);
    this.unproven = true;
    return resumed;
  }

  /** Claims as many due rows as there are free slots and sends them; resolves when those are done. */
  async pump(now: number): Promise<DeliveryResult[]> {
    // A closed store means shutdown: what is in flight is re-queued by the next start.
    if (!this.store.isOpen) return [];
    if (this.blocked) {
      await this.store.outbox.parkQueued(now);
      return [];
    }
    const free = this.options.concurrency - this.running;
    const claimed = await this.store.outbox.claimDue(now, free, this.lease(now));
    return Promise.all(claimed.map((c) => this.deliver(c)));
  }

  /** Sends one row at once, even while others wait for a sign-in (a test e-mail checks exactly that). */
  async deliverNow(id: string, now: number): Promise<DeliveryResult | undefined> {
    const claimed = await this.store.outbox.claimById(id, now, this.lease(now));
    return claimed && this.deliver(claimed);
  }

  /** Sends everything due at `now`, round after round (tests and the CLI's one-shot delivery). */
  async drain(now: number): Promise<DeliveryResult[]> {
    const all: DeliveryResult[] = [];
    for (;;) {
      const results = await this.pump(now);
      if (results.length === 0) {
        if (this.running === 0) return all;
        await Promise.race([...this.inFlightSends].map((p) => p.catch(() => undefined)));
        continue;
      }
      all.push(...results);
    }
  }

  /** Resolves once no send is in flight. */
  async idle(): Promise<void> {
    while (this.inFlightSends.size > 0) await Promise.allSettled([...this.inFlightSends]);
  }

  /** Resolves once every late answer still expected has come and been recorded (tests). */
  async lateAnswersRecorded(): Promise<void> {
    while (this.lateAnswers.size > 0) await Promise.allSettled([...this.lateAnswers]);
  }

  private deliver(claimed: ClaimedNotification): Promise<DeliveryResult> {
    // Tracked until recorded, so idle() and drain() see the slot free only once the store has the result.
    this.running++;
    const job: Promise<DeliveryResult> = this.deliverClaimed(claimed).finally(() => {
      this.running--;
      this.inFlightSends.delete(job);
    });
    this.inFlightSends.add(job);
    return job;
  }

  private async deliverClaimed({ notification: n, attemptId }: ClaimedNotification): Promise<DeliveryResult> {
    const started = this.hooks.clock();
    const attempt = this.attempt(n);
    const outcome = await attempt.answer;
    let result: DeliveryResult;
    if (outcome === 'gave-up') {
      const timedOut = outcomeOfError(new SendTimeoutError(this.options.sendTimeoutMs));
      result = await this.record(n, attemptId, started, timedOut);
      // The channel did not stop: what it answers later is recorded as it was.
      const late: Promise<void> = attempt.settled.then((answer) => this.recordLate(n, attemptId, answer)).finally(() => this.lateAnswers.delete(late));
      this.lateAnswers.add(late);
    } else {
      result = await this.record(n, attemptId, started, outcome);
    }
    this.hooks.onResult?.(result);
    return result;
  }

  /**
   * One attempt through the channel, aborted at sendTimeoutMs. `answer` is the outcome, or
   * `gave-up` when the channel did not stop within abortGraceMs of the abort; `settled` is the
   * channel's own answer whenever it comes.
   */
  private attempt(n: NotificationRow): { answer: Promise<DeliveryOutcome | 'gave-up'>; settled: Promise<DeliveryOutcome> } {
    const controller = new AbortController();
    const settled = Promise.resolve()
      .then(() =>
        this.channel.send(
          {
            to: n.to,
            cc: n.cc,
            bcc: n.bcc,
            subject: n.subject,
            html: n.html,
            text: n.text,
            importance: n.importance,
            headers: { [NOTIFY_ID_HEADER]: n.id, [NOTIFY_KIND_HEADER]: n.kind },
          },
          { signal: controller.signal },
        ),
      )
      .catch((err: unknown) => outcomeOfError(controller.signal.aborted ? (controller.signal.reason as unknown) : err));
    let abortTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'gave-up'>((resolve) => {
      abortTimer = setTimeout(() => {
        controller.abort(new SendTimeoutError(this.options.sendTimeoutMs));
        graceTimer = setTimeout(() => resolve('gave-up'), this.options.abortGraceMs);
      }, this.options.sendTimeoutMs);
    });
    const answer = Promise.race([settled, gaveUp]).finally(() => {
      clearTimeout(abortTimer);
      clearTimeout(graceTimer);
    });
    return { answer, settled };
  }

  private retryDelay(id: string, retries: number, afterMs: number | null): number {
    // The Graph client's backoff (graph/retry.ts) on the worker's scale, fixed jitter per e-mail.
    const step = backoffDelay(retries, { maxAttempts: this.options.maxAttempts, maxTotalMs: Infinity, baseDelayMs: this.options.retryBaseMs, maxDelayMs: this.options.retryMaxMs }, () => 1);
    return Math.round(Math.max(step * jitter(id), Math.min(afterMs ?? 0, this.options.retryMaxMs)));
  }



  private async record(n: NotificationRow, attemptId: number, started: number, outcome: DeliveryOutcome): Promise<DeliveryResult> {
    const { id, kind, attempts: attempt } = n;
    const at = this.hooks.clock();
    const latencyMs = Math.max(0, at - started);
    const failure = outcome.kind === 'sent' ? null : outcome.problem;
    const base = { id, kind, outcome: outcome.kind, attempt, latencyMs, requests: outcome.requests, failure };
    if (!this.store.isOpen) {
      // The store was closed under a send (shutdown): the row stays `sending` and is re-queued on the next start.
      return { ...base, status: 'sending' };
    }
    const lost = async (s: FinishResult): Promise<NotificationStatus> => {
      if (s !== 'lost') return s;
      this.logger.warn({ id, attempt, outcome: outcome.kind }, 'the claim on this e-mail expired during the send; another worker owns it now, so only the attempt is recorded');
      return (await this.store.outbox.get(id))?.status ?? 'sending';
    };
    if (outcome.kind === 'sent') {
      const status = await lost(
        await this.store.unitOfWork(async (tx) => {
          const s = await tx.outbox.finishAttemptWith(n.id, attemptId, { result: 'sent', at, messageId: outcome.messageId, httpRequests: outcome.requests });
          if (s !== 'lost') await tx.events.settleCarriedBy(id, 'notified');
          return s;
        }),
      );
      if (this.blocked || this.unproven) {
        // Proof that sending works again (someone signed in): release the waiting e-mails.
        await this.resumeAfterSignIn(at);
        this.logger.info({ id }, 'an e-mail went out again; e-mails waiting for a sign-in are queued');
        await this.hooks.onSignInHealthy?.();
      }
      return { ...base, status };
    }
    const problem = outcome.problem;
    if (outcome.kind === 'deferred') {
      // Held back here (recipient budget, Retry-After pause): no attempt at Microsoft, so none is counted and
      // the retry delay's cap does not apply; the row waits, its reason shown, until exactly then.
      const until = at + outcome.afterMs;
      const status = await lost(await this.store.outbox.deferClaim(id, attemptId, { at, until, error: problem.message, diagnosis: problem.diagnosis }));
      // The channel logged the hold (with its reason and wait); the row says until when.
      return { ...base, attempt: attempt - 1, status };
    }
    const details = {
      at,
      statusCode: problem.statusCode,
      errorCode: problem.code,
      error: problem.message,
      diagnosis: problem.diagnosis,
      httpRequests: outcome.requests,
    };
    let status: NotificationStatus;
    const retries = (await this.store.outbox.retryCount(id)) + 1;
    if (outcome.kind === 'needs-sign-in') {
      status = await lost(
        await this.store.unitOfWork(async (tx) => {
          const s = await tx.outbox.finishAttemptWith(n.id, attemptId, { result: 'waiting-sign-in', ...details });
          await tx.outbox.parkQueued(at);
          return s;
        }),
      );
      if (!this.blocked) {
        this.blocked = true;
        this.logger.warn({ code: problem.code, guideStep: problem.diagnosis?.guideStep }, 'sending needs a new sign-in; e-mails wait until then');
        await this.hooks.onSignInNeeded?.(problem);
      }
    } else if (outcome.kind === 'retry' && retries < this.options.maxAttempts) {
      status = await lost(await this.store.outbox.finishAttemptWith(n.id, attemptId, { result: 'retry', ...details, nextAttemptAt: at + this.retryDelay(id, retries, outcome.afterMs) }));
    } else {
      const gaveUp = outcome.kind === 'retry' ? `${problem.message} (gave up after ${this.options.maxAttempts} attempts)` : problem.message;
      status = await lost(
        await this.store.unitOfWork(async (tx) => {
          const s = await tx.outbox.finishAttemptWith(n.id, attemptId, { result: 'failed', ...details, error: gaveUp });
          if (s !== 'lost') await tx.events.settleCarriedBy(id, 'failed');
          return s;
        }),
      );
      this.logger.error({ id, code: problem.code, guideStep: problem.diagnosis?.guideStep }, `e-mail failed: ${gaveUp}`);
    }
    return { ...base, status };
  }

  /** The answer to an attempt already recorded as timed out: the attempt gets what really happened. */
  private async recordLate(n: NotificationRow, attemptId: number, outcome: DeliveryOutcome): Promise<void> {
    if (!this.store.isOpen) return;
    const at = this.hooks.clock();
    // A hold answered this late is recorded as a retry: the timed-out attempt already re-queued the row.
    const result = outcome.kind === 'sent' ? 'sent' : outcome.kind === 'needs-sign-in' ? 'waiting-sign-in' : outcome.kind === 'deferred' ? 'retry' : outcome.kind;
    const p = outcome.kind === 'sent' ? null : outcome.problem;
    const status = await this.store.unitOfWork(async (tx) => {
      const s = await tx.outbox.recordLateAnswer(n.id, attemptId, {
        result,
        at,
        statusCode: p?.statusCode ?? null,
        errorCode: p?.code ?? null,
        error: p?.message ?? null,
        diagnosis: p?.diagnosis ?? null,
        messageId: outcome.kind === 'sent' ? outcome.messageId : null,
        httpRequests: outcome.requests,
      });
      if (s === 'sent' && outcome.kind === 'sent') await tx.events.settleCarriedBy(n.id, 'notified');
      return s;
    });
    this.logger.warn({ id: n.id, attempt: n.attempts, outcome: outcome.kind, status }, 'an attempt answered after its send timeout; recorded as it was');
  }
}
