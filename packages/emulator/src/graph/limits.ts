import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context.js';
import { GraphError, TEXT, throttled } from './errors.js';
import type { OverLimit } from './ndr.js';

/**
 * Graph's Outlook service limits per app and mailbox (concurrency, requests per 10 minutes,
 * upload bytes per 5 minutes) and Exchange Online's sending limits per mailbox (messages per
 * minute, recipients per day), on the emulator clock, from ctx.limits.
 */

/** A sliding-window sum; entries closer than `resolutionMs` are merged so memory stays bounded. */
class SlidingWindow {
  private entries: { t: number; n: number }[] = [];
  private sum = 0;

  constructor(
    private readonly windowMs: number,
    private readonly resolutionMs: number,
  ) {}

  private prune(nowMs: number): void {
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.t <= nowMs - this.windowMs) {
      this.sum -= this.entries[drop]!.n;
      drop += 1;
    }
    if (drop > 0) this.entries.splice(0, drop);
  }

  total(nowMs: number): number {
    this.prune(nowMs);
    return this.sum;
  }

  add(nowMs: number, n: number): void {
    const last = this.entries[this.entries.length - 1];
    if (last && nowMs - last.t < this.resolutionMs) last.n += n;
    else this.entries.push({ t: nowMs, n });
    this.sum += n;
  }

  /**
   * The first moment (ms) one more entry fits under `limit`, counting entries already placed in
   * the future: messages carried over to the following minutes, in order.
   */
  nextRoom(limit: number, nowMs: number): number {
    const last = this.entries[this.entries.length - 1];
    let at = Math.max(nowMs, last ? last.t : nowMs);
    for (;;) {
      const inWindow = this.entries.filter((e) => e.t > at - this.windowMs);
      let over = inWindow.reduce((sum, e) => sum + e.n, 0) + 1 - limit;
      // An empty window always has room (a limit under 1 would otherwise never be met).
      if (over <= 0 || inWindow.length === 0) return at;
      for (const e of inWindow) {
        over -= e.n;
        if (over <= 0) {
          at = e.t + this.windowMs;
          break;
        }
      }
    }
  }

  /** Seconds until `needed` more fit under `limit` (at least 1). */
  secondsUntilRoom(nowMs: number, needed: number, limit: number): number {
    this.prune(nowMs);
    let over = this.sum + needed - limit;
    for (const e of this.entries) {
      over -= e.n;
      if (over <= 0) return Math.max(1, Math.ceil((e.t + this.windowMs - nowMs) / 1000));
    }
    return Math.max(1, Math.ceil(this.windowMs / 1000));
  }
}

/** What a submitted message gets: accepted now (undefined), refused with an NDR, or delivered later. */
export type Admission = undefined | { refuse: OverLimit } | { delayUntilMs: number };

interface Arrival {
  key: string;
  throttled: boolean;
}

const MINUTE = 60_000;

export class MailboxLimits {
  private readonly arrivals = new WeakMap<IncomingMessage, Arrival>();
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(private readonly ctx: EmulatorContext) {}

  private window(name: string, key: string, windowMs: number, resolutionMs: number): SlidingWindow {
    const id = `${name}|${key}`;
    let w = this.windows.get(id);
    if (!w) {
      w = new SlidingWindow(windowMs, resolutionMs);
      this.windows.set(id, w);
    }
    return w;
  }

