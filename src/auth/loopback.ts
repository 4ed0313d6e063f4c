import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeHtml } from '../shared/index.js';

/**
 * The loopback redirect listener of the browser sign-in (guide: redirect URI `http://localhost`
 * or `http://localhost:PORT` under "Mobile and desktop applications").
 * Binds 127.0.0.1 only, accepts the authorization response by query or form_post, checks
 * `state`, and always leaves no listener behind (success, error, timeout or cancel).
 */

export interface AuthorizationResponse {
  code?: string;
  state?: string;
  clientInfo?: string;
  error?: string;
  errorDescription?: string;
}

export interface LoopbackListener {
  /** `http://localhost:PORT`: what the authorize request names as redirect_uri. */
  redirectUri: string;
  port: number;
  /** Resolves with the response whose state matched; rejects on timeout or cancel. */
  response: Promise<AuthorizationResponse>;
  /** Stops listening (idempotent). */
  close(): Promise<void>;
}

export class SignInCancelledError extends Error {
  constructor(readonly reason: 'timeout' | 'cancelled', message: string) {
    super(message);
    this.name = 'SignInCancelledError';
  }
}

export interface LoopbackOptions {
  /** The configured port; 0 or undefined picks any free one. */
  port?: number;
  expectedState: string;
  timeoutMs: number;
  signal?: AbortSignal;
  pages?: { success: (r: AuthorizationResponse) => string; error: (r: AuthorizationResponse) => string };
}

const MAX_FORM_BYTES = 64 * 1024;

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new Error('authorization response too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function toResponse(params: URLSearchParams): AuthorizationResponse {
  return {
    code: params.get('code') ?? undefined,
    state: params.get('state') ?? undefined,
    clientInfo: params.get('client_info') ?? undefined,
    error: params.get('error') ?? undefined,
    errorDescription: params.get('error_description') ?? undefined,
  };
}


function defaultSuccessPage(): string {
  return page('Signed in', 'o365-notify is signed in. You can close this window and return to the console.');
}

function defaultErrorPage(r: AuthorizationResponse): string {
  return page('Sign-in failed', `${r.error ?? 'error'}: ${r.errorDescription ?? ''}\nSee the console for what to fix.`);
}

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - o365-notify</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}pre{white-space:pre-wrap}</style>
</head><body><h1>${escapeHtml(title)}</h1><pre>${escapeHtml(text)}</pre></body></html>`;
}

export async function startLoopbackListener(options: LoopbackOptions): Promise<LoopbackListener> {
  const pages = options.pages ?? { success: defaultSuccessPage, error: defaultErrorPage };
  let settle!: { resolve: (r: AuthorizationResponse) => void; reject: (e: Error) => void };
  const response = new Promise<AuthorizationResponse>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A rejection nobody awaits yet (e.g. cancel before the caller awaits) must not crash the process.
  response.catch(() => undefined);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  });
  let done = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let params: URLSearchParams;
    try {
      if (req.method === 'POST') params = await readForm(req);
      else if (req.method === 'GET') params = url.searchParams;
      else {
        res.writeHead(405, { Allow: 'GET, POST' }).end();
        return;
      }
    } catch {
      res.writeHead(400).end();
      return;
    }
    const r = toResponse(params);
    if (!r.code && !r.error) {
      // favicon.ico and other requests the browser makes on its own.
      res.writeHead(404).end();
      return;
    }
    if (r.state !== options.expectedState) {
      // Not our request (or a forged one): answer it, keep waiting for ours.
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('This sign-in response does not belong to the sign-in in progress (state mismatch).');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(r.error ? pages.error(r) : pages.success(r));
    finish(() => settle.resolve(r));
  }

  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  function finish(action: () => void): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    action();
    void close();
  }

  const timer = setTimeout(
    () => finish(() => settle.reject(new SignInCancelledError('timeout', `No sign-in completed within ${Math.round(options.timeoutMs / 1000)} seconds.`))),
    options.timeoutMs,
  );
  timer.unref();
  const onAbort = () => finish(() => settle.reject(new SignInCancelledError('cancelled', 'Sign-in cancelled.')));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    finish(() => settle.reject(err));
    if (err.code === 'EADDRINUSE') {
      throw new Error(
        `Port ${options.port} on 127.0.0.1 is in use, so the sign-in cannot receive its redirect at http://localhost:${options.port}. ` +
          'Stop the program using it, or choose another port with `o365-notify setup --port N` and register http://localhost:N ' +
          'under Authentication > Mobile and desktop applications in the Azure portal.',
      );
    }
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  return {
    // Entra matches a registered http://localhost to any port for Mobile and desktop redirects.
    redirectUri: `http://localhost:${port}`,
    port,
    response,
    close: async () => finish(() => settle.reject(new SignInCancelledError('cancelled', 'Sign-in cancelled.'))),
  };
}
