import type { HttpResponse } from './http.js';

/** One field of a JSON answer, or undefined when the body is not JSON. */
export function jsonField(res: HttpResponse, field: string): unknown {
  try {
    const body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    return body?.[field];
  } catch {
    return undefined;
  }
}
