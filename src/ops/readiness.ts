import { setTimeout as sleep } from 'node:timers/promises';

/** Where a local client reaches the service: a wildcard listen address is reached on loopback. */
export function localServiceUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export interface ReadinessResult {
  ready: boolean;
  /** The last answer or error seen, for the message when it never became ready. */
  last: string;
}

/** Polls GET /readyz until it answers 200 or the time is up (systemd's ExecStartPost= waits on this). */
export async function waitUntilReady(baseUrl: string, timeoutMs: number, intervalMs = 250): Promise<ReadinessResult> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const response = await fetch(new URL('/readyz', baseUrl), { signal: AbortSignal.timeout(Math.max(1, Math.min(5000, deadline - Date.now()))) });
      await response.body?.cancel();
      if (response.status === 200) return { ready: true, last: '200' };
      last = `HTTP ${response.status}`;
    } catch (err) {
      last = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    }
    if (Date.now() + intervalMs > deadline) return { ready: false, last };
    await sleep(intervalMs);
  }
}
