import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { EmulatorContext } from './context.js';
import { GRAPH_APP_ID, type AppRegistration, type User } from './directory.js';

/** Claims of a Microsoft Graph access token (v1.0 format, as Entra issues them for Graph). */
export interface GraphAccessClaims extends JWTPayload {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  app_displayname: string;
  idtyp: 'user' | 'app';
  oid: string;
  sub: string;
  ver: '1.0';
  /** Delegated: space-separated scopes. */
  scp?: string;
  /** App-only: application permissions. */
  roles?: string[];
  upn?: string;
  unique_name?: string;
  name?: string;
}

export const GRAPH_AUDIENCES = [GRAPH_APP_ID, 'https://graph.microsoft.com', 'https://graph.microsoft.com/'];

/** Issues a Graph access token for a user (delegated `scp`) or for the app itself (`roles`). */
export async function issueGraphAccessToken(
  ctx: EmulatorContext,
  input: { app: AppRegistration; tenantId: string; user?: User; scopes?: string[]; roles?: string[]; lifetimeSeconds?: number; audience?: string },
): Promise<{ token: string; expiresIn: number; claims: GraphAccessClaims }> {
  const now = ctx.clock.nowSeconds();
  const expiresIn = input.lifetimeSeconds ?? ctx.behaviour.accessTokenLifetimeSeconds;
  const claims: GraphAccessClaims = {
    // Entra names the resource as the request did: the app id for short scopes, the URI for `https://graph.microsoft.com/.default`.
    aud: input.audience ?? GRAPH_APP_ID,
    iss: `https://sts.windows.net/${input.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + expiresIn,
    tid: input.tenantId,
    appid: input.app.clientId,
    app_displayname: input.app.displayName,
    idtyp: input.user ? 'user' : 'app',
    // The app's service principal stands in for the app's object id.
    oid: input.user?.id ?? input.app.clientId,
    sub: input.user?.id ?? input.app.clientId,
    ver: '1.0',
    uti: randomBytes(16).toString('base64url'),
  };
  if (input.user) {
    claims.scp = (input.scopes ?? []).join(' ');
    claims.name = input.user.displayName;
    if (input.user.kind === 'work') claims.upn = input.user.upn;
    claims.unique_name = input.user.upn;
  } else if (input.roles && input.roles.length > 0) {
    // Claims are present only when they have a value: an app with no granted Application
    // permission gets a token without `roles` at all (access-token-claims-reference, issue 13.5).
    claims.roles = input.roles;
  }
  return { token: await ctx.signer.sign(claims), expiresIn, claims };
}

export type AccessTokenCheck =
  | { ok: true; claims: GraphAccessClaims }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'invalid-signature' | 'wrong-audience' };

/** Graph's side: signature, audience and lifetime of a bearer token, on the emulator clock. */
export async function verifyGraphAccessToken(ctx: EmulatorContext, authorization: string | undefined): Promise<AccessTokenCheck> {
  if (!authorization) return { ok: false, reason: 'missing' };
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) return { ok: false, reason: 'malformed' };
  try {
    const claims = (await ctx.signer.verify(match[1]!, { nowSeconds: ctx.clock.nowSeconds(), audience: GRAPH_AUDIENCES })) as GraphAccessClaims;
    return { ok: true, claims };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') return { ok: false, reason: 'expired' };
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return { ok: false, reason: 'wrong-audience' };
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return { ok: false, reason: 'invalid-signature' };
    return { ok: false, reason: 'malformed' };
  }
}
