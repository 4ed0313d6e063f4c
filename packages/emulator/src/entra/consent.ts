import type { EmulatorContext } from '../context.js';
import type { AppRegistration, User } from '../directory.js';
import { GRAPH_DELEGATED, type RequestedScopes } from './scopes.js';

/**
 * Consent, as Entra decides it at sign-in. Requests may name delegated permissions that are
 * not in the app's configured list (dynamic consent): the user is asked for them. "/.default"
 * asks for the configured list. A user may consent when the tenant lets users consent and no
 * permission needs an administrator; a Global Administrator may always, and may consent for
 * the whole organization. Everyone else meets "Need admin approval" (AADSTS90094).
 */

/** The delegated Graph permissions a request needs granted. */
function requiredDelegated(app: AppRegistration, scopes: RequestedScopes): string[] {
  return scopes.graphDefault ? [...app.delegatedPermissions] : [...scopes.graph];
}

/** Everything granted to the app for this user (admin consent plus the user's own). */
export function grantedDelegated(ctx: EmulatorContext, app: AppRegistration, user: User): string[] {
  return [...ctx.directory.consentedDelegated(user.tenantId, app.clientId, user.id)];
}

export function missingDelegated(ctx: EmulatorContext, app: AppRegistration, user: User, scopes: RequestedScopes): string[] {
  const granted = new Set(grantedDelegated(ctx, app, user).map((s) => s.toLowerCase()));
  return requiredDelegated(app, scopes).filter((s) => !granted.has(s.toLowerCase()));
}

export type ConsentDecision =
  | { kind: 'none' }
  | { kind: 'prompt'; permissions: string[]; forOrganizationAllowed: boolean }
  | { kind: 'admin-approval'; permissions: string[] };

function mayConsent(ctx: EmulatorContext, user: User, permissions: string[]): boolean {
  if (user.kind === 'work' && user.isAdmin) return true;
  const tenant = ctx.directory.tenants.get(user.tenantId);
  if (!tenant?.userConsentAllowed) return false;
  return !permissions.some((p) => GRAPH_DELEGATED[p]?.adminOnly);
}

export function decideConsent(
  ctx: EmulatorContext,
  app: AppRegistration,
  user: User,
  scopes: RequestedScopes,
  forcePrompt: boolean,
): ConsentDecision {
  const missing = missingDelegated(ctx, app, user, scopes);
  if (missing.length === 0 && !forcePrompt) return { kind: 'none' };
  const permissions = missing.length > 0 ? missing : requiredDelegated(app, scopes);
  if (!mayConsent(ctx, user, permissions)) return { kind: 'admin-approval', permissions };
  return { kind: 'prompt', permissions, forOrganizationAllowed: user.kind === 'work' && user.isAdmin };
}

/** Accept on the consent screen: for this user, or (an administrator's choice) for everyone in the tenant. */
export function recordConsent(ctx: EmulatorContext, app: AppRegistration, user: User, permissions: string[], forOrganization: boolean): void {
  ctx.directory.grantConsent({
    tenantId: user.tenantId,
    clientId: app.clientId,
    userId: forOrganization ? undefined : user.id,
    delegated: permissions,
    application: [],
  });
}
