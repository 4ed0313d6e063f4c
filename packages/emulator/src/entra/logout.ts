import type { FastifyInstance, FastifyReply } from 'fastify';
import { decodeJwt } from 'jose';
import type { EmulatorContext } from '../context.js';
import { sendPage } from './html.js';
import { signedOutPage } from './pages.js';
import { params } from './params.js';
import { matchRedirectUri } from './redirect-uris.js';

/**
 * /{tenant}/oauth2/v2.0/logout. The emulator keeps no browser session, so there is nothing to
 * end. The browser goes back to post_logout_redirect_uri only when it is registered for the
 * app named by client_id (or by the id_token_hint's audience); otherwise the signed-out page
 * is shown, so the endpoint is no open redirect.
 */
function hintedClientId(idTokenHint: string | undefined): string | undefined {
  if (!idTokenHint) return undefined;
  try {
    const aud = (decodeJwt(idTokenHint) as { aud?: unknown }).aud;
    return typeof aud === 'string' ? aud : undefined;
  } catch {
    return undefined;
  }
}

export async function registerLogoutRoutes(server: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const handle = (reply: FastifyReply, source: unknown) => {
    const q = params(source);
    const target = q('post_logout_redirect_uri');
    const clientId = q('client_id') ?? hintedClientId(q('id_token_hint'));
    const app = clientId ? ctx.directory.findApp(clientId) : undefined;
    if (!target || !app || !matchRedirectUri(app, target)) return sendPage(reply, 200, 'Sign out', signedOutPage());
    const url = new URL(target);
    const state = q('state');
    if (state !== undefined) url.searchParams.set('state', state);
    return reply.code(302).header('location', url.toString()).send();
  };
  server.get('/:tenant/oauth2/v2.0/logout', { config: { endpoint: 'entra.logout' } }, async (request, reply) => handle(reply, request.query));
  server.post('/:tenant/oauth2/v2.0/logout', { config: { endpoint: 'entra.logout' } }, async (request, reply) => handle(reply, request.body));
}
