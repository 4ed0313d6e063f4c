import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * The emulated directory: tenants, users and app registrations with exactly the
 * settings the guide walks through (account type, redirect URIs per platform,
 * "Allow public client flows", client secrets, delegated/application permissions)
 * and per-tenant consent.
 */

export const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The portal's "Supported account types", as stored in the app manifest (signInAudience). */
export type SignInAudience =
  | 'AzureADMyOrg'
  | 'AzureADMultipleOrgs'
  | 'AzureADandPersonalMicrosoftAccount'
  | 'PersonalMicrosoftAccount';
export const SIGN_IN_AUDIENCES: SignInAudience[] = [
  'AzureADMyOrg',
  'AzureADMultipleOrgs',
  'AzureADandPersonalMicrosoftAccount',
  'PersonalMicrosoftAccount',
];

export interface Tenant {
  id: string;
  displayName: string;
  /** Verified domains; the first is the initial `*.onmicrosoft.com` domain. */
  domains: string[];
  /** Whether users may consent to apps themselves ("Users can consent to apps"). */
  userConsentAllowed: boolean;
  /**
   * "Users can register applications" (Entra admin center > Identity > Users > User settings).
   * Microsoft's default is Yes; many organisations switch it off, and then only an Application
   * Administrator (or Global Administrator) may create apps through Graph.
   * https://learn.microsoft.com/entra/fundamentals/users-default-permissions
   */
  usersCanRegisterApps: boolean;
}

export interface User {
  id: string; // object id (oid)
  tenantId: string;
  upn: string;
  displayName: string;
  kind: 'work' | 'personal';
  /** Exchange Online mailbox (work) or Outlook.com mailbox (personal). */
  hasMailbox: boolean;
  /** Global administrator: may grant admin consent. */
  isAdmin: boolean;
  /** Shared mailboxes this user may send as (Exchange "Send As"). */
  sendAs: string[];
}

export interface ClientSecret {
  keyId: string;
  displayName: string;
  /** First three characters, as the portal shows after creation. */
  hint: string;
  valueSha256: string;
  expiresAt: string; // ISO 8601
  /** Graph's passwordCredential startDateTime (ISO 8601), when it was added through Graph. */
  startDateTime?: string;
  /** Before this time (ms) the token service does not know the secret yet: replication after addPassword. */
  knownFromMs?: number;
}

/** Certificates & secrets > Certificates: an uploaded certificate (keyCredential, usage Verify). */
export interface AppCertificate {
  keyId: string;
  displayName: string;
  /** The DER certificate, base64 (Graph's keyCredential.key). */
  keyBase64: string;
  /** base64url thumbprints, as x5t (SHA-1) and x5t#S256 name them. */
  thumbprintSha1: string;
  thumbprintSha256: string;
  startDateTime: string;
  endDateTime: string;
}

export interface AppRegistration {
  clientId: string;
  displayName: string;
  homeTenantId: string;
  signInAudience: SignInAudience;
  /** Authentication > Platform configurations. */
  redirectUris: { mobileAndDesktop: string[]; web: string[] };
  /** Authentication > Advanced settings > Allow public client flows. */
  allowPublicClientFlows: boolean;
  secrets: ClientSecret[];
  /** Uploaded certificates, for client assertions (private_key_jwt). */
  certificates?: AppCertificate[];
  /** API permissions > Microsoft Graph (Delegated / Application), e.g. "Mail.Send". */
  delegatedPermissions: string[];
  applicationPermissions: string[];
  /** A Microsoft first-party app present in every tenant (not listed in the emulator's state). */
  firstParty?: boolean;
  /** Before this time (ms) the sign-in endpoints do not know the app yet: replication after POST /applications. */
  knownFromMs?: number;
}

/** Microsoft's own tenant, home of its first-party apps. */
export const MICROSOFT_SERVICES_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
/**
 * "Microsoft Graph Command Line Tools" (the Microsoft Graph PowerShell SDK's public client): the
 * first-party app `register` signs the administrator in with, as Microsoft documents for
 * Connect-MgGraph. https://learn.microsoft.com/powershell/microsoftgraph/authentication-commands
 */
