import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { checkAppAuthority, directoryName, parseAuthority } from './authority.js';
import { aadsts, EntraError, traceIds } from './errors.js';
import { sendErrorPage } from './html.js';
import { params, type ParamReader } from './params.js';
import { defaultRedirectUri, hasRedirectUris, matchRedirectUri } from './redirect-uris.js';
import { errorFields, respondToRedirectUri } from './redirect.js';
import { parseScopes, type RequestedScopes } from './scopes.js';
import { showAccountStep } from './signin.js';
import { entraState } from './state.js';

/**
 * The admin consent endpoints: /{tenant}/v2.0/adminconsent (scope required; "/.default" grants
 * the configured delegated and application permissions) and the older /{tenant}/adminconsent
 * (always the configured list). An administrator signs in, accepts for the organization, and
 * the browser returns with admin_consent=True&tenant=...
 */
export async function registerAdminConsentRoutes(server: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const handle = (request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply, q: ParamReader, v2: boolean) => {
    const now = ctx.clock.now();
    const page = (err: EntraError) => sendErrorPage(reply, err, traceIds(request, now));
    const authority = parseAuthority(ctx.directory, request.params.tenant);
    if (authority instanceof EntraError) return page(authority);
    const clientId = q('client_id');
    if (!clientId) return page(aadsts(900144, { name: 'client_id' }));
    const app = ctx.directory.findApp(clientId);
    if (!app) return page(aadsts(700016, { clientId, directory: directoryName(authority) }));
    if (authority.family === 'consumers') return page(aadsts(9002332, { clientId: app.clientId, appName: app.displayName }));
    const wrongAuthority = checkAppAuthority(app, authority);
    if (wrongAuthority) return page(wrongAuthority);
    if (!hasRedirectUris(app)) return page(aadsts(500113));
    const redirectUri = q('redirect_uri') ?? defaultRedirectUri(app)!;
    if (!matchRedirectUri(app, redirectUri)) return page(aadsts(50011, { redirectUri, clientId: app.clientId }));

    const state = q('state');
    let scopes: RequestedScopes = { raw: '', graph: [], graphDefault: true, oidc: new Set() };
    if (v2) {
      const scope = q('scope');
      const parsed = scope === undefined ? aadsts(900144, { name: 'scope' }) : parseScopes(scope, directoryName(authority));
      if (parsed instanceof EntraError) return respondToRedirectUri(reply, redirectUri, 'query', errorFields(parsed, traceIds(request, now), state));
      scopes = parsed;
    }
    const flow = entraState(ctx).flows.create({ kind: 'adminconsent', clientId: app.clientId, authority, scopes, redirectUri, state, v2 });
    return showAccountStep(reply, ctx, flow, app);
  };

  server.get<{ Params: { tenant: string } }>('/:tenant/v2.0/adminconsent', { config: { endpoint: 'entra.adminconsent' } }, async (request, reply) =>
    handle(request, reply, params(request.query), true),
  );
  server.get<{ Params: { tenant: string } }>('/:tenant/adminconsent', { config: { endpoint: 'entra.adminconsent' } }, async (request, reply) =>
    handle(request, reply, params(request.query), false),
  );
}
