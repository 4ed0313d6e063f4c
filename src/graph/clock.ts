/**
 * Time as the mail client sees it. Pacing and retries only wait through this, so unit tests
 * drive them with a fake clock instead of waiting for real.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  // Sub-millisecond and monotonic within the process, still on the epoch (Retry-After dates).
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
