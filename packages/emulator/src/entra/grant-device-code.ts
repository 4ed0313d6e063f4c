import { directoryName } from './authority.js';
import { authenticateConfidential, forbidCredential } from './client-auth.js';
import { conditionalAccessError } from './conditional-access.js';
import { missingDelegated } from './consent.js';
import { aadsts, EntraError, slowDown } from './errors.js';
import { parseScopes } from './scopes.js';
import { entraState } from './state.js';
import type { GrantResult, TokenRequest } from './token.js';
import { userTokenResponse } from './tokens.js';

/**
 * Polling with a device code. "Allow public client flows" decides who may poll: when Yes the
 * app is public here (a secret is refused, AADSTS700025); when No only a confidential client
 * with its secret may (without one: AADSTS7000218, the guide step most often missed).
 */

/** Timers may fire a little early; a poll this much ahead of the interval is still on time. */
const POLL_TOLERANCE = 0.75;

export async function deviceCodeGrant(t: TokenRequest): Promise<GrantResult> {
  const { ctx, form, app, authority } = t;
  const clientError = t.app.allowPublicClientFlows ? forbidCredential(t.credential) : authenticateConfidential(ctx, app, t.credential);
  if (clientError) return clientError;
  const deviceCode = form('device_code') ?? form('code');
  if (!deviceCode) return aadsts(900144, { name: 'device_code' });

  const { grants } = entraState(ctx);
  const record = grants.findDeviceCode(deviceCode);
  if (!record || record.clientId !== app.clientId || record.status === 'redeemed') return aadsts(70018);
  const now = ctx.clock.now();
  if (record.expiresAtMs <= now) return aadsts(70020);

  const previous = record.lastPollAtMs;
  record.lastPollAtMs = now;
  if (previous !== undefined && now - previous < record.intervalSeconds * 1000 * POLL_TOLERANCE) {
    // RFC 8628 3.5: the client must add 5 seconds to its interval from now on.
    record.intervalSeconds += 5;
    return slowDown(record.intervalSeconds);
  }
  if (record.status === 'declined') return aadsts(record.declineCode ?? 65004).withError('authorization_declined');
  if (record.status === 'pending') return aadsts(70016);

  const user = ctx.directory.findUser(record.userId!);
  if (!user) return aadsts(70018);
  const scopes = parseScopes(record.scope, directoryName(authority));
  if (scopes instanceof EntraError) return scopes;
  if (missingDelegated(ctx, app, user, scopes).length > 0) return aadsts(65001, { clientId: app.clientId, appName: app.displayName });
  const blocked = conditionalAccessError(ctx, user, 'device_code', record.authTimeMs ?? now);
  if (blocked) return blocked;

  record.status = 'redeemed';
  return userTokenResponse(ctx, {
    baseUrl: t.baseUrl,
    app,
    user,
    scopes,
    clientInfo: form('client_info') === '1',
    clientKind: t.credential.kind === 'none' ? 'public' : 'confidential',
    authTimeMs: record.authTimeMs ?? now,
  });
}