export const GRAPH_CLI_TOOLS_APP_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

/** A grant of permissions to an app in a tenant: admin consent (all users) or one user's consent. */
export interface Consent {
  tenantId: string;
  clientId: string;
  /** Absent: admin consent on behalf of the organization. */
  userId?: string;
  delegated: string[];
  application: string[];
}

export type SecretCheck = 'ok' | 'wrong' | 'expired';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A secret value in the portal's shape: 40 characters with a "~" after the 3-character hint. */
function newSecretValue(): string {
  const body = randomBytes(30).toString('base64url').replace(/[-_]/g, 'x');
  return `${body.slice(0, 3)}8Q~${body.slice(3, 37)}`;
}

export class DirectoryError extends Error {}

export interface DurableDirectory {
  tenants: Tenant[];
  users: User[];
  apps: AppRegistration[];
  consents: Consent[];
}

export class Directory {
  readonly tenants = new Map<string, Tenant>();
  readonly users = new Map<string, User>();
  readonly apps = new Map<string, AppRegistration>();
  consents: Consent[] = [];

  constructor() {
    this.tenants.set(CONSUMER_TENANT_ID, {
      id: CONSUMER_TENANT_ID,
      displayName: 'Microsoft Account (personal)',
      domains: [],
      userConsentAllowed: true,
      usersCanRegisterApps: true,
    });
    this.tenants.set(MICROSOFT_SERVICES_TENANT_ID, {
      id: MICROSOFT_SERVICES_TENANT_ID,
      displayName: 'Microsoft Services',
      domains: [],
      userConsentAllowed: true,
      usersCanRegisterApps: true,
    });
    // Multitenant public client; the permissions are asked for at sign-in (dynamic consent).
    this.apps.set(GRAPH_CLI_TOOLS_APP_ID, {
      clientId: GRAPH_CLI_TOOLS_APP_ID,
      displayName: 'Microsoft Graph Command Line Tools',
      homeTenantId: MICROSOFT_SERVICES_TENANT_ID,
      signInAudience: 'AzureADandPersonalMicrosoftAccount',
      redirectUris: { mobileAndDesktop: ['http://localhost'], web: [] },
      allowPublicClientFlows: true,
      secrets: [],
      delegatedPermissions: [],
      applicationPermissions: [],
      firstParty: true,
    });
  }

  addTenant(input: { id?: string; displayName?: string; domains: string[]; userConsentAllowed?: boolean; usersCanRegisterApps?: boolean }): Tenant {
    const id = (input.id ?? randomUUID()).toLowerCase();
    if (!isGuid(id)) throw new DirectoryError(`tenant id "${id}" is not a GUID`);
    if (this.tenants.has(id)) throw new DirectoryError(`tenant ${id} exists already`);
    if (input.domains.length === 0) throw new DirectoryError('a tenant needs at least one domain');
    const domains = input.domains.map((d) => d.toLowerCase());
    for (const d of domains) {
      if (this.findTenant(d)) throw new DirectoryError(`domain ${d} belongs to another tenant`);
    }
    const tenant: Tenant = {
      id,
      displayName: input.displayName ?? domains[0]!.split('.')[0]!,
      domains,
      userConsentAllowed: input.userConsentAllowed ?? true,
      usersCanRegisterApps: input.usersCanRegisterApps ?? true,
    };
    this.tenants.set(id, tenant);
    return tenant;
  }

  /** A tenant by GUID or verified domain. */
  findTenant(idOrDomain: string): Tenant | undefined {
    const key = idOrDomain.toLowerCase();
    const byId = this.tenants.get(key);
    if (byId) return byId;
    for (const t of this.tenants.values()) if (t.domains.includes(key)) return t;
    return undefined;
  }

