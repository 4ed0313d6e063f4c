import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicBaseUrl, type EmulatorContext } from '../context.js';
import { GraphError, requestTooLarge, stampRequestIds, TEXT } from './errors.js';
import { checkDeclaredSize, installBinaryParser, installGraphErrorHandler } from './http.js';
import type { GraphState } from './state.js';

/**
 * The pre-authenticated upload URL of an attachment upload session, served where Graph's points
 * (Outlook's `/api/v2.0/Users('{oid}@{tid}')/Messages('{id}')/AttachmentSessions('{id}')?authtoken=`),
 * on the host the client used for Graph.
 */

const SESSION_PATH = /^Users\('([^'/]+)'\)\/Messages\('([^'/]+)'\)\/AttachmentSessions\('([^'/]+)'\)$/;

/** The `aud` of a bearer token, read without verifying it (only to word the error). */
function audienceOf(authorization: string): string {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] ?? '';
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud?: unknown };
    return typeof payload.aud === 'string' ? payload.aud : 'https://graph.microsoft.com/';
  } catch {
    return 'https://graph.microsoft.com/';
  }
}

export function sessionIdFromPath(path: string): string | undefined {
  const match = SESSION_PATH.exec(path);
  return match ? match[3] : undefined;
}

export function registerUploadUrl(ctx: EmulatorContext, state: GraphState) {
  const { store, limits, uploads } = state;

  return async function uploadUrl(scope: FastifyInstance): Promise<void> {
    installBinaryParser(scope, ctx);
    installGraphErrorHandler(scope, ctx);

    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      stampRequestIds(request, reply);
      // The URL carries its own token; a Graph bearer token sent along is for the wrong resource.
      const authorization = request.headers.authorization;
      if (authorization) {
        throw new GraphError(
          401,
          'InvalidAudienceForResource',
          `The audience claim value is invalid for current resource. Audience claim is '${audienceOf(authorization)}', request url is '${publicBaseUrl(request)}${request.url.split('?')[0]}'.`,
        );
      }
      checkDeclaredSize(ctx, request, ctx.limits.maxUploadChunkBytes);
    });

    scope.setNotFoundHandler(async () => {
      throw new GraphError(404, 'ErrorItemNotFound', TEXT.itemNotFound);
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = (request.params as { '*': string })['*'];
      const match = SESSION_PATH.exec(path);
      if (!match) throw new GraphError(404, 'ErrorItemNotFound', TEXT.itemNotFound);
      const [, userPart, messageId, sessionId] = match as unknown as [string, string, string, string];
      const now = ctx.clock.now();
      const authToken = (request.query as Record<string, unknown>).authtoken;
      const session = uploads.authorize(sessionId, typeof authToken === 'string' ? authToken : undefined, now);
      if (session.messageId !== messageId || userPart.toLowerCase() !== `${session.mailboxUserId}@${session.tenantId}`) {
        throw new GraphError(404, 'ErrorItemNotFound', TEXT.itemNotFound);
      }
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (body.length > ctx.limits.maxUploadChunkBytes) throw requestTooLarge();
      limits.admit(request.raw, `${session.appId}|${session.mailboxUserId}`, request.method === 'PUT' ? body.length : 0);

      const base = publicBaseUrl(request);
      const entity = `${base}/api/v2.0/$metadata#Users('${encodeURIComponent(userPart)}')/Messages('${encodeURIComponent(messageId)}')/AttachmentSessions/$entity`;
      const expiration = new Date(session.expiresAtMs).toISOString();
      if (request.method === 'DELETE') {
        uploads.cancel(session.id);
        return reply.code(204).send();
      }
      const result = uploads.put(session, request.headers['content-range'], body);
      if (!result.done) return { '@odata.context': entity, ExpirationDateTime: expiration, nextExpectedRanges: result.nextExpectedRanges };

      const owner = ctx.directory.users.get(session.mailboxUserId);
      const message = owner ? store.findMessage(owner, messageId) : undefined;
      if (!message) throw new GraphError(404, 'ErrorItemNotFound', TEXT.itemNotFound);
      const attachment = store.attachment(
        { name: session.name, contentType: session.contentType, isInline: session.isInline, contentId: session.contentId, content: result.content },
        now,
      );
      message.attachments.push(attachment);
      message.lastModifiedDateTime = new Date(now).toISOString();
      reply.header('Location', `${base}/api/v2.0/Users('${userPart}')/Messages('${messageId}')/Attachments('${attachment.id}')`);
      return reply.code(201).send();
    };

    for (const method of ['PUT', 'DELETE'] as const) {
      scope.route({ method, url: '/*', config: { endpoint: 'graph.uploadSession' }, handler });
    }
    // Outlook documents PUT and DELETE on the upload URL only (outlook-large-attachments); a GET for
    // progress is OneDrive's. Any other method: 405, the stricter answer (what Outlook sends is unknown).
    scope.route({
      method: ['GET', 'POST', 'PATCH', 'HEAD'],
      url: '/*',
      config: { endpoint: 'graph.uploadSession' },
      handler: async (request, reply) => {
        reply.header('Allow', 'PUT, DELETE');
        throw new GraphError(405, 'ErrorInvalidRequest', `The HTTP method '${request.method}' is not supported on an upload session URL. Use PUT to upload a range or DELETE to cancel.`);
      },
    });
  };
}
