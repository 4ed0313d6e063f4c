import type { FastifyInstance, FastifyRequest } from 'fastify';
import { publicBaseUrl, type EmulatorContext } from '../context.js';
import type { AppRegistration } from '../directory.js';
import { checkAppAuthority, directoryName, parseAuthority, type Authority } from './authority.js';
import { clientIdentity, type PresentedCredential } from './client-auth.js';
import { aadsts, EntraError, sendJsonError, setTokenHeaders, traceIds } from './errors.js';
import { params, type ParamReader } from './params.js';
import { authorizationCodeGrant } from './grant-authorization-code.js';
import { clientCredentialsGrant } from './grant-client-credentials.js';
import { deviceCodeGrant } from './grant-device-code.js';
import { refreshTokenGrant } from './grant-refresh-token.js';

/** POST /{tenant}/oauth2/v2.0/token: client and authority checks, then the grant. */

export interface TokenRequest {
  ctx: EmulatorContext;
  request: FastifyRequest;
  form: ParamReader;
  authority: Authority;
  app: AppRegistration;
  credential: PresentedCredential;
  /** Where the client reached us; the id token's issuer host. */
  baseUrl: string;
}

export type GrantResult = Record<string, unknown> | EntraError;

const GRANTS: Record<string, { name: string; handle: (t: TokenRequest) => Promise<GrantResult> }> = {
  authorization_code: { name: 'authorization_code', handle: authorizationCodeGrant },
  refresh_token: { name: 'refresh_token', handle: refreshTokenGrant },
  client_credentials: { name: 'client_credentials', handle: clientCredentialsGrant },
  // RFC 8628's URN, and the short name Entra also accepts.
  'urn:ietf:params:oauth:grant-type:device_code': { name: 'device_code', handle: deviceCodeGrant },
  device_code: { name: 'device_code', handle: deviceCodeGrant },
};

async function tokenRequest(ctx: EmulatorContext, request: FastifyRequest<{ Params: { tenant: string } }>): Promise<{ grant: string; result: GrantResult }> {
  const form = params(request.body);
  const authority = parseAuthority(ctx.directory, request.params.tenant);
  if (authority instanceof EntraError) return { grant: '', result: authority };
  const grantType = form('grant_type');
  if (!grantType) return { grant: '', result: aadsts(900144, { name: 'grant_type' }) };
  const grant = GRANTS[grantType];
  if (!grant) return { grant: '', result: aadsts(70003, { grantType }) };
  const identity = clientIdentity(request, form);
  if (!identity.clientId) return { grant: grant.name, result: aadsts(900144, { name: 'client_id' }) };
  const app = ctx.directory.findAppForSignIn(identity.clientId, ctx.clock.now());
  if (!app) return { grant: grant.name, result: aadsts(700016, { clientId: identity.clientId, directory: directoryName(authority) }) };
  const wrongAuthority = checkAppAuthority(app, authority);
  if (wrongAuthority) return { grant: grant.name, result: wrongAuthority };
  const result = await grant.handle({ ctx, request, form, authority, app, credential: identity.credential, baseUrl: publicBaseUrl(request) });
  return { grant: grant.name, result };
}

export async function registerTokenRoutes(server: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  server.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', { config: { endpoint: 'entra.token' } }, async (request, reply) => {
    const { grant, result } = await tokenRequest(ctx, request);
    if (result instanceof EntraError) return sendJsonError(reply, request, ctx.clock.now(), result);
    ctx.stats.countGrant(grant);
    setTokenHeaders(reply, request, traceIds(request, ctx.clock.now()));
    return reply.code(200).type('application/json; charset=utf-8').send(result);
  });
  server.get<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', { config: { endpoint: 'entra.token' } }, async (request, reply) =>
    sendJsonError(reply, request, ctx.clock.now(), aadsts(900561, { method: 'GET' })),
  );
}
