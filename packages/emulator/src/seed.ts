import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { Directory, DirectoryError, type SignInAudience } from './directory.js';

/**
 * The seed file (JSON or YAML) that defines the emulated directory. Field names follow
 * the portal: see README "Emulator > Seed format".
 */
export interface SeedFile {
  tenants?: { id?: string; displayName?: string; domains: string[]; userConsentAllowed?: boolean }[];
  users?: {
    upn: string;
    /** Tenant GUID or domain; "consumers" for a personal Microsoft account. */
    tenant: string;
    id?: string;
    displayName?: string;
    mailbox?: boolean;
    admin?: boolean;
    sendAs?: string[];
  }[];
  apps?: {
    clientId?: string;
    displayName: string;
    tenant: string;
    signInAudience: SignInAudience;
    redirectUris?: { mobileAndDesktop?: string[]; web?: string[] };
    allowPublicClientFlows?: boolean;
    delegatedPermissions?: string[];
    applicationPermissions?: string[];
    /** Secrets to create; the values are generated and reported once at start-up. */
    secrets?: { displayName?: string; expiresInDays?: number; expiresAt?: string }[];
    /** Consent already granted in tenants (admin consent unless `user` is given). */
    consent?: { tenant: string; user?: string; delegated?: string[]; application?: string[] }[];
  }[];
}

export interface SeededSecret {
  clientId: string;
  appName: string;
  keyId: string;
  value: string;
  expiresAt: string;
}

export const DEMO_TENANT_ID = '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
export const DEMO_DOMAIN = 'contoso.onmicrosoft.com';
export const DEMO_APPS = {
  singleTenant: '11111111-2222-4333-8444-555555555501',
  multiTenant: '11111111-2222-4333-8444-555555555502',
  multiTenantPersonal: '11111111-2222-4333-8444-555555555503',
  appOnly: '11111111-2222-4333-8444-555555555504',
};

/** The demo directory: Contoso with an admin and a mailbox user, a personal account, one app per supported account type. */
export function defaultSeed(): SeedFile {
  const guideApp = (clientId: string, displayName: string, signInAudience: SignInAudience) => ({
    clientId,
    displayName,
    tenant: DEMO_DOMAIN,
    signInAudience,
    // Exactly as the guide registers it: Mobile and desktop redirect http://localhost,
    // public client flows on, delegated Mail.Send, a client secret.
    redirectUris: { mobileAndDesktop: ['http://localhost'] },
    allowPublicClientFlows: true,
    delegatedPermissions: ['Mail.Send'],
    secrets: [{ displayName: 'ImageManager', expiresInDays: 180 }],
    consent: [{ tenant: DEMO_DOMAIN, delegated: ['Mail.Send'] }],
  });
  return {
    tenants: [{ id: DEMO_TENANT_ID, displayName: 'Contoso', domains: [DEMO_DOMAIN, 'contoso.com'] }],
    users: [
      { upn: `admin@${DEMO_DOMAIN}`, tenant: DEMO_DOMAIN, displayName: 'Contoso Admin', admin: true, mailbox: true },
      { upn: `alerts@${DEMO_DOMAIN}`, tenant: DEMO_DOMAIN, displayName: 'ImageManager Alerts', mailbox: true },
      { upn: `it-team@${DEMO_DOMAIN}`, tenant: DEMO_DOMAIN, displayName: 'IT Team', mailbox: true },
      { upn: `nomailbox@${DEMO_DOMAIN}`, tenant: DEMO_DOMAIN, displayName: 'User Without Mailbox', mailbox: false },
      { upn: 'alex@outlook.com', tenant: 'consumers', displayName: 'Alex (personal account)', mailbox: true },
    ],
    apps: [
      guideApp(DEMO_APPS.singleTenant, 'ImageManager (single tenant)', 'AzureADMyOrg'),
      guideApp(DEMO_APPS.multiTenant, 'ImageManager (multitenant)', 'AzureADMultipleOrgs'),
      guideApp(DEMO_APPS.multiTenantPersonal, 'ImageManager (multitenant + personal)', 'AzureADandPersonalMicrosoftAccount'),
      {
        clientId: DEMO_APPS.appOnly,
        displayName: 'ImageManager (app-only)',
        tenant: DEMO_DOMAIN,
        signInAudience: 'AzureADMyOrg',
        applicationPermissions: ['Mail.Send'],
        secrets: [{ displayName: 'ImageManager service', expiresInDays: 365 }],
        consent: [{ tenant: DEMO_DOMAIN, application: ['Mail.Send'] }],
      },
    ],
  };
}

export async function readSeedFile(path: string): Promise<SeedFile> {
  const text = await readFile(path, 'utf8');
  try {
    const data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (typeof data !== 'object' || data === null) throw new Error('the file is not an object with tenants/users/apps');
    return data as SeedFile;
  } catch (err) {
    throw new DirectoryError(`seed file ${path}: ${(err as Error).message}`);
  }
}

/** Fills the directory from a seed; returns the secret values it created (shown once). */
export function applySeed(directory: Directory, seed: SeedFile, nowMs: number): SeededSecret[] {
  const secrets: SeededSecret[] = [];
  for (const t of seed.tenants ?? []) directory.addTenant(t);
  for (const u of seed.users ?? []) directory.addUser(u);
  for (const a of seed.apps ?? []) {
    const app = directory.addApp(a);
    for (const s of a.secrets ?? []) {
      const expiresAt = s.expiresAt ?? new Date(nowMs + (s.expiresInDays ?? 180) * 86_400_000).toISOString();
      const created = directory.addSecret(app.clientId, { displayName: s.displayName, expiresAt });
      secrets.push({ clientId: app.clientId, appName: app.displayName, keyId: created.secret.keyId, value: created.value, expiresAt });
    }
    for (const c of a.consent ?? []) {
      const tenant = directory.findTenant(c.tenant);
      if (!tenant) throw new DirectoryError(`unknown tenant "${c.tenant}" in consent of ${a.displayName}`);
      const user = c.user === undefined ? undefined : directory.findUser(c.user);
      if (c.user !== undefined && !user) throw new DirectoryError(`unknown user "${c.user}" in consent of ${a.displayName}`);
      directory.grantConsent({
        tenantId: tenant.id,
        clientId: app.clientId,
        userId: user?.id,
        delegated: c.delegated ?? [],
        application: c.application ?? [],
      });
    }
  }
  return secrets;
}
