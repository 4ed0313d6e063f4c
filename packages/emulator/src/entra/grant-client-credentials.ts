import { issueGraphAccessToken } from '../access-token.js';
import { authenticateConfidential } from './client-auth.js';
import { aadsts } from './errors.js';
import { checkClientCredentialsScope, graphFormOf } from './scopes.js';
import { graphAudience } from './tokens.js';
import type { GrantResult, TokenRequest } from './token.js';

/**
 * App-only tokens. Needs a tenant-specific authority, the client secret, and the scope
 * "https://graph.microsoft.com/.default"; the token's `roles` are the application
 * permissions an administrator granted to the app in that tenant (configured but not
 * granted ones are absent, so Graph answers 403).
 */
export async function clientCredentialsGrant(t: TokenRequest): Promise<GrantResult> {
  const { ctx, form, app, authority } = t;
  if (authority.family !== 'tenant') return aadsts(50059);
  const tenant = authority.tenant!;
  const clientError = authenticateConfidential(ctx, app, t.credential);
  if (clientError) return clientError;
  const scopeError = checkClientCredentialsScope(form('scope'), tenant.displayName);
  if (scopeError) return scopeError;

  // A multitenant app exists in another tenant only once an administrator there consented.
  const consented = ctx.directory.consents.some((c) => c.tenantId === tenant.id && c.clientId === app.clientId);
  if (tenant.id !== app.homeTenantId && !consented) return aadsts(700016, { clientId: app.clientId, directory: tenant.displayName });

  // "Allow public client flows" is the manifest's isFallbackPublicClient: the client type Entra falls back
  // to when the request does not show it (https://learn.microsoft.com/graph/api/resources/application).
  // A client-credentials request has no redirect URI, so such an app is a public client there and its
  // secret is refused (AADSTS700025, as pnp/cli-microsoft365#948 met it; fixed by "Public client: No").
  // The stricter reading; `PUT /_emulator/behaviour {clientCredentialsOnPublicClientApps: 1}` allows it.
  if (app.allowPublicClientFlows && ctx.behaviour.clientCredentialsOnPublicClientApps === 0) return aadsts(700025);

  const roles = [...ctx.directory.consentedApplication(tenant.id, app.clientId)];
  const access = await issueGraphAccessToken(ctx, { app, tenantId: tenant.id, roles, audience: graphAudience(ctx, graphFormOf(form('scope')!.trim())) });
  return {
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    ext_expires_in: access.expiresIn,
    access_token: access.token,
  };
}
