import type { FastifyRequest } from 'fastify';
import { verifyGraphAccessToken, type GraphAccessClaims } from '../access-token.js';
import type { EmulatorContext } from '../context.js';
import type { User } from '../directory.js';
import { accessDenied, GraphError, invalidUser, TEXT, unauthorized } from './errors.js';

/** Who is calling Graph: a user through an app (delegated `scp`) or the app itself (`roles`). */
export interface GraphCaller {
  kind: 'delegated' | 'app';
  claims: GraphAccessClaims;
  tenantId: string;
  appId: string;
  /** Delegated: the signed-in user. */
  user?: User;
  /** Lower-cased permission names from `scp` (delegated) or `roles` (app-only). */
  permissions: Set<string>;
}

/** Validates the bearer token as Graph does: 401 InvalidAuthenticationToken with Graph's texts. */
export async function authenticate(ctx: EmulatorContext, authorization: string | undefined): Promise<GraphCaller> {
  const check = await verifyGraphAccessToken(ctx, authorization);
  if (!check.ok) {
    const bearer = /^Bearer\s+(\S*)$/i.exec(authorization ?? '')?.[1] ?? '';
    if (check.reason === 'missing' || bearer === '') throw unauthorized(TEXT.tokenEmpty);
    if (!bearer.includes('.')) throw unauthorized(TEXT.tokenNoDots);
    if (check.reason === 'expired') throw unauthorized(TEXT.tokenExpired);
    if (check.reason === 'wrong-audience') throw unauthorized(TEXT.tokenAudience);
    throw unauthorized(TEXT.tokenInvalid);
  }
  const claims = check.claims;
  if (claims.idtyp === 'app' || claims.scp === undefined) {
    return {
      kind: 'app',
      claims,
      tenantId: claims.tid,
      appId: claims.appid,
      permissions: new Set((claims.roles ?? []).map((r) => r.toLowerCase())),
    };
  }
  const user = ctx.directory.users.get(claims.oid);
  // A valid signature for a user the directory no longer knows: Graph cannot map the token to anyone.
  if (!user) throw unauthorized(TEXT.tokenInvalid);
  return {
    kind: 'delegated',
    claims,
    tenantId: claims.tid,
    appId: claims.appid,
    user,
    permissions: new Set(claims.scp.split(' ').filter(Boolean).map((s) => s.toLowerCase())),
  };
}

const callers = new WeakMap<FastifyRequest, GraphCaller>();

export function setCaller(request: FastifyRequest, caller: GraphCaller): void {
  callers.set(request, caller);
}

export function callerOf(request: FastifyRequest): GraphCaller {
  const caller = callers.get(request);
  if (!caller) throw new GraphError(500, 'InternalServerError', TEXT.internal);
  return caller;
}

export function hasAny(caller: GraphCaller, permissions: readonly string[]): boolean {
  return permissions.some((p) => caller.permissions.has(p.toLowerCase()));
}

/** `me` or the `{id | userPrincipalName}` of `/users/{...}`, resolved within the caller's tenant. */
export function resolveTarget(ctx: EmulatorContext, caller: GraphCaller, userSegment: string | undefined): User {
  if (userSegment === undefined) {
    if (caller.kind === 'app' || !caller.user) throw new GraphError(400, 'BadRequest', TEXT.meAppOnly);
    return caller.user;
  }
  const user = ctx.directory.findUser(userSegment);
  if (!user || user.tenantId !== caller.tenantId) throw invalidUser(userSegment);
  return user;
}

/** A directory user without an Exchange Online mailbox. */
export function requireMailbox(user: User): void {
  if (!user.hasMailbox) throw new GraphError(404, 'MailboxNotEnabledForRESTAPI', TEXT.noMailbox);
}

/**
 * What a mail operation on `target` needs. Delegated callers reach their own mailbox with the plain
 * permission, and another mailbox (a shared mailbox they hold Send As on) only with its `.Shared`
 * variant; app-only callers reach every mailbox of their tenant with the application permission.
 */
export function requireMailPermission(caller: GraphCaller, target: User, permission: 'Mail.Send' | 'Mail.ReadWrite' | 'Mail.Read'): void {
  const accepted: Record<typeof permission, string[]> = {
    'Mail.Send': ['Mail.Send'],
    'Mail.ReadWrite': ['Mail.ReadWrite'],
    'Mail.Read': ['Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite'],
  };
  const own = accepted[permission];
  if (caller.kind === 'app') {
    // A token with no `roles` claim at all: 401 NoPermissionsInAccessToken, as pasted from
    // /users/{id}/sendMail in microsoftgraph/microsoft-graph-docs#5673 and O365/python-o365#446.
    if (caller.permissions.size === 0) throw new GraphError(401, 'NoPermissionsInAccessToken', 'The token contains no permissions, or permissions can not be understood.');
    if (!hasAny(caller, own)) throw accessDenied();
    return;
  }
  if (caller.user?.id === target.id) {
    if (!hasAny(caller, own)) throw accessDenied();
    return;
  }
  const hasRights = caller.user?.sendAs.includes(target.upn) ?? false;
  if (!hasRights || !hasAny(caller, own.map((p) => `${p}.Shared`))) throw accessDenied();
}

/** GET /me reads the directory: it needs a User.* (or Directory.*) permission, like Graph. */
export const PROFILE_PERMISSIONS = [
  'User.Read',
  'User.ReadWrite',
  'User.ReadBasic.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];
