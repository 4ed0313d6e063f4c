import type { InstanceHolds, InstanceRegistry } from './instances.js';

export interface Heartbeat {
  /** Failed heartbeats in a row (the database unreachable); 0 once one succeeds again. */
  readonly failures: number;
  /** Stops the heartbeats and deregisters (a clean stop); a killed process simply stops beating. */
  stop(): Promise<void>;
}

/**
 * Registers this instance and heartbeats every `intervalMs` with what `holds()` reports. A failed
 * heartbeat (database unreachable) is counted and reported through `onError`, never thrown: the
 * next one retries, and if the outage outlasts the staleness limit the others see this instance
 * as gone until it is back.
 */
export async function startHeartbeat(
  registry: InstanceRegistry,
  intervalMs: number,
  holds: () => InstanceHolds = () => ({}),
  onError: (err: unknown) => void = () => undefined,
): Promise<Heartbeat> {
  await registry.register();
  let failures = 0;
  let beating: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    beating = registry.heartbeat(holds()).then(
      () => {
        failures = 0;
      },
      (err: unknown) => {
        failures += 1;
        onError(err);
      },
    );
  }, intervalMs);
  timer.unref();
  return {
    get failures() {
      return failures;
    },
    async stop() {
      clearInterval(timer);
      await beating;
      await registry.deregister();
    },
  };
}
