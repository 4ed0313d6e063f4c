import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { type RunningEmulator, DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../packages/emulator/src/index.js';
import { createMailClient } from '../src/graph/index.js';
import type { AccessTokenResult, TokenProvider } from '../src/graph/token-provider.js';

/**
 * Issue 4 section 4: N e-mails through the real mail client against the emulator with known,
 * raised limits. Reports achieved / allowed send rate, 429s, token-endpoint calls per 1,000
 * e-mails, and the client's own overhead per send against the emulator's latency.
 */

export interface MailBenchOptions {
  emulator: Pick<RunningEmulator, 'url' | 'caPem' | 'seededSecrets'>;
  /** E-mails to send (default 1,000). */
  messages?: number;
  /** The raised Exchange limit for the run, set on the emulator and given to the client (default 12,000/min). */
  messagesPerMinute?: number;
  /** Graph's per-mailbox concurrency, kept at its real value (4). */
  concurrency?: number;
  /** Sends kept outstanding, like an outbox worker feeding the client (default 16). */
  outstanding?: number;
  /** Attachment bytes per e-mail (default 0: none). */
  attachmentBytes?: number;
  sender?: string;
  recipient?: string;
  /**
   * Default: client credentials against the emulator's token endpoint, cached until near expiry.
   * A provider without `tokenEndpointCalls` is counted by its forced refreshes.
   */
  tokenProvider?: TokenProvider & { readonly tokenEndpointCalls?: number };
}

export interface Percentiles {
  p50: number;
  p99: number;
}

export interface MailBenchResult {
  messages: number;
  delivered: number;
  failed: number;
  durationMs: number;
  allowedPerMinute: number;
  achievedPerMinute: number;
  /** achieved / allowed; target >= 0.95. */
  rateRatio: number;
  /** 429s the client received, and those the emulator counts as sent. */
  throttled429: { client: number; emulator: number };
  /** Calls to the token endpoint during the run (a valid cached token means none). */
  tokenEndpointCalls: number;
  /** The call that got the first token, before the run (a running service has done it already). */
  startupTokenEndpointCalls: number;
  /** Target <= 1 while the token is valid. */
  tokenEndpointCallsPer1000: number;
  /** Per send, ms: time in the client itself (not waiting for pacing, retries or the network). */
  clientOverheadMs: Percentiles;
  /** Per send, ms: HTTP round trips to the emulator. */
  emulatorLatencyMs: Percentiles;
  peakConcurrency: number;
  targets: { rateRatio: boolean; no429: boolean; tokenCalls: boolean };
}

interface Answer {
  status: number;
  json: () => unknown;
}

function call(emulator: MailBenchOptions['emulator'], method: string, path: string, body?: string, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${emulator.url}${path}`, { method, ca: emulator.caPem, headers: body === undefined ? {} : { 'content-type': contentType } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** App-only tokens from the emulator's token endpoint, cached until five minutes before expiry. */
export function clientCredentialsProvider(emulator: MailBenchOptions['emulator']): TokenProvider & { readonly tokenEndpointCalls: number } {
  const secret = emulator.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly);
  if (!secret) throw new Error('the emulator has no seeded secret for the demo app-only app');
  let current: AccessTokenResult | undefined;
  let pending: Promise<AccessTokenResult> | undefined;
  let calls = 0;
  const fetchToken = async (): Promise<AccessTokenResult> => {
    calls += 1;
    const form = new URLSearchParams({
      client_id: DEMO_APPS.appOnly,
      client_secret: secret.value,
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
    });
    const res = await call(emulator, 'POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, form.toString(), 'application/x-www-form-urlencoded');
    const body = res.json() as { access_token?: string; expires_in?: number; error_description?: string };
    if (res.status !== 200 || !body.access_token) throw new Error(`token endpoint: HTTP ${res.status} ${body.error_description ?? ''}`);
    return { accessToken: body.access_token, expiresOn: new Date(Date.now() + (body.expires_in ?? 3600) * 1000), scopes: ['https://graph.microsoft.com/.default'] };
  };
  return {
    get tokenEndpointCalls() {
      return calls;
    },
    async getAccessToken(options = {}) {
      if (!options.forceRefresh && current && current.expiresOn.getTime() - Date.now() > 5 * 60_000) return current;
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      current = await pending;
      return current;
    },
  };
}

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p99: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}

function slope(times: number[]): number {
  const n = times.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = times.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  times.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

export async function runMailBench(options: MailBenchOptions): Promise<MailBenchResult> {
  const { emulator } = options;
  const messages = options.messages ?? 1000;
  const messagesPerMinute = options.messagesPerMinute ?? 12_000;
  const concurrency = options.concurrency ?? 4;
  const sender = options.sender ?? `alerts@${DEMO_DOMAIN}`;
  const recipient = options.recipient ?? `it-team@${DEMO_DOMAIN}`;
  const requestsPer10Minutes = Math.max(10_000, messages * 20);

  const previous = (await call(emulator, 'GET', '/_emulator/limits')).json() as Record<string, number>;
  const raised = await call(emulator, 'PUT', '/_emulator/limits', JSON.stringify({ messagesPerMinute, concurrentRequestsPerMailbox: concurrency, requestsPer10Minutes }));
  if (raised.status !== 200) throw new Error(`could not raise the emulator's limits (HTTP ${raised.status})`);
  const tokenProvider = options.tokenProvider ?? clientCredentialsProvider(emulator);
  let providerRefreshes = 0;
  const countingProvider: TokenProvider = {
    getAccessToken: async (o) => {
      if (o?.forceRefresh) providerRefreshes += 1;
      return tokenProvider.getAccessToken(o);
    },
  };
  const client = createMailClient({
    baseUrl: `${emulator.url}/v1.0`,
    ca: emulator.caPem,
    tokenProvider: countingProvider,
    mode: 'app-only',
    sender,
    pacing: { concurrency, messagesPerMinute, requestsPer10Minutes },
  });
  const attachment = options.attachmentBytes ? Buffer.alloc(options.attachmentBytes, 0x61) : undefined;
  // One e-mail before the clock starts: the token and the TLS connection a running service
  // already has. Its token-endpoint call is reported apart from the run's.
  await client.send({ to: recipient, subject: 'Benchmark warm-up', text: 'warm-up' });
  const startupTokenCalls = tokenProvider.tokenEndpointCalls ?? 1;
  await call(emulator, 'DELETE', '/_emulator/stats');
  const throttledBefore = client.stats().throttled;

  const overhead: number[] = [];
  const latency: number[] = [];
  const acceptedAt: number[] = [];
  let failed = 0;
  const started = Date.now();
  let next = 0;
  const sendOne = async (i: number) => {
    try {
      const result = await client.send({
        id: `bench-${i}-${randomUUID()}`,
        to: recipient,
        subject: `Benchmark ${i}`,
        text: `Message ${i} of ${messages}`,
        ...(attachment ? { attachments: [{ name: 'bench.bin', content: attachment }] } : {}),
      });
      acceptedAt.push(Date.now());
      const t = result.timings;
      overhead.push(Math.max(0, t.totalMs - t.httpMs - t.pacingWaitMs - t.retryWaitMs));
      latency.push(t.httpMs / Math.max(1, result.requests));
    } catch {
      failed += 1;
    }
  };
  // A few workers keep sends outstanding (as the outbox does), so the pacing, not the feeding,
  // sets the rate, and the overhead measured is the client's, not a queue of 1,000 promises.
  const worker = async () => {
    while (next < messages) await sendOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(messages, options.outstanding ?? 16) }, worker));
  } finally {
    client.close();
  }
  const durationMs = Date.now() - started;
  const stats = (await call(emulator, 'GET', '/_emulator/stats')).json() as { throttled429: number; messagesDelivered: number; peakConcurrencyByMailbox: Record<string, number> };
  await call(emulator, 'PUT', '/_emulator/limits', JSON.stringify({
    messagesPerMinute: previous.messagesPerMinute,
    concurrentRequestsPerMailbox: previous.concurrentRequestsPerMailbox,
    requestsPer10Minutes: previous.requestsPer10Minutes,
  }));

  // The rate the pacing held: the slope of acceptance time over message rank (least squares),
  // so a slow first answer (new TLS connections) does not bend the figure either way.
  acceptedAt.sort((a, b) => a - b);
  const msPerMessage = slope(acceptedAt);
  const achievedPerMinute = msPerMessage > 0 ? 60_000 / msPerMessage : 0;
  const clientStats = client.stats();
  const tokenEndpointCalls = tokenProvider.tokenEndpointCalls === undefined ? providerRefreshes : tokenProvider.tokenEndpointCalls - startupTokenCalls;
  const tokenEndpointCallsPer1000 = messages > 0 ? (tokenEndpointCalls / messages) * 1000 : 0;
  const rateRatio = Math.round((achievedPerMinute / messagesPerMinute) * 1000) / 1000;
  return {
    messages,
    delivered: stats.messagesDelivered,
    failed,
    durationMs,
    allowedPerMinute: messagesPerMinute,
    achievedPerMinute: Math.round(achievedPerMinute),
    rateRatio,
    throttled429: { client: clientStats.throttled - throttledBefore, emulator: stats.throttled429 },
    tokenEndpointCalls,
    startupTokenEndpointCalls: startupTokenCalls,
    tokenEndpointCallsPer1000,
    clientOverheadMs: percentiles(overhead),
    emulatorLatencyMs: percentiles(latency),
    peakConcurrency: Math.max(0, ...Object.values(stats.peakConcurrencyByMailbox)),
    targets: { rateRatio: rateRatio >= 0.95, no429: clientStats.throttled - throttledBefore === 0 && stats.throttled429 === 0, tokenCalls: tokenEndpointCallsPer1000 <= 1 },
  };
}
