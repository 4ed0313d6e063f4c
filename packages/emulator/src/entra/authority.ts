import { CONSUMER_TENANT_ID, type AppRegistration, type Directory, type Tenant, type User } from '../directory.js';
import { aadsts, type EntraError } from './errors.js';

/**
 * The `{tenant}` path segment and Entra's rules for it: which apps may use which authority
 * (Supported account types) and which accounts may sign in through it.
 */

export type AuthorityFamily = 'common' | 'organizations' | 'consumers' | 'tenant';

export interface Authority {
  /** As the client sent it (used to build endpoint URLs the way Entra does). */
  segment: string;
  family: AuthorityFamily;
  /** The tenant for `tenant`; the consumer tenant for `consumers` (also when reached by its GUID). */
  tenant?: Tenant;
}

const RESERVED: Record<string, AuthorityFamily> = { common: 'common', organizations: 'organizations', consumers: 'consumers' };
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseAuthority(directory: Directory, segment: string): Authority | EntraError {
  const lower = segment.toLowerCase();
  const reserved = RESERVED[lower];
  if (reserved) {
    return { segment, family: reserved, tenant: reserved === 'consumers' ? directory.tenants.get(CONSUMER_TENANT_ID) : undefined };
  }
  if (!GUID.test(segment) && !DNS_NAME.test(segment)) return aadsts(900023, { tenant: segment });
  const tenant = directory.findTenant(lower);
  if (!tenant) return aadsts(90002, { tenant: segment });
  if (tenant.id === CONSUMER_TENANT_ID) return { segment, family: 'consumers', tenant };
  return { segment, family: 'tenant', tenant };
}

/** The tenant name Entra prints in messages ("directory 'Contoso'"). */
export function directoryName(authority: Authority): string {
  if (authority.family === 'tenant') return authority.tenant!.displayName;
  if (authority.family === 'consumers') return 'Microsoft Services';
  return authority.segment;
}

function appArgs(app: AppRegistration) {
  return { clientId: app.clientId, appName: app.displayName };
}

/**
 * A personal-only app on /common passes /authorize and is refused after the account step, on the
 * redirect, with USER_AUDIENCE_CONSUMER_ON_COMMON (signin.ts); other endpoints keep AADSTS9002331.
 */
export function personalOnlyOnCommon(app: AppRegistration, authority: Authority): boolean {
  return app.signInAudience === 'PersonalMicrosoftAccount' && authority.family === 'common';
}

/** Supported account types against the authority: the portal setting the guide's first step chooses. */
export function checkAppAuthority(app: AppRegistration, authority: Authority): EntraError | undefined {
  const orgOnly = app.signInAudience === 'AzureADMyOrg' || app.signInAudience === 'AzureADMultipleOrgs';
  if (authority.family === 'consumers') {
    return orgOnly ? aadsts(9002332, appArgs(app)) : undefined;
  }
  if (app.signInAudience === 'PersonalMicrosoftAccount') return aadsts(9002331, appArgs(app));
  if (app.signInAudience === 'AzureADMyOrg') {
    if (authority.family !== 'tenant') return aadsts(50194, appArgs(app));
    if (authority.tenant!.id !== app.homeTenantId) return aadsts(700016, { clientId: app.clientId, directory: authority.tenant!.displayName });
  }
  return undefined;
}

/** Why an account may not sign in to this app through this authority (shown on the sign-in page), if so. */
export type AccountRefusal =
  | { kind: 'page'; message: string }
  | { kind: 'error'; error: EntraError };

export function checkAccount(directory: Directory, app: AppRegistration, authority: Authority, user: User): AccountRefusal | undefined {
  const personal = user.kind === 'personal';
  if (authority.family === 'organizations' && personal) {
    return { kind: 'page', message: "You can't sign in here with a personal account. Use your work or school account instead." };
  }
  if (authority.family === 'consumers' && !personal) {
    return { kind: 'page', message: "You can't sign in here with a work or school account. Use your personal Microsoft account instead." };
  }
  const refuse = (tenantName: string) => ({
    kind: 'error' as const,
    error: aadsts(50020, {
      upn: user.upn,
      idp: personal ? 'live.com' : `https://sts.windows.net/${user.tenantId}/`,
      tenantName,
      ...appArgs(app),
    }),
  });
  if (authority.family === 'tenant' && authority.tenant!.id !== user.tenantId) return refuse(authority.tenant!.displayName);
  const orgOnly = app.signInAudience === 'AzureADMyOrg' || app.signInAudience === 'AzureADMultipleOrgs';
  // Through /common (a tenant authority was refused above): AADSTS500200, as Entra answers now.
  if (personal && orgOnly) return { kind: 'error', error: aadsts(500200, { upn: user.upn }) };
  if (!personal && app.signInAudience === 'PersonalMicrosoftAccount') return refuse('Microsoft Services');
  if (!personal && app.signInAudience === 'AzureADMyOrg' && user.tenantId !== app.homeTenantId) {
    const home = directory.tenants.get(app.homeTenantId);
    return refuse(home?.displayName ?? app.homeTenantId);
  }
  return undefined;
}


/** checkAccount for the token endpoint, where there is no page to show: every refusal is AADSTS50020. */
export function accountError(directory: Directory, app: AppRegistration, authority: Authority, user: User): EntraError | undefined {
  const refusal = checkAccount(directory, app, authority, user);
  if (!refusal) return undefined;
  if (refusal.kind === 'error') return refusal.error;
  return aadsts(50020, {
    upn: user.upn,
    idp: user.kind === 'personal' ? 'live.com' : `https://sts.windows.net/${user.tenantId}/`,
    tenantName: directoryName(authority),
    ...appArgs(app),
  });
}
