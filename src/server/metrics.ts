import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process side of GET /metrics: prom-client's default metrics (process_cpu_*, resident memory,
 * open file descriptors, event-loop lag, heap, GC) and the token refreshes the sign-in made. The
 * notification service adds its own counters and gauges (`NotifyMetrics`) in front of these.
 */
export function processMetrics(tokenEndpointCalls: () => number): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Counter({
    name: 'o365_notify_token_refreshes_total',
    help: 'Access tokens fetched from the Microsoft identity platform token endpoint (not from cache).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(tokenEndpointCalls());
    },
  });
  return registry;
}
