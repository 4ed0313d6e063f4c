import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimiter, MailboxPacer, TokenBucket } from '../../src/graph/pacing.js';
import { FakeClock, settle } from './support/fake-clock.js';

/** Most events in any window of `windowMs` (a sliding window, as a strict server would count). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('TokenBucket', () => {
  it('spreads a burst of 100 messages so no minute holds more than 30, at >= 95 % of the allowed rate', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(clock, { limit: 30, windowMs: 60_000 });
    const start = clock.now();
    const times: number[] = [];
    await clock.run(Promise.all(Array.from({ length: 100 }, () => bucket.take().then(() => times.push(clock.now())))));
    assert.equal(times.length, 100);
    assert.equal(times[0], start, 'the first message goes at once');
    assert.ok(maxInWindow(times, 60_000) <= 30, `max in a minute: ${maxInWindow(times, 60_000)}`);
    const ratePerMinute = ((times.length - 1) / (times.at(-1)! - start)) * 60_000;
    assert.ok(ratePerMinute / 30 >= 0.95 && ratePerMinute <= 30, `rate ${ratePerMinute}/min`);
    // FIFO: times never go backwards in call order.
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!);
  });

  it('lets a configured burst through at once and still holds the window limit', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(clock, { limit: 10, windowMs: 60_000, burst: 5 });
    const times: number[] = [];
    await clock.run(Promise.all(Array.from({ length: 25 }, () => bucket.take().then(() => times.push(clock.now())))));
    assert.equal(times.filter((t) => t === times[0]).length, 5);
    assert.ok(maxInWindow(times, 60_000) <= 10);
  });

  it('refills while idle, but never beyond its capacity', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(clock, { limit: 30, windowMs: 60_000, burst: 2 });
    assert.equal(bucket.reserve(), 0);
    assert.equal(bucket.reserve(), 0);
    assert.ok(bucket.reserve() > 0);
    await clock.advance(3_600_000);
    assert.equal(bucket.reserve(), 0);
    assert.equal(bucket.reserve(), 0);
    assert.ok(bucket.reserve() > 0, 'an hour idle still allows only the burst');
  });

  it('rejects a limit below 1', () => {
    assert.throws(() => new TokenBucket(new FakeClock(), { limit: 0, windowMs: 60_000 }), RangeError);
  });
});

describe('ConcurrencyLimiter', () => {
  it('keeps at most N in flight and serves waiters in order', async () => {
    const limiter = new ConcurrencyLimiter(4);
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const all = Array.from({ length: 10 }, (_, i) =>
      limiter.acquire().then((release) => {
        order.push(i);
        releases.push(release);
      }),
    );
    await settle();
    assert.deepEqual(order, [0, 1, 2, 3]);
    assert.equal(limiter.inFlight, 4);
    assert.equal(limiter.queued, 6);
    releases[0]!();
    releases[0]!(); // releasing twice frees one slot only
    await settle();
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal(limiter.inFlight, 4);
    while (order.length < 10) {
      releases.shift()!();
      releases.shift();
      await settle();
    }
    await Promise.all(all);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(limiter.peak, 4);
  });
});

describe('MailboxPacer', () => {
  it('holds every request of the mailbox until a Retry-After pause is over', async () => {
    const clock = new FakeClock();
    const pacer = new MailboxPacer(clock, { concurrency: 2, messagesPerMinute: 6000 });
    const t0 = clock.now();
    pacer.pauseUntil(t0 + 5_000);
    pacer.pauseUntil(t0 + 1_000); // an earlier end never shortens the pause
    const started: number[] = [];
    const slots = await clock.run(
      Promise.all(Array.from({ length: 2 }, () => pacer.begin({ countsAsMessage: false }).then((slot) => (started.push(clock.now()), slot)))),
    );
    assert.deepEqual(started, [t0 + 5_000, t0 + 5_000]);
    assert.equal(slots[0]!.waitedMs, 5_000);
    slots.forEach((s) => s.release());
  });

  it('checks the pause last, even when a late message had to take a new turn', async () => {
    const clock = new FakeClock();
    const pacer = new MailboxPacer(clock, { concurrency: 1, messagesPerMinute: 60 });
    const t0 = clock.now();
    const first = await clock.run(pacer.begin({ countsAsMessage: true }));
    let sentAt: number | undefined;
    const second = pacer.begin({ countsAsMessage: true }).then((slot) => {
      sentAt = clock.now();
      return slot;
    });
    const third = pacer.begin({ countsAsMessage: true });
    await clock.advance(3_000);
    first.release(); // the second message gets the slot 2 s after its turn: it takes a new turn
    await clock.advance(20);
    assert.equal(sentAt, undefined);
    pacer.pauseUntil(t0 + 6_000); // a 429 answer arrives while it waits for that turn
    const slot = await clock.run(second);
    assert.ok(sentAt! >= t0 + 6_000, `sent at +${sentAt! - t0} ms, during the pause`);
    slot.release();
    (await clock.run(third)).release();
  });

  it('shares one concurrency limit and one message budget between all sends', async () => {
    const clock = new FakeClock();
    const pacer = new MailboxPacer(clock, { concurrency: 3, messagesPerMinute: 60 });
    let inFlight = 0;
    let peak = 0;
    const sentAt: number[] = [];
    const send = async () => {
      const slot = await pacer.begin({ countsAsMessage: true });
      inFlight++;
      peak = Math.max(peak, inFlight);
      sentAt.push(clock.now());
      await clock.sleep(5_000);
      inFlight--;
      slot.release();
    };
    await clock.run(Promise.all(Array.from({ length: 12 }, send)));
    assert.equal(peak, 3);
    assert.equal(pacer.slots.peak, 3);
    assert.ok(maxInWindow(sentAt, 60_000) <= 60);
    // 60 a minute with burst 1: about one a second, never closer.
    for (let i = 1; i < sentAt.length; i++) assert.ok(sentAt[i]! - sentAt[i - 1]! >= 1_000);
  });
});
