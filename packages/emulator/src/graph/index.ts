import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { registerGraphApi } from './routes.js';
import { graphStateFor, type GraphState } from './state.js';
import { registerUploadUrl, sessionIdFromPath } from './upload-routes.js';

export { graphStateFor, type GraphState } from './state.js';

const MAILBOX_PATH = /^\/v1\.0\/(?:me|users\/([^/?]+))\/(?:sendmail|messages)(?:[/?]|$)/i;

/** appid and oid of a bearer token, read unverified: only to count the request before it is handled. */
function tokenIdentity(authorization: string | undefined): { appid?: string; oid?: string } {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) return {};
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return { appid: typeof payload.appid === 'string' ? payload.appid : undefined, oid: typeof payload.oid === 'string' ? payload.oid : undefined };
  } catch {
    return {};
  }
}

/** The `${appId}|${mailboxUserId}` a mail request counts against, from its URL and token. */
function mailboxKey(ctx: EmulatorContext, state: GraphState, request: IncomingMessage): string | undefined {
  const url = request.url ?? '';
  const mail = MAILBOX_PATH.exec(url);
  if (mail) {
    const { appid, oid } = tokenIdentity(request.headers.authorization);
    if (!appid) return undefined;
    let mailboxId = oid;
    if (mail[1] !== undefined) {
      let segment = mail[1];
      try {
        segment = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
      mailboxId = ctx.directory.findUser(segment)?.id;
    }
    return mailboxId ? `${appid}|${mailboxId}` : undefined;
  }
  if (url.startsWith('/api/v2.0/')) {
    let path = url.slice('/api/v2.0/'.length).split('?')[0]!;
    try {
      path = decodeURIComponent(path);
    } catch {
      return undefined;
    }
    const sessionId = sessionIdFromPath(path);
    const session = sessionId ? state.uploads.get(sessionId) : undefined;
    return session ? `${session.appId}|${session.mailboxUserId}` : undefined;
  }
  return undefined;
}

/** Graph v1.0 mail endpoints under /v1.0/..., and the upload URL of attachment upload sessions. */
export async function registerGraphRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const state = graphStateFor(ctx);
  // Requests count as in flight from arrival, before any hook (an injected "slow" fault included).
  app.server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const key = mailboxKey(ctx, state, request);
    if (key) state.limits.arrive(request, response, key);
  });
  await app.register(registerGraphApi(ctx, state), { prefix: '/v1.0' });
  await app.register(registerUploadUrl(ctx, state), { prefix: '/api/v2.0' });
}