  addUser(input: {
    upn: string;
    tenant: string;
    id?: string;
    displayName?: string;
    mailbox?: boolean;
    admin?: boolean;
    sendAs?: string[];
  }): User {
    const tenant = this.findTenant(input.tenant) ?? (input.tenant === 'consumers' ? this.tenants.get(CONSUMER_TENANT_ID) : undefined);
    if (!tenant) throw new DirectoryError(`unknown tenant "${input.tenant}" for user ${input.upn}`);
    const upn = input.upn.toLowerCase();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) throw new DirectoryError(`"${input.upn}" is not a user principal name`);
    if (this.findUser(upn)) throw new DirectoryError(`user ${upn} exists already`);
    const user: User = {
      id: (input.id ?? randomUUID()).toLowerCase(),
      tenantId: tenant.id,
      upn,
      displayName: input.displayName ?? upn.split('@')[0]!,
      kind: tenant.id === CONSUMER_TENANT_ID ? 'personal' : 'work',
      hasMailbox: input.mailbox ?? true,
      isAdmin: input.admin ?? false,
      sendAs: (input.sendAs ?? []).map((s) => s.toLowerCase()),
    };
    this.users.set(user.id, user);
    return user;
  }

  /** A user by object id or UPN (case-insensitive). */
  findUser(idOrUpn: string): User | undefined {
    const key = idOrUpn.toLowerCase();
    const byId = this.users.get(key);
    if (byId) return byId;
    for (const u of this.users.values()) if (u.upn === key) return u;
    return undefined;
  }

  addApp(input: {
    clientId?: string;
    displayName: string;
    tenant: string;
    signInAudience: SignInAudience;
    redirectUris?: { mobileAndDesktop?: string[]; web?: string[] };
    allowPublicClientFlows?: boolean;
    delegatedPermissions?: string[];
    applicationPermissions?: string[];
  }): AppRegistration {
    const home = this.findTenant(input.tenant);
    if (!home) throw new DirectoryError(`unknown tenant "${input.tenant}" for app ${input.displayName}`);
    if (!SIGN_IN_AUDIENCES.includes(input.signInAudience)) {
      throw new DirectoryError(`signInAudience must be one of ${SIGN_IN_AUDIENCES.join(', ')}`);
    }
    const clientId = (input.clientId ?? randomUUID()).toLowerCase();
    if (!isGuid(clientId)) throw new DirectoryError(`client id "${clientId}" is not a GUID`);
    if (this.apps.has(clientId)) throw new DirectoryError(`app ${clientId} exists already`);
    const app: AppRegistration = {
      clientId,
      displayName: input.displayName,
      homeTenantId: home.id,
      signInAudience: input.signInAudience,
      redirectUris: {
        mobileAndDesktop: [...(input.redirectUris?.mobileAndDesktop ?? [])],
        web: [...(input.redirectUris?.web ?? [])],
      },
      allowPublicClientFlows: input.allowPublicClientFlows ?? false,
      secrets: [],
      delegatedPermissions: [...(input.delegatedPermissions ?? [])],
      applicationPermissions: [...(input.applicationPermissions ?? [])],
    };
    this.apps.set(clientId, app);
    return app;
  }

  findApp(clientId: string): AppRegistration | undefined {
    return this.apps.get(clientId.toLowerCase());
  }

  /** The app as the sign-in endpoints see it: not yet, while a new app replicates (AADSTS700016). */
  findAppForSignIn(clientId: string, nowMs: number): AppRegistration | undefined {
    const app = this.findApp(clientId);
    return app && (app.knownFromMs === undefined || app.knownFromMs <= nowMs) ? app : undefined;
  }

  /** Certificates & secrets > New client secret. Returns the value: it is shown only this once. */
  addSecret(clientId: string, input: { displayName?: string; expiresAt: string; startDateTime?: string; value?: string; knownFromMs?: number }): { secret: ClientSecret; value: string } {
    const app = this.requireApp(clientId);
    const value = input.value ?? newSecretValue();
    const secret: ClientSecret = {
      keyId: randomUUID(),
      displayName: input.displayName ?? 'client secret',
      hint: value.slice(0, 3),
      valueSha256: hashSecret(value),
      expiresAt: new Date(input.expiresAt).toISOString(),
      ...(input.startDateTime === undefined ? {} : { startDateTime: input.startDateTime }),
      ...(input.knownFromMs === undefined ? {} : { knownFromMs: input.knownFromMs }),
    };
    app.secrets.push(secret);
    return { secret, value };
  }

  /** Compares a presented client secret with the app's secrets, in constant time. */
  checkSecret(app: AppRegistration, presented: string, nowMs: number): SecretCheck {
    const presentedHash = Buffer.from(hashSecret(presented), 'hex');
    const match = app.secrets.find((s) => timingSafeEqual(Buffer.from(s.valueSha256, 'hex'), presentedHash));
    // A secret still replicating is refused like a wrong one (AADSTS7000215), as Entra does for a while.
    if (!match || (match.knownFromMs ?? 0) > nowMs) return 'wrong';
    return Date.parse(match.expiresAt) <= nowMs ? 'expired' : 'ok';
  }

  /** Expires every secret of an app (fault injection: "the secret expired"). */
  expireSecrets(clientId: string, nowMs: number): number {
    const app = this.requireApp(clientId);
    for (const s of app.secrets) s.expiresAt = new Date(nowMs - 1000).toISOString();
    return app.secrets.length;
  }

  grantConsent(consent: Consent): void {
    const existing = this.consents.find(
      (c) => c.tenantId === consent.tenantId && c.clientId === consent.clientId && c.userId === consent.userId,
    );
    if (existing) {
      existing.delegated = [...new Set([...existing.delegated, ...consent.delegated])];
      existing.application = [...new Set([...existing.application, ...consent.application])];
    } else {
      this.consents.push({ ...consent, delegated: [...consent.delegated], application: [...consent.application] });
    }
  }

  /** Removes consent (all of it for the app in the tenant, or one user's). */
  revokeConsent(tenantId: string, clientId: string, userId?: string): number {
    const before = this.consents.length;
    this.consents = this.consents.filter(
      (c) => !(c.tenantId === tenantId && c.clientId === clientId && (userId === undefined || c.userId === userId)),
    );
    return before - this.consents.length;
  }

  /** Delegated permissions granted to the app for this user in this tenant (admin + own consent). */
  consentedDelegated(tenantId: string, clientId: string, userId: string): Set<string> {
    const granted = new Set<string>();
    for (const c of this.consents) {
      if (c.tenantId === tenantId && c.clientId === clientId && (c.userId === undefined || c.userId === userId)) {
        for (const s of c.delegated) granted.add(s);
      }
    }
    return granted;
  }

  /** Application permissions (app roles) an admin granted to the app in this tenant. */
  consentedApplication(tenantId: string, clientId: string): Set<string> {
    const granted = new Set<string>();
    for (const c of this.consents) {
      if (c.tenantId === tenantId && c.clientId === clientId && c.userId === undefined) {
        for (const s of c.application) granted.add(s);
      }
    }
    return granted;
  }

  requireApp(clientId: string): AppRegistration {
    const app = this.findApp(clientId);
    if (!app) throw new DirectoryError(`unknown app ${clientId}`);
    return app;
  }

  /** Tenants, users, apps (secrets by hash) and consents: what the data dir's tenant file keeps. */
  durable(): DurableDirectory {
    return {
      tenants: [...this.tenants.values()],
      users: [...this.users.values()],
      apps: [...this.apps.values()].filter((a) => !a.firstParty),
      consents: this.consents,
    };
  }

  /** Puts back what `durable()` gave (the built-in tenants and first-party apps stay). */
  restoreDirectory(state: DurableDirectory): void {
    for (const t of state.tenants) this.tenants.set(t.id, t);
    for (const u of state.users) this.users.set(u.id, u);
    for (const a of state.apps) this.apps.set(a.clientId, a);
    this.consents = state.consents;
  }

  /** Everything but secret values (hashes are dropped too), for GET /_emulator/state. */
  snapshot() {
    return {
      tenants: [...this.tenants.values()],
      users: [...this.users.values()],
      apps: [...this.apps.values()].filter((a) => !a.firstParty).map((a) => ({
        ...a,
        secrets: a.secrets.map(({ valueSha256: _v, ...s }) => s),
      })),
      consents: this.consents,
    };
  }
}
