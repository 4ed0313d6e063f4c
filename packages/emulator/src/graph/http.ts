import { MimeBody } from './mime-message.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { GraphError, requestTooLarge, sendGraphError, TEXT } from './errors.js';

/**
 * HTTP plumbing shared by the Graph scopes: Graph's own request-size limit and JSON reading, and
 * every failure (ours or Fastify's) answered in Graph's envelope instead of Fastify's.
 */

/** Above any body Graph accepts, so Graph's own limit (ctx.limits.maxRequestBytes) answers first. */
const READ_LIMIT = 64 * 1024 * 1024;

const bodySizes = new WeakMap<FastifyRequest, number>();

/** Bytes of the request body as received (chunked bodies carry no Content-Length). */
export function bodyBytes(request: FastifyRequest): number {
  return bodySizes.get(request) ?? 0;
}

/** `limit`: Graph's request limit by default; the upload URL's range limit there. */
export function checkDeclaredSize(ctx: EmulatorContext, request: FastifyRequest, limit = ctx.limits.maxRequestBytes): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw requestTooLarge();
}

/** JSON bodies for the /v1.0 routes; MIME (text/plain) sendMail is not emulated. */
export function installJsonParsers(scope: FastifyInstance, ctx: EmulatorContext): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: READ_LIMIT }, (request, body, done) => {
    const bytes = body as Buffer;
    bodySizes.set(request, bytes.length);
    if (bytes.length > ctx.limits.maxRequestBytes) return done(requestTooLarge(), undefined);
    if (bytes.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch {
      done(new GraphError(400, 'BadRequest', TEXT.invalidJson), undefined);
    }
  });
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: READ_LIMIT }, (request, body, done) => {
    const bytes = body as Buffer;
    bodySizes.set(request, bytes.length);
    const type = request.headers['content-type'];
    if (bytes.length > ctx.limits.maxRequestBytes) return done(requestTooLarge(), undefined);
    if (type === undefined) return done(new GraphError(400, 'BadRequest', TEXT.invalidJson), undefined);
    // sendMail in MIME format (mime-message.ts): the base64 text, read by the route.
    if (/^text\/plain/i.test(type)) return done(null, new MimeBody(bytes.toString('latin1')));
    done(new GraphError(415, 'UnsupportedMediaType', `The content type '${type.slice(0, 100)}' is not supported.`), undefined);
  });
}

/** Raw bytes for the upload URL (Content-Type application/octet-stream, or none). */
export function installBinaryParser(scope: FastifyInstance, ctx: EmulatorContext): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: READ_LIMIT }, (_request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length > ctx.limits.maxUploadChunkBytes) return done(requestTooLarge(), undefined);
    done(null, bytes);
  });
}

export function installGraphErrorHandler(scope: FastifyInstance, ctx: EmulatorContext): void {
  scope.setErrorHandler((error: FastifyError | GraphError, request: FastifyRequest, reply: FastifyReply) => {
    const now = ctx.clock.now();
    if (error instanceof GraphError) return sendGraphError(request, reply, error, now);
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendGraphError(request, reply, requestTooLarge(), now);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendGraphError(request, reply, new GraphError(415, 'UnsupportedMediaType', 'The Content-Type header is not valid.'), now);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendGraphError(request, reply, new GraphError(400, 'BadRequest', TEXT.invalidJson), now);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendGraphError(request, reply, new GraphError(status, 'BadRequest', error.message), now);
    return sendGraphError(request, reply, new GraphError(500, 'InternalServerError', TEXT.internal), now);
  });
}

/** The endpoint name a route declares (routes without one are the 404 handler). */
export function endpointOf(request: FastifyRequest): string | undefined {
  return (request.routeOptions.config as { endpoint?: string } | undefined)?.endpoint;
}
