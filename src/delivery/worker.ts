import { createHash } from 'node:crypto';
import type { ClaimedNotification, NotificationStatus, Store } from '../store/index.js';
import { NOTIFY_ID_HEADER, NOTIFY_KIND_HEADER, describeSendError, needsSignIn, type MailSender, type SendFailure } from './mail-sender.js';
import { noopLogger, type NotifyLogger } from '../infra/index.js';

export interface DeliveryOptions {
  /** E-mails sent at the same time (Graph allows 4 concurrent requests per mailbox). */
  concurrency?: number;
  /** Retryable failures before an e-mail is marked failed. */
  maxAttempts?: number;
  /** First retry delay; doubles each time up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A send that takes longer is treated as a retryable failure (it may still arrive: at-least-once). */
  sendTimeoutMs?: number;
}

export const DEFAULT_DELIVERY_OPTIONS: Required<DeliveryOptions> = {
  concurrency: 4,
  maxAttempts: 10,
  retryBaseMs: 30_000,
  retryMaxMs: 60 * 60_000,
  sendTimeoutMs: 120_000,
};

export interface DeliveryResult {
  id: string;
  kind: string;
  status: NotificationStatus;
  attempt: number;
  latencyMs: number;
  failure: SendFailure | null;
}

export interface WorkerHooks {
  clock: () => number;
  logger?: NotifyLogger;
  onResult?: (result: DeliveryResult) => void;
  /** A sender error said the sign-in must be renewed; every e-mail now waits. */
  onSignInNeeded?: (failure: SendFailure) => void;
  /** An e-mail went out while e-mails were waiting for a sign-in: the waiting ones are queued again. */
  onSignInHealthy?: () => void;
}

/** 0.8 .. 1.2, fixed per e-mail: retries of many e-mails spread out, yet tests stay deterministic. */
function jitter(id: string): number {
  const byte = createHash('sha256').update(id).digest()[0]!;
  return 0.8 + (byte / 255) * 0.4;
}

class SendTimeoutError extends Error {
  readonly retryable = true;
  readonly code = 'timeout';
  constructor(ms: number) {
    super(`Sending did not finish within ${Math.round(ms / 1000)} s; it is retried (the first try may still arrive).`);
  }
}

/**
 * The deliver stage: takes due outbox rows, sends them through the MailSender, and records every
 * attempt. Retryable errors come back with exponential backoff (bounded by maxAttempts);
 * permanent ones stay visible as `failed` with their diagnosis; errors that need a person to sign
 * in again park the whole outbox as `waiting-sign-in` until resumeAfterSignIn().
 */
