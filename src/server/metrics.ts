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

/**
 * Every sample of a Prometheus text exposition with `instance="<id>"` added (issue 16: several
 * instances on one database, each scraped on its own, told apart by the label). Comment lines
 * (# HELP, # TYPE) are kept as they are.
 */
export function withInstanceLabel(text: string, instance: string): string {
  const label = `instance="${instance.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  return text
    .split('\n')
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
      if (!m) return line;
      const name = m[0];
      const rest = line.slice(name.length);
      return rest.startsWith('{') ? `${name}{${label},${rest.slice(1)}` : `${name}{${label}}${rest}`;
    })
    .join('\n');
}