  /**
   * Counts a request as in flight for its app (or app and mailbox) from the moment it arrives (before any
   * injected delay) until its response is finished, so "4 concurrent requests" means requests
   * the server is holding, as at Exchange. One over the limit is marked and will get 429.
   */
  arrive(request: IncomingMessage, response: ServerResponse, key: string): void {
    // `app`: one count per app ID, whichever mailbox (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits).
    const counted = this.ctx.limits.concurrencyScope === 'app' ? key.split('|')[0]! : key;
    const inFlight = this.ctx.stats.enterMailbox(counted);
    const over = inFlight > this.ctx.limits.concurrentRequestsPerMailbox;
    this.arrivals.set(request, { key, throttled: over });
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.ctx.stats.leaveMailbox(counted);
    };
    if (over) leave();
    else {
      response.once('finish', leave);
      response.once('close', leave);
    }
  }

  /**
   * The Graph-side budgets of one request to a mailbox, in Exchange's order: concurrency, then
   * requests per 10 minutes, then bytes uploaded per 5 minutes. Throws the 429 to answer.
   */
  admit(request: IncomingMessage, key: string, uploadBytes: number): void {
    const arrival = this.arrivals.get(request);
    if (arrival?.key === key && arrival.throttled) throw this.count(throttled('MailboxConcurrency', 1));
    const now = this.ctx.clock.now();
    const requests = this.window('requests', key, 10 * MINUTE, 1000);
    const requestLimit = this.ctx.limits.requestsPer10Minutes;
    if (requests.total(now) + 1 > requestLimit) {
      throw this.count(throttled('RequestsPer10Minutes', requests.secondsUntilRoom(now, 1, requestLimit)));
    }
    if (uploadBytes > 0) {
      const bytes = this.window('bytes', key, 5 * MINUTE, 1000);
      const byteLimit = this.ctx.limits.uploadBytesPer5Minutes;
      if (bytes.total(now) + uploadBytes > byteLimit) {
        throw this.count(throttled('IncomingBytes', bytes.secondsUntilRoom(now, uploadBytes, byteLimit)));
      }
      bytes.add(now, uploadBytes);
    }
    requests.add(now, 1);
  }

  /**
   * Exchange Online's sending limits of a mailbox: messages per minute and recipients per day.
   * Checked when a message is submitted, and recorded only when it is accepted. Over a limit,
   * by `sendingLimitAnswer`: "ndr" (default) returns the reason, the message is accepted (202)
   * and answered with a non-delivery report, as Exchange does after acceptance; "delay" carries a
   * message over the per-minute limit to the first moment the minute has room (Microsoft's other
   * reading; over the daily limit still the NDR); "throttle" throws the 429 the emulator gave
   * before (issue 13.7, docs/emulator.md).
   */
  admitMessage(mailboxId: string, recipientCount: number): Admission {
    const now = this.ctx.clock.now();
    const answer = this.ctx.limits.sendingLimitAnswer;
    const messages = this.window('messages', mailboxId, MINUTE, 1);
    const perMinute = this.ctx.limits.messagesPerMinute;
    let at = now;
    if (messages.total(now) + 1 > perMinute) {
      if (answer === 'throttle') throw this.count(throttled('MessagesPerMinute', messages.secondsUntilRoom(now, 1, perMinute)));
      if (answer !== 'delay') return { refuse: { kind: 'messages-per-minute', limit: perMinute } };
      at = messages.nextRoom(perMinute, now);
    }
    const recipients = this.window('recipients', mailboxId, 24 * 60 * MINUTE, MINUTE);
    const perDay = this.ctx.limits.recipientsPerDay;
    if (recipients.total(now) + recipientCount > perDay) {
      if (answer !== 'throttle') return { refuse: { kind: 'recipients-per-day', limit: perDay } };
      const wait = recipientCount > perDay ? 24 * 3600 : recipients.secondsUntilRoom(now, recipientCount, perDay);
      throw this.count(new GraphError(429, 'ErrorExceededMessageLimit', TEXT.dailyRecipientLimit, { 'Retry-After': String(wait) }));
    }
    messages.add(at, 1);
    recipients.add(now, recipientCount);
    return at > now ? { delayUntilMs: at } : undefined;
  }

  private count(error: GraphError): GraphError {
    if (error.status === 429) this.ctx.stats.throttled429 += 1;
    return error;
  }

  /** Forgets every window (DELETE /_emulator/mailboxes starts over). */
  reset(): void {
    this.windows.clear();
  }
}
