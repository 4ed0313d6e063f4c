import { request as httpsRequest } from 'node:https';
import {
  ClientAuthError,
  ClientAuthErrorCodes,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { createHttpsAgent, type TransportAgent } from '../net/index.js';

/**
 * msal-node's network module on node:https. Two things msal-node's own client cannot do:
 * trust one extra CA (the emulator's, and only when it is the configured target) while keeping
 * certificate verification on, and keep the raw body of every error response - msal-node
 * drops the AADSTS code on some paths (device-code polling reports only "invalid_client"),
 * so diagnosis reads it here.
 *
 * Every answer with an OAuth `error` member is captured, whatever its status.
 *
 * Contract (msal-common INetworkModule / NetworkResponse): resolve with {headers (lower-case
 * names), body (parsed JSON), status} for every HTTP status, error statuses included; reject
 * only when no JSON answer arrived (network failure, timeout, non-JSON body).
 */

export interface RawErrorResponse {
  method: 'GET' | 'POST';
  /** Scheme, host and path: the query string is left out. */
  url: string;
  status: number;
  /** The body exactly as received (Entra error bodies hold no secrets). */
  body: string;
  /** AADSTS numbers found in the body (error_codes, or "AADSTSnnnn" in the text). */
  aadsts: number[];
  /** The OAuth `error` value, when the body is an OAuth error. */
  error?: string;
  /** Retry-After in seconds, when the answer had one (a throttled token endpoint). */
  retryAfterSeconds?: number;
  at: string;
}

export interface RawErrorCapture {
  /** The most recent error response, if any. */
  latest(): RawErrorResponse | undefined;
  /** Oldest first, at most `keep` of them. */
  all(): RawErrorResponse[];
  /** The most recent error response that carried an AADSTS code. */
  latestWithCode(): RawErrorResponse | undefined;
  clear(): void;
}

export interface NetworkClientOptions {
  /** Extra CA certificate(s), PEM, trusted in addition to the public roots. */
  ca?: string | string[];
  /** How many error responses to keep (default 20). */
  keep?: number;
  /** Called with every error response as it arrives. */
  onErrorResponse?: (response: RawErrorResponse) => void;
  /** Timeout for requests msal gives none for (default 30 s). */
  timeoutMs?: number;
  /** Where HTTPS_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Called with every JSON answer (URL without its query string), e.g. to keep the authority's metadata. */
  onResponse?: (method: 'GET' | 'POST', url: URL, status: number, body: unknown) => void;
}

export function aadstsCodesIn(body: string): number[] {
  const codes = new Set<number>();
  try {
    const parsed = JSON.parse(body) as { error_codes?: unknown };
    if (Array.isArray(parsed.error_codes)) for (const c of parsed.error_codes) if (typeof c === 'number') codes.add(c);
  } catch {
    // Not JSON: the text may still quote a code.
  }
  for (const m of body.matchAll(/AADSTS(\d{4,8})/g)) codes.add(Number(m[1]));
  return [...codes];
}

function oauthError(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

class ErrorRing implements RawErrorCapture {
  private items: RawErrorResponse[] = [];
  constructor(private readonly keep: number) {}

  add(item: RawErrorResponse): void {
    this.items.push(item);
    if (this.items.length > this.keep) this.items.splice(0, this.items.length - this.keep);
  }

  latest(): RawErrorResponse | undefined {
    return this.items.at(-1);
  }

  latestWithCode(): RawErrorResponse | undefined {
    return [...this.items].reverse().find((i) => i.aadsts.length > 0);
  }

  all(): RawErrorResponse[] {
    return [...this.items];
  }

  clear(): void {
    this.items = [];
  }
}

function headerRecord(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export class HttpsNetworkClient implements INetworkModule {
  readonly capture: RawErrorCapture;
  private readonly ring: ErrorRing;
  private readonly agent: TransportAgent;

  constructor(private readonly options: NetworkClientOptions = {}) {
    // One agent (one shared TLS context, the proxy) for every request of this client; no idle
    // sockets are kept, so a client that is dropped holds nothing open.
    this.agent = createHttpsAgent({ ca: options.ca, env: options.env, keepAlive: false });
    this.ring = new ErrorRing(options.keep ?? 20);
    this.capture = this.ring;
  }

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private send<T>(method: 'GET' | 'POST', url: string, options: NetworkRequestOptions | undefined, timeout?: number): Promise<NetworkResponse<T>> {
    const correlationId = options?.correlationId ?? '';
    const body = method === 'POST' ? (options?.body ?? '') : undefined;
    const headers: Record<string, string> = { ...(options?.headers ?? {}) };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const timeoutMs = timeout ?? this.options.timeoutMs ?? 30_000;

    return new Promise<NetworkResponse<T>>((resolve, reject) => {
      const fail = (message: string) => reject(new ClientAuthError(ClientAuthErrorCodes.networkError, correlationId, message));
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        fail(`Network request failed: invalid URL`);
        return;
      }
      if (target.protocol !== 'https:') {
        fail('Network request failed: only https URLs are allowed');
        return;
      }
      const req = httpsRequest(target, { method, headers, agent: this.agent, rejectUnauthorized: true, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => fail(`Network request failed: ${err.message}`));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          // Error bodies whatever the status: /devicecode has sent them with 200 OK (issue 13.4).
          if (status >= 400 || oauthError(text) !== undefined) this.record(method, target, status, text, res.headers['retry-after']);
          let parsed: T;
          try {
            parsed = JSON.parse(text) as T;
          } catch (err) {
            reject(
              new ClientAuthError(
                ClientAuthErrorCodes.tokenParsingError,
                correlationId,
                `Failed to parse response: HTTP ${status}: ${err instanceof Error ? err.message : 'unknown'}`,
              ),
            );
            return;
          }
          this.options.onResponse?.(method, new URL(`${target.origin}${target.pathname}`), status, parsed);
          resolve({ headers: headerRecord(res.headers), body: parsed, status });
        });
      });
      req.on('timeout', () => {
        req.destroy();
        fail('Request timeout');
      });
      req.on('error', (err) => fail(`Network request failed: ${err.message}`));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private record(method: 'GET' | 'POST', target: URL, status: number, body: string, retryAfter: string | undefined): void {
    const retryAfterSeconds = retryAfter !== undefined && /^\d{1,6}$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
    const item: RawErrorResponse = {
      method,
      url: `${target.origin}${target.pathname}`,
      status,
      body,
      aadsts: aadstsCodesIn(body),
      error: oauthError(body),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      at: new Date().toISOString(),
    };
    this.ring.add(item);
    this.options.onErrorResponse?.(item);
  }
}

/** The network client and its capture of raw error bodies, as auth sessions use them. */
export function createNetworkClient(options: NetworkClientOptions = {}): { client: HttpsNetworkClient; capture: RawErrorCapture } {
  const client = new HttpsNetworkClient(options);
  return { client, capture: client.capture };
}
