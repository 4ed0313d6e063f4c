import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import type { AppRegistration } from '../directory.js';
import { checkAppAuthority, directoryName, parseAuthority, personalOnlyOnCommon, type Authority } from './authority.js';
import { aadsts, EntraError, traceIds } from './errors.js';
import type { ResponseMode } from './flows.js';
import { sendErrorPage } from './html.js';
import { params, type ParamReader } from './params.js';
import { defaultRedirectUri, hasRedirectUris, matchRedirectUri, type RedirectMatch } from './redirect-uris.js';
import { errorFields, respondToRedirectUri } from './redirect.js';
import { parseScopes } from './scopes.js';
import { showAccountStep } from './signin.js';
import { entraState } from './state.js';

/**
 * GET (and POST) /{tenant}/oauth2/v2.0/authorize. Until the redirect URI is known to belong to
 * the app, problems are shown on Entra's error page and the app hears nothing (an attacker
 * must not receive errors at an arbitrary URL); after that they go back to the redirect URI.
 */

const RESPONSE_MODES: ResponseMode[] = ['query', 'fragment', 'form_post'];

interface Trusted {
  authority: Authority;
  app: AppRegistration;
  redirectUri: string;
  match: RedirectMatch;
}

/** The checks before the redirect URI can be trusted; an EntraError here means "error page". */
function trust(ctx: EmulatorContext, tenantSegment: string, q: ParamReader): Trusted | EntraError {
  const authority = parseAuthority(ctx.directory, tenantSegment);
  if (authority instanceof EntraError) return authority;
  const clientId = q('client_id');
  if (!clientId) return aadsts(900144, { name: 'client_id' });
  const app = ctx.directory.findAppForSignIn(clientId, ctx.clock.now());
  if (!app) return aadsts(700016, { clientId, directory: directoryName(authority) });
  // A personal-only app on /common is refused after the account step (signin.ts), not here.
  const wrongAuthority = personalOnlyOnCommon(app, authority) ? undefined : checkAppAuthority(app, authority);
  if (wrongAuthority) return wrongAuthority;
  if (!hasRedirectUris(app)) return aadsts(500113);
  const redirectUri = q('redirect_uri') ?? defaultRedirectUri(app)!;
  const match = matchRedirectUri(app, redirectUri);
  if (!match) return aadsts(50011, { redirectUri, clientId: app.clientId });
  return { authority, app, redirectUri, match };
}

function handle(ctx: EmulatorContext, request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply, q: ParamReader) {
  const now = ctx.clock.now();
  const trusted = trust(ctx, request.params.tenant, q);
  if (trusted instanceof EntraError) return sendErrorPage(reply, trusted, traceIds(request, now));
  const { authority, app, redirectUri, match } = trusted;

  const state = q('state');
  const modeParam = q('response_mode');
  const responseMode: ResponseMode = RESPONSE_MODES.includes(modeParam as ResponseMode) ? (modeParam as ResponseMode) : 'query';
  const fail = (err: EntraError) => respondToRedirectUri(reply, redirectUri, responseMode, errorFields(err, traceIds(request, now), state));

  if (modeParam !== undefined && !RESPONSE_MODES.includes(modeParam as ResponseMode)) return fail(aadsts(70007, { responseMode: modeParam }));
  const responseType = q('response_type');
  if (!responseType) return fail(aadsts(900144, { name: 'response_type' }));
  // Only the authorization code flow: implicit grant (token / id_token) is not enabled on these apps.
  if (responseType !== 'code') return fail(aadsts(700051, { responseType }));
  const scopeParam = q('scope');
  if (scopeParam === undefined) return fail(aadsts(900144, { name: 'scope' }));
  const scopes = parseScopes(scopeParam, directoryName(authority));
  if (scopes instanceof EntraError) return fail(scopes);

  const codeChallenge = q('code_challenge');
  const method = q('code_challenge_method') ?? (codeChallenge ? 'plain' : undefined);
  if (method !== undefined && (method !== 'S256' && method !== 'plain')) return fail(aadsts(9002313).withError('invalid_request'));
  if (method !== undefined && !codeChallenge) return fail(aadsts(900144, { name: 'code_challenge' }));
  if (codeChallenge !== undefined && !/^[A-Za-z0-9._~-]{43,128}$/.test(codeChallenge)) return fail(aadsts(9002313).withError('invalid_request'));

  const prompt = q('prompt');
  // The emulator keeps no browser session, so a silent request never finds a signed-in user.
  if (prompt === 'none') return fail(aadsts(50058));

  const flow = entraState(ctx).flows.create({
    kind: 'authorize',
    clientId: app.clientId,
    authority,
    scopes,
    loginHint: q('login_hint'),
    redirectUri,
    platform: match.platform,
    responseMode,
    state,
    nonce: q('nonce'),
    codeChallenge,
    codeChallengeMethod: method as 'S256' | 'plain' | undefined,
    clientInfo: q('client_info') === '1',
    forceConsent: prompt === 'consent' || prompt === 'admin_consent',
  });
  return showAccountStep(reply, ctx, flow, app);
}

export async function registerAuthorizeRoutes(server: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  server.get<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/authorize', { config: { endpoint: 'entra.authorize' } }, async (request, reply) =>
    handle(ctx, request, reply, params(request.query)),
  );
  // Entra accepts the authorization request as a form POST too.
  server.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/authorize', { config: { endpoint: 'entra.authorize' } }, async (request, reply) =>
    handle(ctx, request, reply, params(request.body)),
  );
}
