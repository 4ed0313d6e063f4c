import { createHttpsTransport } from '../graph/index.js';
import { bootstrapScopes, signInAdministrator, type AdministratorGraph } from './admin-sign-in.js';
import {
  desiredApplication,
  findDrift,
  APPLICATION_OWNED_BY_ROLE_ID,
  GRAPH_RESOURCE_APP_ID,
  MAIL_SEND_ROLE_ID,
  patchFor,
  REGISTRATION_MARKER,
  type Drift,
  type GraphApplication,
  type RegistrationWanted,
} from './desired.js';
import { DirectoryClient, RegistrationError } from './directory-client.js';
import { readRegistration, type RegistrationRecord } from './record.js';
import { SECRET_DISPLAY_NAME } from './rotate.js';

export interface RegisterOptions extends Omit<AdministratorGraph, 'tenant'> {
  wanted: RegistrationWanted;
  /** An existing app to check and fix (its Application (client) ID). */
  clientId?: string;
  /** Tenant ID or domain to sign in to; default `organizations` (the administrator's own). */
  tenant?: string;
  grantAdminConsent: boolean;
  /** Only read the registration and report what differs from the guide; change nothing. */
  checkOnly?: boolean;
  /** App-only: add a client secret valid this long (the value goes to the caller, never printed). */
  newSecretLifetimeMs?: number;
  now?: () => number;
  onProgress(line: string): void;
}

export interface RegisterResult {
  appId: string;
  tenantId: string;
  displayName: string;
  created: boolean;
  /** What differed from the guide and was changed. */
  changes: Drift[];
  secret?: { value: string; endDateTime: string };
  consent: 'granted' | 'already' | 'not-asked';
  /** The enterprise application's object id, when consent made or found it. */
  servicePrincipalId?: string;
  administrator: string;
  /** The registration as Graph shows it after the changes, for doctor and the page. */
  record?: RegistrationRecord;
}

/** An AllPrincipals grant or app role assignment that exists already answers 409: that is "done". */
async function idempotent(step: () => Promise<void>): Promise<'granted' | 'already'> {
  try {
    await step();
    return 'granted';
  } catch (err) {
    if (err instanceof RegistrationError && err.status === 409) return 'already';
    throw err;
  }
}

/** Graph answers 400 "...already exist for the following modified properties: 'owners'" for a repeat. */
async function alreadyOwner(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (err instanceof RegistrationError && err.status === 400 && /already exist/i.test(err.message)) return;
    throw err;
  }
}

async function findExisting(directory: DirectoryClient, options: RegisterOptions): Promise<GraphApplication | undefined> {
  if (options.clientId) {
    const app = await directory.applicationByAppId(options.clientId);
    if (!app) {
      throw new RegistrationError(
        `No app registration with the Application (client) ID ${options.clientId} in this tenant. Copy the ID from ` +
          'App registrations > your app > Overview, or leave out --client-id to create the app.',
      );
    }
    return app;
  }
  const ours = (await directory.applicationsNamed(options.wanted.displayName)).filter((a) => a.notes === REGISTRATION_MARKER);
  if (ours.length > 1) {
    throw new RegistrationError(
      `There are ${ours.length} app registrations named "${options.wanted.displayName}" made by o365-notify (${ours.map((a) => a.appId).join(', ')}). ` +
        'Pick one with --client-id, and delete the others in App registrations.',
    );
  }
  return ours[0];
}

/**
 * The guide's portal work through Microsoft Graph: find or create the app, fix what differs from
 * the guide, add a secret when app-only needs one, grant admin consent when asked.
 */
