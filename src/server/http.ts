import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { EventValidationError, type FieldError } from '../intake/index.js';
import { SilenceValidationError } from '../notify/index.js';
import { StoreSaturatedError } from '../store/index.js';
import { schemaAnswer } from './schema.js';

/** The API's error answers: `{ error: <code>, message, errors? }`, never a stack trace. */
export interface ApiErrorBody {
  error: string;
  message: string;
  errors?: FieldError[];
}

/** An error a route throws to answer with a given status (the error handler turns it into JSON). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, errors?: FieldError[]): FastifyReply {
  const body: ApiErrorBody = { error: code, message };
  if (errors) body.errors = errors;
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

export function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload-too-large', `The request body is larger than the limit of ${limit} bytes. Send fewer events per request.`);
}

export function saturated(retryAfterSeconds: number, message?: string): HttpError {
  return new HttpError(
    429,
    'store-saturated',
    message ??
      'The service holds as many undelivered events as it may keep; new events are refused until e-mails go out. Try again later, and check `o365-notify status` for why delivery is held up.',
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  );
}

const UNSUPPORTED_MEDIA_TYPE = 'Send the body as JSON with the header "Content-Type: application/json" (UTF-8).';

/**
 * JSON answers for every error: what the client got wrong (4xx, with the fix) or that the
 * service failed (5xx, logged; the answer says nothing about internals).
 */
export function installErrorHandler(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof HttpError) {
      for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
      return sendError(reply, err.statusCode, err.code, err.message, err.errors);
    }
    if (err instanceof EventValidationError) {
      return sendError(reply, 400, 'invalid-events', 'The events are not valid; nothing was stored. Fix the fields listed in "errors".', err.errors);
    }
    if (err instanceof SilenceValidationError) return sendError(reply, 400, 'invalid-silence', err.message);
    // A request that does not fit its route's schema: the shape's own code and words.
    const misfit = schemaAnswer(err);
    if (misfit) return sendError(reply, 400, misfit.code, misfit.message);
    if (err instanceof StoreSaturatedError) {
      reply.header('retry-after', String(err.retryAfterSeconds));
      return sendError(reply, 429, 'store-saturated', err.message);
    }
    const fastifyError = err as FastifyError;
    const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      return sendError(reply, 413, 'payload-too-large', 'The request body is larger than the limit. Send fewer events per request.');
    }
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
      return sendError(reply, 415, 'unsupported-media-type', UNSUPPORTED_MEDIA_TYPE);
    }
    if (status >= 400 && status < 500) {
      return sendError(reply, status, 'bad-request', (err.message || 'The request could not be read.').slice(0, 500));
    }
    logger.error({ err, method: request.method, route: request.routeOptions?.url }, 'request failed');
    return sendError(reply, 500, 'internal-error', 'The service failed to handle the request; the details are in its log.');
  });
}

export { UNSUPPORTED_MEDIA_TYPE };

/**
 * Times as ISO 8601 for API answers: every numeric field named `at` or `...At` (milliseconds since the
 * epoch in the store) becomes a string; everything else is copied.
 */
export function isoTimes<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => isoTimes(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = (key === 'at' || /At$/.test(key)) && typeof v === 'number' && Number.isFinite(v) ? new Date(v).toISOString() : isoTimes(v);
  }
  return out as T;
}
