import type { Clock } from '../../../src/graph/clock.js';

/** Virtual time: sleeps resolve only when the test moves the clock, so nothing waits for real. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  /** Every sleep requested, in ms (to check waits without timing anything). */
  readonly sleeps: number[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve }));
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      const next = this.nextTimer();
      if (!next || next.at > target) break;
      this.fire(next);
      await settle();
    }
    this.t = target;
    await settle();
  }

  /** Runs virtual time until `promise` settles (jumping from timer to timer). */
  async run<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const watched = promise.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    await settle();
    while (!done) {
      const next = this.nextTimer();
      if (!next) {
        await settle();
        if (done) break;
        throw new Error('FakeClock.run: the promise waits for something other than the clock');
      }
      this.fire(next);
      await settle();
    }
    return watched;
  }

  private nextTimer() {
    return [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
  }

  private fire(timer: { at: number; seq: number; resolve: () => void }): void {
    this.timers = this.timers.filter((t) => t !== timer);
    if (timer.at > this.t) this.t = timer.at;
    timer.resolve();
  }
}

/** Lets every pending promise continuation run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