export class DeliveryWorker {
  private readonly options: Required<DeliveryOptions>;
  private readonly logger: NotifyLogger;
  private blocked = false;
  private running = 0;
  private readonly inFlightSends = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly sender: MailSender,
    options: DeliveryOptions,
    private readonly hooks: WorkerHooks,
  ) {
    this.options = { ...DEFAULT_DELIVERY_OPTIONS, ...options };
    this.logger = hooks.logger ?? noopLogger;
  }

  get signInBlocked(): boolean {
    return this.blocked;
  }

  get inFlight(): number {
    return this.running;
  }

  /**
   * After a crash: rows left `sending` are queued again (at-least-once; a duplicate carries the
   * same x-o365-notify-id), and rows waiting for a sign-in get one more try - the user may have
   * run `o365-notify login` while the service was down.
   */
  recover(now: number): { requeued: number; resumed: number } {
    const requeued = this.store.outbox.requeueInterrupted(now);
    const resumed = this.store.outbox.resumeWaiting(now);
    this.blocked = false;
    if (requeued > 0) this.logger.warn({ requeued }, 'e-mails that were being sent when the service stopped are queued again');
    return { requeued, resumed };
  }

  /** The sign-in works again: waiting e-mails are due at once. */
  resumeAfterSignIn(now: number): number {
    this.blocked = false;
    return this.store.outbox.resumeWaiting(now);
  }

  /** Claims as many due rows as there are free slots and sends them; resolves when those are done. */
  async pump(now: number): Promise<DeliveryResult[]> {
    // A closed store means shutdown: what is in flight is re-queued by the next start.
    if (!this.store.isOpen) return [];
    if (this.blocked) {
      this.store.outbox.parkQueued(now);
      return [];
    }
    const free = this.options.concurrency - this.running;
    const claimed = this.store.outbox.claimDue(now, free);
    return Promise.all(claimed.map((c) => this.deliver(c)));
  }

  /** Sends one row at once, even while others wait for a sign-in (a test e-mail checks exactly that). */
  async deliverNow(id: string, now: number): Promise<DeliveryResult | undefined> {
    const claimed = this.store.outbox.claimById(id, now);
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

  private async deliver({ notification: n, attemptId }: ClaimedNotification): Promise<DeliveryResult> {
    this.running++;
    const started = this.hooks.clock();
    const send = this.sendWithTimeout({
      to: n.to,
      cc: n.cc,
      bcc: n.bcc,
      subject: n.subject,
      html: n.html,
      text: n.text,
      importance: n.importance,
      headers: { [NOTIFY_ID_HEADER]: n.id, [NOTIFY_KIND_HEADER]: n.kind },
    });
    this.inFlightSends.add(send);
    let result: DeliveryResult;
    try {
      const sent = await send;
      result = this.record(n.id, n.kind, attemptId, n.attempts, started, { ok: true, messageId: sent?.messageId ?? null });
    } catch (err) {
      result = this.record(n.id, n.kind, attemptId, n.attempts, started, { ok: false, failure: describeSendError(err) });
    } finally {
      this.inFlightSends.delete(send);
      this.running--;
    }
    this.hooks.onResult?.(result);
    return result;
  }

  private sendWithTimeout(email: Parameters<MailSender['send']>[0]) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendTimeoutError(this.options.sendTimeoutMs)), this.options.sendTimeoutMs);
    });
    return Promise.race([Promise.resolve().then(() => this.sender.send(email)), timeout]).finally(() => clearTimeout(timer));
  }

  private retryDelay(id: string, retries: number, failure: SendFailure): number {
    const backoff = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** Math.max(0, retries - 1)) * jitter(id);
    return Math.round(Math.max(backoff, Math.min(failure.retryAfterMs ?? 0, this.options.retryMaxMs)));
  }

  private record(
    id: string,
    kind: string,
    attemptId: number,
    attempt: number,
    started: number,
    outcome: { ok: true; messageId: string | null } | { ok: false; failure: SendFailure },
  ): DeliveryResult {
    const at = this.hooks.clock();
    const latencyMs = Math.max(0, at - started);
    if (!this.store.isOpen) {
      // The store was closed under a send (shutdown): the row stays `sending` and is re-queued on the next start.
      return { id, kind, status: 'sending', attempt, latencyMs, failure: outcome.ok ? null : outcome.failure };
    }
    if (outcome.ok) {
      this.store.transaction(() => {
        this.store.outbox.finishAttemptWith(id, attemptId, { result: 'sent', at, messageId: outcome.messageId });
        this.store.events.settleCarriedBy(id, 'notified');
      });
      if (this.blocked) {
        // Proof that sending works again (someone signed in): release the waiting e-mails.
        this.resumeAfterSignIn(at);
        this.logger.info({ id }, 'an e-mail went out again; e-mails waiting for a sign-in are queued');
        this.hooks.onSignInHealthy?.();
      }
      return { id, kind, status: 'sent', attempt, latencyMs, failure: null };
    }
    const failure = outcome.failure;
    const details = {
      at,
      statusCode: failure.statusCode,
      errorCode: failure.code,
      error: failure.message,
      diagnosis: failure.diagnosis,
    };
    let status: NotificationStatus;
    if (needsSignIn(failure)) {
      status = this.store.transaction(() => {
        const s = this.store.outbox.finishAttemptWith(id, attemptId, { result: 'waiting-sign-in', ...details });
        this.store.outbox.parkQueued(at);
        return s;
      });
      if (!this.blocked) {
        this.blocked = true;
        this.logger.warn({ code: failure.code, guideStep: failure.diagnosis?.guideStep }, 'sending needs a new sign-in; e-mails wait until then');
        this.hooks.onSignInNeeded?.(failure);
      }
    } else if (failure.retryable && this.store.outbox.retryCount(id) + 1 < this.options.maxAttempts) {
      const retries = this.store.outbox.retryCount(id) + 1;
      status = this.store.outbox.finishAttemptWith(id, attemptId, {
        result: 'retry',
        ...details,
        nextAttemptAt: at + this.retryDelay(id, retries, failure),
      });
    } else {
      const gaveUp = failure.retryable
        ? `${failure.message} (gave up after ${this.options.maxAttempts} attempts)`
        : failure.message;
      status = this.store.transaction(() => {
        const s = this.store.outbox.finishAttemptWith(id, attemptId, { result: 'failed', ...details, error: gaveUp });
        this.store.events.settleCarriedBy(id, 'failed');
        return s;
      });
      this.logger.error({ id, code: failure.code, guideStep: failure.diagnosis?.guideStep }, `e-mail failed: ${gaveUp}`);
    }
    return { id, kind, status, attempt, latencyMs, failure };
  }
}
