import type { HttpRequest, HttpResponse, HttpTransport } from '../../../src/graph/http.js';

export type Responder = (req: HttpRequest, index: number) => HttpResponse | Error | Promise<HttpResponse | Error>;

/** An HTTP layer that records requests and answers from a script (no sockets). */
export class FakeTransport implements HttpTransport {
  readonly requests: HttpRequest[] = [];

  constructor(private readonly responder: Responder) {}

  async request(req: HttpRequest): Promise<HttpResponse> {
    this.requests.push(req);
    const answer = await this.responder(req, this.requests.length - 1);
    if (answer instanceof Error) throw answer;
    return answer;
  }

  close(): void {}
}

let counter = 0;

export function response(status: number, body?: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { 'request-id': `req-${++counter}`, ...headers },
    body: body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

export function graphError(status: number, code: string, message = code, headers: Record<string, string> = {}): HttpResponse {
  return response(status, { error: { code, message, innerError: { 'request-id': `inner-${counter}`, date: new Date(0).toISOString() } } }, headers);
}

export function networkError(code = 'ECONNRESET', message = 'socket hang up'): Error {
  return Object.assign(new Error(message), { code });
}
