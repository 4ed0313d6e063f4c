import { accountError, directoryName } from './authority.js';
import { authenticateConfidential, forbidCredential } from './client-auth.js';
import { conditionalAccessError } from './conditional-access.js';
import { missingDelegated } from './consent.js';
import { aadsts, EntraError } from './errors.js';
import { parseScopes } from './scopes.js';
import { entraState } from './state.js';
import type { GrantResult, TokenRequest } from './token.js';
import { userTokenResponse } from './tokens.js';

/**
 * Refreshing. Each use returns a new refresh token; the one used keeps working (Entra does not
 * invalidate it) until it sits unused for refreshTokenInactivityDays (AADSTS700082) or the
 * user's sessions are revoked (AADSTS50173). A refresh token keeps the client kind it was
 * issued to: public ones refuse a secret, confidential ones need it.
 */

/** .NET TimeSpan format Entra prints: "90.00:00:00". */
function timeSpan(days: number): string {
  const whole = Math.floor(days);
  const rest = Math.round((days - whole) * 86_400);
  const hh = String(Math.floor(rest / 3600)).padStart(2, '0');
  const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, '0');
  const ss = String(rest % 60).padStart(2, '0');
  return `${whole}.${hh}:${mm}:${ss}`;
}

export async function refreshTokenGrant(t: TokenRequest): Promise<GrantResult> {
  const { ctx, form, app, authority } = t;
  const value = form('refresh_token');
  if (!value) return aadsts(900144, { name: 'refresh_token' });
  const { grants } = entraState(ctx);
  const record = grants.findRefreshToken(value);
  if (!record) return aadsts(9002313);
  if (record.clientId !== app.clientId) return aadsts(70000);

  const clientError = record.clientKind === 'public' ? forbidCredential(t.credential) : authenticateConfidential(ctx, app, t.credential);
  if (clientError) return clientError;

  const now = ctx.clock.now();
  if (grants.isRevoked(record.userId, record.authTimeMs)) {
    return aadsts(50173, { issued: new Date(record.authTimeMs).toISOString(), validFrom: new Date(grants.validFrom(record.userId)!).toISOString() });
  }
  const inactivityMs = ctx.behaviour.refreshTokenInactivityDays * 86_400_000;
  if (now - record.lastUsedAtMs > inactivityMs) {
    return aadsts(700082, { issued: new Date(record.issuedAtMs).toISOString(), inactive: timeSpan(ctx.behaviour.refreshTokenInactivityDays) });
  }
  const user = ctx.directory.findUser(record.userId);
  if (!user) return aadsts(70000);
  const refused = accountError(ctx.directory, app, authority, user);
  if (refused) return refused;

  const scopes = parseScopes(form('scope') ?? record.scope, directoryName(authority));
  if (scopes instanceof EntraError) return scopes;
  const original = parseScopes(record.scope, directoryName(authority));
  const openidInGrant = !(original instanceof EntraError) && original.oidc.has('openid');
  if (missingDelegated(ctx, app, user, scopes).length > 0) return aadsts(65001, { clientId: app.clientId, appName: app.displayName });
  const blocked = conditionalAccessError(ctx, user, 'refresh_token', record.authTimeMs);
  if (blocked) return blocked;

  record.lastUsedAtMs = now;
  return userTokenResponse(ctx, {
    baseUrl: t.baseUrl,
    app,
    user,
    scopes,
    clientInfo: form('client_info') === '1',
    clientKind: record.clientKind,
    authTimeMs: record.authTimeMs,
    alwaysRefreshToken: true,
    openidInGrant,
  });
}
