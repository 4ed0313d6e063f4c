import { createHash, randomBytes } from 'node:crypto';
import { issueGraphAccessToken } from '../access-token.js';
import type { EmulatorContext } from '../context.js';
import type { AppRegistration, User } from '../directory.js';
import { grantedDelegated } from './consent.js';
import { entraState } from './state.js';
import type { ClientKind } from './grants.js';
import type { RequestedScopes } from './scopes.js';

/**
 * The token response of the v2 endpoint: a Graph access token whose `scp` lists every Graph
 * permission granted to the app for the user (as Entra encodes "every permission your
 * application is granted for that resource"), an id token when `openid` was asked for, a
 * refresh token when `offline_access` was, and `client_info` (MSAL's account key).
 */

/** base64url JSON {uid, utid}: MSAL builds the home account id "uid.utid" from it. */
export function clientInfo(user: User): string {
  return Buffer.from(JSON.stringify({ uid: user.id, utid: user.tenantId }), 'utf8').toString('base64url');
}

/** Entra's `sub` is pairwise: stable for a user and an app, different across apps. */
function pairwiseSubject(user: User, app: AppRegistration): string {
  return createHash('sha256').update(`${user.id}:${app.clientId}`).digest('base64url').slice(0, 43);
}

async function issueIdToken(
  ctx: EmulatorContext,
  input: { baseUrl: string; app: AppRegistration; user: User; nonce?: string; email: boolean; authTimeMs: number },
): Promise<string> {
  const now = ctx.clock.nowSeconds();
  const { user, app } = input;
  return ctx.signer.sign({
    aud: app.clientId,
    iss: `${input.baseUrl}/${user.tenantId}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + 3600,
    auth_time: Math.floor(input.authTimeMs / 1000),
    name: user.displayName,
    oid: user.id,
    preferred_username: user.upn,
    sub: pairwiseSubject(user, app),
    tid: user.tenantId,
    uti: randomBytes(16).toString('base64url'),
    ver: '2.0',
    ...(input.email ? { email: user.upn } : {}),
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
  });
}

/** The scopes the tokens carry: granted Graph permissions, then the OpenID Connect ones asked for. */
function grantedScopeList(ctx: EmulatorContext, app: AppRegistration, user: User, scopes: RequestedScopes): string[] {
  const oidc = (['profile', 'openid', 'email'] as const).filter((s) => scopes.oidc.has(s));
  return [...grantedDelegated(ctx, app, user), ...oidc];
}

export interface UserTokenInput {
  baseUrl: string;
  app: AppRegistration;
  user: User;
  scopes: RequestedScopes;
  nonce?: string;
  clientInfo: boolean;
  clientKind: ClientKind;
  authTimeMs: number;
  /** The refresh grant always returns a new refresh token (rotation). */
  alwaysRefreshToken?: boolean;
}

export async function userTokenResponse(ctx: EmulatorContext, input: UserTokenInput): Promise<Record<string, unknown>> {
  const scopeList = grantedScopeList(ctx, input.app, input.user, input.scopes);
  const access = await issueGraphAccessToken(ctx, { app: input.app, tenantId: input.user.tenantId, user: input.user, scopes: scopeList });
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: scopeList.join(' '),
    expires_in: access.expiresIn,
    ext_expires_in: access.expiresIn,
    access_token: access.token,
  };
  if (input.scopes.oidc.has('offline_access') || input.alwaysRefreshToken) {
    body.refresh_token = entraState(ctx).grants.issueRefreshToken({
      clientId: input.app.clientId,
      userId: input.user.id,
      tenantId: input.user.tenantId,
      clientKind: input.clientKind,
      scope: input.scopes.raw,
      authTimeMs: input.authTimeMs,
    });
  }
  if (input.scopes.oidc.has('openid')) {
    body.id_token = await issueIdToken(ctx, {
      baseUrl: input.baseUrl,
      app: input.app,
      user: input.user,
      nonce: input.nonce,
      email: input.scopes.oidc.has('email'),
      authTimeMs: input.authTimeMs,
    });
  }
  if (input.clientInfo) body.client_info = clientInfo(input.user);
  return body;
}
