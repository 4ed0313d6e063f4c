import { createHash, randomBytes } from 'node:crypto';
import { issueGraphAccessToken } from '../access-token.js';
import type { EmulatorContext } from '../context.js';
import { GRAPH_APP_ID, type AppRegistration, type User } from '../directory.js';
import { grantedDelegated } from './consent.js';
import { entraState } from './state.js';
import type { ClientKind } from './grants.js';
import type { GraphForm, RequestedScopes } from './scopes.js';

/**
 * The token response of the v2 endpoint: a Graph access token whose `scp` lists every Graph
 * permission granted to the app for the user (as Entra encodes "every permission your
 * application is granted for that resource"), an id token when `openid` was asked for, a
 * refresh token only when `offline_access` was ("your app must explicitly request the
 * offline_access scope, to receive refresh tokens", scopes-oidc; also for work accounts), and
 * `client_info` (MSAL's account key).
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

/**
 * The OpenID Connect scopes a Graph token response names. The trio "profile openid email" once the
 * grant had `openid`, whether or not `email`/`profile` were asked (the scope pasted in public Graph
 * responses: asked "User.Read offline_access openid profile", answered "User.Read profile openid
 * email"; MSAL's maintainers: openid and profile "are returned when talking to Graph",
 * AzureAD/microsoft-authentication-library-common-for-android#527); `offline_access` is never named
 * (docs/emulator.md, issue 13.12). Without `openid`, the ones asked for.
 */
function echoedOidc(scopes: RequestedScopes, openidInGrant: boolean): string[] {
  if (scopes.oidc.has('openid') || openidInGrant) return ['profile', 'openid', 'email'];
  return (['profile', 'email'] as const).filter((s) => scopes.oidc.has(s));
}

/** Whether the response names Graph permissions with Graph's URI (as the request did, or by switch). */
function echoPrefixed(ctx: EmulatorContext, scopes: RequestedScopes): boolean {
  if (ctx.behaviour.scopeEcho !== 'as-requested') return ctx.behaviour.scopeEcho === 'uri';
  return scopes.graphForm === 'uri' || scopes.graphForm === 'app-id';
}

/**
 * The access token's `aud`: Graph tokens are v1.0 tokens, whose audience "can be the client ID or
 * the resource URI used in the request" (access-token-claims-reference).
 */
export function graphAudience(ctx: EmulatorContext, form: GraphForm | undefined): string {
  const chosen = ctx.behaviour.graphAudience;
  if (chosen === 'uri' || (chosen === 'as-requested' && form === 'uri')) return 'https://graph.microsoft.com';
  return GRAPH_APP_ID;
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
  /** A refresh: the sign-in it continues asked for `openid`. */
  openidInGrant?: boolean;
}

export async function userTokenResponse(ctx: EmulatorContext, input: UserTokenInput): Promise<Record<string, unknown>> {
  // The token's `scp` has short names; the response's `scope` names Graph as the request did.
  const granted = grantedDelegated(ctx, input.app, input.user);
  const oidc = echoedOidc(input.scopes, input.openidInGrant === true);
  const prefix = echoPrefixed(ctx, input.scopes) ? 'https://graph.microsoft.com/' : '';
  const audience = graphAudience(ctx, input.scopes.graphForm);
  const access = await issueGraphAccessToken(ctx, { app: input.app, tenantId: input.user.tenantId, user: input.user, scopes: [...granted, ...oidc], audience });
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: [...granted.map((p) => `${prefix}${p}`), ...oidc].join(' '),
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
