import type { FastifyInstance, FastifyReply } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { sendPage } from './html.js';
import { signedOutPage } from './pages.js';
import { params } from './params.js';
import { matchRedirectUri } from './redirect-uris.js';

/**
 * /{tenant}/oauth2/v2.0/logout. The emulator keeps no browser session, so there is nothing to
 * end: it sends the browser to post_logout_redirect_uri (when the app named by client_id has
 * it registered, or no client is named), else shows the signed-out page.
 */
export async function registerLogoutRoutes(server: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const handle = (reply: FastifyReply, source: unknown) => {
    const q = params(source);
    const target = q('post_logout_redirect_uri');
    let url: URL | undefined;
    try {
      url = target ? new URL(target) : undefined;
    } catch {
      url = undefined;
    }
    const clientId = q('client_id');
    const app = clientId ? ctx.directory.findApp(clientId) : undefined;
    const allowed = url && (url.protocol === 'https:' || url.protocol === 'http:') && (!clientId || (app && matchRedirectUri(app, target!)));
    if (!allowed) return sendPage(reply, 200, 'Sign out', signedOutPage());
    const state = q('state');
    if (state !== undefined) url!.searchParams.set('state', state);
    return reply.code(302).header('location', url!.toString()).send();
  };
  server.get('/:tenant/oauth2/v2.0/logout', { config: { endpoint: 'entra.logout' } }, async (request, reply) => handle(reply, request.query));
  server.post('/:tenant/oauth2/v2.0/logout', { config: { endpoint: 'entra.logout' } }, async (request, reply) => handle(reply, request.body));
}
