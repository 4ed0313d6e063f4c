import { createHash, timingSafeEqual } from 'node:crypto';
import { authenticateConfidential, forbidCredential } from './client-auth.js';
import { conditionalAccessError } from './conditional-access.js';
import { missingDelegated } from './consent.js';
import { aadsts, EntraError } from './errors.js';
import type { AuthorizationCode } from './grants.js';
import { matchRedirectUri } from './redirect-uris.js';
import { parseScopes } from './scopes.js';
import { entraState } from './state.js';
import type { GrantResult, TokenRequest } from './token.js';
import { userTokenResponse } from './tokens.js';
import { directoryName } from './authority.js';

/**
 * Redeeming an authorization code. Whether the client is public or confidential follows the
 * redirect URI's platform: a Mobile and desktop URI makes it public (a secret is refused with
 * AADSTS700025), a Web URI confidential (the secret is required: 7000218, 7000215, 7000222).
 */

function verifierMatches(grant: AuthorizationCode, verifier: string | undefined): boolean {
  if (!grant.codeChallenge) return true;
  if (!verifier) return false;
  const computed = grant.codeChallengeMethod === 'plain' ? verifier : createHash('sha256').update(verifier, 'ascii').digest('base64url');
  const a = Buffer.from(computed);
  const b = Buffer.from(grant.codeChallenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function authorizationCodeGrant(t: TokenRequest): Promise<GrantResult> {
  const { ctx, form, app, authority } = t;
  const code = form('code');
  if (!code) return aadsts(900144, { name: 'code' });
  const redirectUri = form('redirect_uri');
  if (!redirectUri) return aadsts(900144, { name: 'redirect_uri' });

  const match = matchRedirectUri(app, redirectUri);
  const clientError =
    match?.platform === 'mobileAndDesktop'
      ? forbidCredential(t.credential)
      : match?.platform === 'web' || t.credential.kind !== 'none'
        ? authenticateConfidential(ctx, app, t.credential)
        : undefined;
  if (clientError) return clientError;

  const { grants } = entraState(ctx);
  const grant = grants.findCode(code);
  const now = ctx.clock.now();
  if (!grant) return aadsts(9002313);
  if (grant.clientId !== app.clientId) return aadsts(70000);
  if (grant.redeemedAtMs !== undefined) return aadsts(54005);
  if (grant.expiresAtMs <= now) return aadsts(70008);
  if (grant.redirectUri !== redirectUri) return aadsts(500112, { got: redirectUri, expected: grant.redirectUri });
  const redeemedAtOtherTenant =
    (authority.family === 'tenant' && authority.tenant!.id !== grant.tenantId) ||
    (grant.authority.family === 'tenant' && authority.family === 'tenant' && grant.authority.tenantId !== authority.tenant!.id);
  if (redeemedAtOtherTenant) return aadsts(700005);
  if (!verifierMatches(grant, form('code_verifier'))) return aadsts(501481);
  const user = ctx.directory.findUser(grant.userId);
  if (!user) return aadsts(70000);
  if (grants.isRevoked(user.id, grant.authTimeMs)) {
    return aadsts(50173, { issued: new Date(grant.authTimeMs).toISOString(), validFrom: new Date(grants.validFrom(user.id)!).toISOString() });
  }

  const scopes = parseScopes(form('scope') ?? grant.scope, directoryName(authority));
  if (scopes instanceof EntraError) return scopes;
  if (missingDelegated(ctx, app, user, scopes).length > 0) return aadsts(65001, { clientId: app.clientId, appName: app.displayName });
  const blocked = conditionalAccessError(ctx, user, 'authorization_code', grant.authTimeMs);
  if (blocked) return blocked;

  grant.redeemedAtMs = now;
  return userTokenResponse(ctx, {
    baseUrl: t.baseUrl,
    app,
    user,
    scopes,
    nonce: grant.nonce,
    clientInfo: form('client_info') === '1',
    clientKind: grant.platform === 'mobileAndDesktop' ? 'public' : 'confidential',
    authTimeMs: grant.authTimeMs,
  });
}
