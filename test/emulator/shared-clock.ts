import type { Clock as EmulatorClock } from '../../packages/emulator/src/clock.js';
import type { Clock } from '../../src/graph/clock.js';
import type { HttpTransport } from '../../src/graph/http.js';

/**
 * One virtual time for the product's mail client and an in-process emulator, so a test of
 * per-minute limits runs minutes of traffic in seconds with real HTTPS in between. The client's
 * `now()` is the emulator's clock; its sleeps wait until the driver moves that clock. The driver
 * only jumps while no request is in flight (counted by `track`), to the earliest sleeper: every
 * request reaches the emulator at the virtual time the client sent it.
 */
export class SharedVirtualClock implements Clock {
  private timers: { at: number; resolve: () => void }[] = [];
  private inFlight = 0;
  /** Virtual milliseconds the driver jumped. */
  jumpedMs = 0;

  constructor(private readonly emulator: EmulatorClock) {}

  now(): number {
    return this.emulator.now();
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.timers.push({ at: this.now() + ms, resolve }));
  }

  /** The transport with its requests counted (the driver waits for them). */
  track(inner: HttpTransport): HttpTransport {
    return {
      request: async (req) => {
        this.inFlight += 1;
        try {
          return await inner.request(req);
        } finally {
          this.inFlight -= 1;
        }
      },
      close: () => inner.close(),
    };
  }

  /** Drives virtual time until `work` settles; fails after `timeoutMs` of real time. */
  async run<T>(work: Promise<T>, timeoutMs = 60_000): Promise<T> {
    let done = false;
    const watched = work.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (!done) {
      if (Date.now() > deadline) throw new Error(`SharedVirtualClock.run: not settled within ${timeoutMs} ms (${this.timers.length} sleeping, ${this.inFlight} in flight)`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (this.inFlight > 0 || this.timers.length === 0) continue;
      await settle();
      if (this.inFlight > 0 || done) continue;
      const next = Math.min(...this.timers.map((t) => t.at));
      const ahead = next - this.now();
      if (ahead > 0) {
        this.emulator.advance(ahead);
        this.jumpedMs += ahead;
      }
      const now = this.now();
      const due = this.timers.filter((t) => t.at <= now);
      this.timers = this.timers.filter((t) => t.at > now);
      for (const t of due) t.resolve();
    }
    return watched;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