export async function register(options: RegisterOptions): Promise<RegisterResult> {
  const now = options.now ?? Date.now;
  const admin = await signInAdministrator({
    loginHost: options.loginHost,
    tenant: options.tenant ?? 'organizations',
    clientId: options.bootstrapClientId,
    scopes: bootstrapScopes(options.grantAdminConsent),
    ca: options.ca,
    emulator: options.emulator,
    onCode: options.onCode,
  });
  options.onProgress(`Signed in as ${admin.username} (tenant ${admin.tenantId}).`);
  const transport = createHttpsTransport({ ca: options.ca });
  try {
    const directory = new DirectoryClient(options.graphBase, admin.accessToken, transport);
    let app = await findExisting(directory, options);
    let created = false;
    let changes: Drift[] = [];
    if (options.checkOnly) {
      if (!app) throw new RegistrationError(`There is no app registration named "${options.wanted.displayName}" made by o365-notify; give its --client-id, or run register without --check to create it.`);
      changes = findDrift(app, options.wanted);
      for (const c of changes) options.onProgress(`Differs from the guide: ${c.where}: ${c.now} (should be ${c.wanted})`);
      for (const s of (app.passwordCredentials ?? []).filter((p) => p.endDateTime && Date.parse(p.endDateTime) <= now())) {
        options.onProgress(`Expired: Certificates & secrets > client secret "${s.displayName ?? s.keyId}" (${s.hint ?? ''}...) expired on ${s.endDateTime!.slice(0, 10)}.`);
      }
      if (changes.length === 0) options.onProgress(`The app registration "${app.displayName}" (${app.appId}) follows the guide.`);
      const record = await readRegistration(directory, app.appId, 'register --check', { withConsent: false, now: now() });
      return { appId: app.appId, tenantId: admin.tenantId, displayName: app.displayName, created: false, changes, consent: 'not-asked', administrator: admin.username, record };
    }
    if (!app) {
      app = await directory.createApplication(desiredApplication(options.wanted));
      created = true;
      options.onProgress(`Created the app registration "${app.displayName}" (Application (client) ID ${app.appId}).`);
    } else {
      changes = findDrift(app, options.wanted);
      if (changes.length > 0) await directory.patchApplication(app.id, patchFor(changes));
      for (const c of changes) options.onProgress(`Changed ${c.where}: ${c.now} -> ${c.wanted}`);
      if (changes.length === 0) options.onProgress(`The app registration "${app.displayName}" (${app.appId}) already follows the guide.`);
    }
    let secret: RegisterResult['secret'];
    if (options.wanted.auth === 'app-only' && options.newSecretLifetimeMs !== undefined) {
      const added = await directory.addPassword(app.id, SECRET_DISPLAY_NAME, new Date(now() + options.newSecretLifetimeMs).toISOString());
      secret = { value: added.secretText, endDateTime: added.endDateTime };
      options.onProgress(`Added a client secret (Certificates & secrets), valid until ${added.endDateTime.slice(0, 10)}; it is stored encrypted, never shown.`);
    }
    let consent: RegisterResult['consent'] = 'not-asked';
    let servicePrincipalId: string | undefined;
    if (options.grantAdminConsent) {
      const client = (await directory.servicePrincipal(app.appId)) ?? (await directory.createServicePrincipal(app.appId));
      servicePrincipalId = client.id;
      const graph = await directory.servicePrincipal(GRAPH_RESOURCE_APP_ID);
      if (!graph) throw new RegistrationError('Microsoft Graph has no service principal in this tenant, so consent cannot be granted.');
      consent =
        options.wanted.auth === 'app-only'
          ? await idempotent(() => directory.assignAppRole(client.id, graph.id, MAIL_SEND_ROLE_ID))
          : await idempotent(() => directory.grantDelegated(client.id, graph.id, options.wanted.largeAttachments ? 'Mail.Send Mail.ReadWrite' : 'Mail.Send'));
      options.onProgress(consent === 'granted' ? 'Granted admin consent (API permissions > Grant admin consent).' : 'Admin consent was already granted.');
      if (options.wanted.auth === 'app-only' && options.wanted.selfRotate) {
        // Application.ReadWrite.OwnedBy covers only apps it owns: the app becomes an owner of itself.
        await idempotent(() => directory.assignAppRole(client.id, graph.id, APPLICATION_OWNED_BY_ROLE_ID));
        await alreadyOwner(() => directory.addOwner(app!.id, client.id));
        options.onProgress('The app may renew its own client secret (Application.ReadWrite.OwnedBy, and it is an owner of itself).');
      }
    }
    const record = await readRegistration(directory, app.appId, 'register', { withConsent: options.grantAdminConsent, now: now() });
    return { appId: app.appId, tenantId: admin.tenantId, displayName: app.displayName, created, changes, secret, consent, servicePrincipalId, administrator: admin.username, record };
  } finally {
    transport.close();
  }
}

/**
 * Graph cannot limit an app-only app to one mailbox: Exchange Online's RBAC for Applications does
 * (https://learn.microsoft.com/exchange/permissions-exo/application-rbac). Lines to run in
 * Exchange Online PowerShell.
 */
export function exchangeScopeLines(appId: string, servicePrincipalObjectId: string, mailbox: string): string[] {
  return [
    'Connect-ExchangeOnline',
    `New-ServicePrincipal -AppId ${appId} -ObjectId ${servicePrincipalObjectId} -DisplayName "o365-notify"`,
    `New-ManagementScope -Name "o365-notify sender" -RecipientRestrictionFilter "PrimarySmtpAddress -eq '${mailbox}'"`,
    `New-ManagementRoleAssignment -App ${appId} -Role "Application Mail.Send" -CustomResourceScope "o365-notify sender"`,
  ];
}
