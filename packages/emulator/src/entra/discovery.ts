import type { FastifyInstance } from 'fastify';
import { publicBaseUrl, type EmulatorContext } from '../context.js';
import { CONSUMER_TENANT_ID } from '../directory.js';
import { parseAuthority, type Authority } from './authority.js';
import { aadsts, errorBody, EntraError, traceIds } from './errors.js';
import { params } from './params.js';

/**
 * OpenID Connect discovery as Entra serves it, on whatever host the request came to. For a
 * tenant the endpoints carry the tenant's GUID (even when asked by domain); for common and
 * organizations the issuer has Entra's "{tenantid}" placeholder; consumers has the consumer
 * tenant's GUID as issuer.
 */

function issuerTenant(authority: Authority): string {
  if (authority.family === 'tenant') return authority.tenant!.id;
  if (authority.family === 'consumers') return CONSUMER_TENANT_ID;
  return '{tenantid}';
}

/** The path segment endpoints are published under. */
function endpointTenant(authority: Authority): string {
  return authority.family === 'tenant' ? authority.tenant!.id : authority.segment.toLowerCase();
}

function openIdConfiguration(baseUrl: string, authority: Authority): Record<string, unknown> {
  const t = endpointTenant(authority);
  return {
    token_endpoint: `${baseUrl}/${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${baseUrl}/${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${baseUrl}/${issuerTenant(authority)}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${baseUrl}/${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${baseUrl}/${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${baseUrl}/${t}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat',
      'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email',
    ],
    kerberos_endpoint: `${baseUrl}/${t}/kerberos`,
    tenant_region_scope: authority.family === 'tenant' ? 'NA' : null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

const MICROSOFT_ALIASES = ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'];

export async function registerDiscoveryRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const fail = (reply: import('fastify').FastifyReply, request: import('fastify').FastifyRequest, err: EntraError, error?: string) => {
    const body = errorBody(error ? err.withError(error) : err, traceIds(request, ctx.clock.now()));
    return reply.code(400).header('access-control-allow-origin', '*').send(body);
  };

  app.get<{ Params: { tenant: string } }>(
    '/:tenant/v2.0/.well-known/openid-configuration',
    { config: { endpoint: 'entra.openidConfiguration' } },
    async (request, reply) => {
      const authority = parseAuthority(ctx.directory, request.params.tenant);
      // The discovery document calls an unknown tenant "invalid_tenant".
      if (authority instanceof EntraError) return fail(reply, request, authority, authority.code === 90002 ? 'invalid_tenant' : undefined);
      return reply
        .header('access-control-allow-origin', '*')
        .header('cache-control', 'max-age=86400, private')
        .send(openIdConfiguration(publicBaseUrl(request), authority));
    },
  );

  app.get<{ Params: { tenant: string } }>('/:tenant/discovery/v2.0/keys', { config: { endpoint: 'entra.keys' } }, async (request, reply) => {
    const authority = parseAuthority(ctx.directory, request.params.tenant);
    if (authority instanceof EntraError) return fail(reply, request, authority, authority.code === 90002 ? 'invalid_tenant' : undefined);
    const issuer = `${publicBaseUrl(request)}/${issuerTenant(authority)}/v2.0`;
    return reply.header('access-control-allow-origin', '*').header('cache-control', 'max-age=86400, private').send(ctx.signer.jwks(issuer));
  });

  // Instance discovery, for clients that validate the authority host against Microsoft's list:
  // the host the emulator is reached by is a known instance of itself (and Microsoft's names are,
  // when name resolution maps them here).
  app.get('/common/discovery/instance', { config: { endpoint: 'entra.instanceDiscovery' } }, async (request, reply) => {
    const q = params(request.query);
    const host = new URL(publicBaseUrl(request)).host;
    const endpoint = q('authorization_endpoint');
    let endpointUrl: URL | undefined;
    try {
      endpointUrl = endpoint ? new URL(endpoint) : undefined;
    } catch {
      endpointUrl = undefined;
    }
    const requestedHost = endpointUrl?.host ?? host;
    const known = requestedHost === host || MICROSOFT_ALIASES.includes(requestedHost);
    if (!known || (endpointUrl && endpointUrl.protocol !== 'https:')) return fail(reply, request, aadsts(50049));
    const tenant = endpointUrl?.pathname.split('/')[1] || 'common';
    const microsoft = { preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: MICROSOFT_ALIASES };
    const own = { preferred_network: host, preferred_cache: host, aliases: [host] };
    const metadata = MICROSOFT_ALIASES.includes(host) ? [microsoft] : MICROSOFT_ALIASES.includes(requestedHost) ? [own, microsoft] : [own];
    return reply.header('access-control-allow-origin', '*').send({
      tenant_discovery_endpoint: `https://${requestedHost}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': q('api-version') ?? '1.1',
      metadata,
    });
  });
}
