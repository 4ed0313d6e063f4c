import { join } from 'node:path';
import { ensureHomeDir, readFileIfExists, writeFileAtomic } from '../infra/index.js';
import { MAIL_SEND_ROLE_ID, type GraphApplication } from './desired.js';
import type { DirectoryClient } from './directory-client.js';

/**
 * The app registration as Graph last showed it to an account that could read it (`register`,
 * `register --check`, `secret rotate`, `doctor --read-registration`), kept in the home so doctor
 * and the settings page can check it against the guide without an administrator at hand. It holds
 * no secret: password credentials appear as Graph lists them (hint, dates), never their value.
 */
export interface RegistrationRecord {
  readAt: string;
  /** The command that read it, for "as read by ... on ...". */
  readBy: string;
  application: GraphApplication;
  /** Admin consent for Microsoft Graph (all users / app roles); null when it was not read. */
  consent: { delegated: string[]; application: string[] } | null;
}

const RECORD_FILE = 'registration.json';

const ROLE_NAMES: Record<string, string> = { [MAIL_SEND_ROLE_ID]: 'Mail.Send' };

/** Only the properties the checks use: nothing else of the tenant ends up on disk. */
function kept(app: GraphApplication): GraphApplication {
  return {
    id: app.id,
    appId: app.appId,
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    notes: app.notes ?? null,
    isFallbackPublicClient: app.isFallbackPublicClient ?? null,
    publicClient: { redirectUris: app.publicClient?.redirectUris ?? [] },
    web: { redirectUris: app.web?.redirectUris ?? [] },
    spa: { redirectUris: app.spa?.redirectUris ?? [] },
    requiredResourceAccess: app.requiredResourceAccess ?? [],
    passwordCredentials: (app.passwordCredentials ?? []).map((c) => ({ keyId: c.keyId, displayName: c.displayName ?? null, endDateTime: c.endDateTime ?? null, hint: c.hint ?? null })),
    keyCredentials: (app.keyCredentials ?? []).map((c) => ({
      keyId: c.keyId,
      displayName: c.displayName ?? null,
      endDateTime: c.endDateTime ?? null,
      type: c.type,
      usage: c.usage,
      customKeyIdentifier: c.customKeyIdentifier ?? null,
    })),
  };
}

/** Reads the app (and, when `withConsent`, its admin consent) through Graph. */
export async function readRegistration(directory: DirectoryClient, appId: string, readBy: string, options: { withConsent: boolean; now: number }): Promise<RegistrationRecord | undefined> {
  const app = await directory.applicationByAppId(appId);
  if (!app) return undefined;
  let consent: RegistrationRecord['consent'] = null;
  if (options.withConsent) {
    const sp = await directory.servicePrincipal(appId);
    if (!sp) consent = { delegated: [], application: [] };
    else {
      const grants = await directory.delegatedGrants(sp.id);
      const roles = await directory.appRoleAssignments(sp.id);
      consent = {
        delegated: [...new Set(grants.filter((g) => g.consentType === 'AllPrincipals').flatMap((g) => g.scope.split(' ').filter(Boolean)))],
        application: roles.map((r) => ROLE_NAMES[r.appRoleId] ?? r.appRoleId),
      };
    }
  }
  return { readAt: new Date(options.now).toISOString(), readBy, application: kept(app), consent };
}

export async function saveRegistrationRecord(home: string, record: RegistrationRecord): Promise<void> {
  await ensureHomeDir(home);
  await writeFileAtomic(join(home, RECORD_FILE), JSON.stringify({ ...record, application: kept(record.application) }, null, 2) + '\n');
}

/** The record for this Client ID, if one was read; a damaged file counts as none. */
export async function loadRegistrationRecord(home: string, clientId: string | undefined): Promise<RegistrationRecord | undefined> {
  if (!clientId) return undefined;
  const text = await readFileIfExists(join(home, RECORD_FILE));
  if (!text) return undefined;
  try {
    const record = JSON.parse(text) as RegistrationRecord;
    return record.application?.appId?.toLowerCase() === clientId.toLowerCase() ? record : undefined;
  } catch {
    return undefined;
  }
}
