import { readSettings, type Settings } from '../config/index.js';
import { readServiceRecord, recordedProcessAlive, type ServiceRecord } from './service-record.js';

/**
 * How the CLI talks to a running service: find it at the address it recorded in the home (any
 * port), else at the address in the settings, and call its API with the token. Used by `event`
 * and `silence`, which fall back to the store only when no service owns it.
 */

/** What /healthz says its name is: how the CLI knows the service on a port is ours. */
export const SERVICE_NAME = 'o365-notify';

/** The address to reach the service at: a wildcard listen address is reached on loopback. */
export function serviceUrl(settings: Pick<Settings, 'service'>): string {
  const host = settings.service.host;
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${settings.service.port}`;
}

/** Whether an o365-notify service answers at `baseUrl` (its /healthz names it). */
export async function serviceRunning(baseUrl: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(new URL('/healthz', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = (await res.json().catch(() => null)) as { service?: unknown } | null;
    return body?.service === SERVICE_NAME;
  } catch {
    // Connection refused, timed out, or not HTTP: nothing of ours there.
    return false;
  }
}

export interface ApiAnswer {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

export async function callApi(baseUrl: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, retryAfter: res.headers.get('retry-after') };
}

/** The error answer's message and field errors as lines for the terminal. */
export function describeApiError(answer: ApiAnswer): string[] {
  const body = answer.body as { message?: unknown; errors?: { path?: string; message?: string }[] } | null;
  const lines = [typeof body?.message === 'string' ? body.message : `The service answered HTTP ${answer.status}.`];
  for (const e of Array.isArray(body?.errors) ? body.errors : []) lines.push(`  - ${e.path ? `${e.path}: ` : ''}${e.message ?? ''}`);
  if (answer.status === 429 && answer.retryAfter) lines.push(`Try again in ${answer.retryAfter} s.`);
  return lines;
}

export interface ServiceConnection {
  url: string;
  running: boolean;
  /**
   * Set when a service process of this home is alive (its record in the home says so) but did not
   * answer: the store is its own, so the CLI must not write it (issue 9.4).
   */
  owner?: ServiceRecord;
  /** From --token, else O365_NOTIFY_API_TOKEN. */
  token: string | undefined;
}

/** Where the service of this home listens (settings, or `url`), whether it runs, and the token to use. */
export async function connectToService(
  home: string,
  env: NodeJS.ProcessEnv,
  options: { url?: string; token?: string } = {},
): Promise<ServiceConnection> {
  const token = options.token ?? (env.O365_NOTIFY_API_TOKEN?.trim() || undefined);
  const record = await readServiceRecord(home);
  const owner = record && recordedProcessAlive(record) ? record : undefined;
  if (options.url !== undefined) {
    const running = await serviceRunning(options.url);
    return { url: options.url, running, token, owner: running ? undefined : owner };
  }
  if (owner && (await serviceRunning(owner.url))) return { url: owner.url, running: true, token };
  const url = serviceUrl((await readSettings(home, env)).settings);
  if (url !== owner?.url && (await serviceRunning(url))) return { url, running: true, token };
  return { url, running: false, token, owner };
}
