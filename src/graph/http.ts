import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { createHttpsAgent } from '../net/index.js';

/**
 * HTTPS for the mail client: node:https with certificate verification always on, the system's
 * roots plus one extra CA only when given (the emulator's), keep-alive, a timeout per request.
 * The agent (src/net) shares one TLS context across connections and honours HTTPS_PROXY/NO_PROXY.
 */

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** Aborts the request (the socket is destroyed); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpTransport {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): void;
}

/** Our own timeout, reported like the socket's. */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export function createHttpsTransport(options: { ca?: string | Buffer; maxSockets?: number; env?: NodeJS.ProcessEnv } = {}): HttpTransport {
  // The extra CA is added to the system's roots, not put in their place.
  const agent = createHttpsAgent({ ca: options.ca, maxSockets: options.maxSockets, env: options.env });
  return {
    request: (req) => send(agent, req),
    close: () => agent.destroy(),
  };
}

function send(agent: Agent, req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    if (url.protocol !== 'https:') {
      reject(new Error(`refusing to send to ${url.origin}: only https is used`));
      return;
    }
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(req.body.length);
    const request = httpsRequest(url, { method: req.method, headers, agent, rejectUnauthorized: true, signal: req.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' })));
    });
    request.setTimeout(req.timeoutMs, () => request.destroy(new RequestTimeoutError(req.timeoutMs)));
    request.on('error', reject);
    request.end(req.body);
  });
}
