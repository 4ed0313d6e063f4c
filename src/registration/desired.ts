import type { AccountType, AuthMode, GuideStep } from '../config/index.js';

/**
 * The app registration the guide describes, as Graph's application object, and how an existing
 * one differs from it - in the portal's words. Permission ids from Microsoft's permissions
 * reference (https://learn.microsoft.com/graph/permissions-reference).
 */
export const GRAPH_RESOURCE_APP_ID = '00000003-0000-0000-c000-000000000000';
export const MAIL_SEND_SCOPE_ID = 'e383f46e-2787-4529-855e-0e479a3ffac0';
export const MAIL_READWRITE_SCOPE_ID = '024d486e-b451-40bb-833d-3e66d98c5c73';
export const MAIL_SEND_ROLE_ID = 'b633e1c5-b582-4048-a93e-9f11b44c7e96';
/** Lets an app-only app renew its own secret: it may manage only the apps it owns. */
export const APPLICATION_OWNED_BY_ROLE_ID = '18a4783c-866b-4cc7-a460-3d5e5662c884';
/** Set in `notes`, so a second run finds the app it made by name without a Client ID. */
export const REGISTRATION_MARKER = 'Registered by o365-notify register (ImageManager e-mail notifications).';

export const SIGN_IN_AUDIENCE: Record<AccountType, string> = {
  'single-tenant': 'AzureADMyOrg',
  'multi-tenant': 'AzureADMultipleOrgs',
  'multi-tenant-personal': 'AzureADandPersonalMicrosoftAccount',
};

export const AUDIENCE_WORDS: Record<string, string> = {
  AzureADMyOrg: 'Accounts in this organizational directory only (Single tenant)',
  AzureADMultipleOrgs: 'Accounts in any organizational directory (Any Microsoft Entra ID tenant - Multitenant)',
  AzureADandPersonalMicrosoftAccount: 'Accounts in any organizational directory and personal Microsoft accounts',
  PersonalMicrosoftAccount: 'Personal Microsoft accounts only',
};

export interface RegistrationWanted {
  displayName: string;
  accountType: AccountType;
  auth: AuthMode;
  /** http://localhost, or with the configured port. */
  redirectUri: string;
  /** Mail.ReadWrite too, for attachments over 3 MB sent through a draft and an upload session. */
  largeAttachments: boolean;
  /** App-only: Application.ReadWrite.OwnedBy too, so the service renews its own secret. */
  selfRotate?: boolean;
}

interface ResourceAccess {
  id: string;
  type: 'Scope' | 'Role';
}

/** The part of Graph's application resource we read and write. */
export interface GraphApplication {
  id: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  notes?: string | null;
  isFallbackPublicClient?: boolean | null;
  publicClient?: { redirectUris?: string[] };
  web?: { redirectUris?: string[] };
  spa?: { redirectUris?: string[] };
  requiredResourceAccess?: { resourceAppId: string; resourceAccess: ResourceAccess[] }[];
  passwordCredentials?: { keyId: string; displayName?: string | null; startDateTime?: string | null; endDateTime?: string | null; hint?: string | null }[];
  keyCredentials?: { keyId: string; displayName?: string | null; endDateTime?: string | null; type?: string; usage?: string; customKeyIdentifier?: string | null }[];
}

function wantedAccess(wanted: RegistrationWanted): ResourceAccess[] {
  if (wanted.auth === 'app-only') return [{ id: MAIL_SEND_ROLE_ID, type: 'Role' }, ...(wanted.selfRotate ? [{ id: APPLICATION_OWNED_BY_ROLE_ID, type: 'Role' as const }] : [])];
  return [{ id: MAIL_SEND_SCOPE_ID, type: 'Scope' }, ...(wanted.largeAttachments ? [{ id: MAIL_READWRITE_SCOPE_ID, type: 'Scope' as const }] : [])];
}

/** POST /applications body: exactly the guide's settings. */
export function desiredApplication(wanted: RegistrationWanted): Record<string, unknown> {
  const delegated = wanted.auth !== 'app-only';
  return {
    displayName: wanted.displayName,
    signInAudience: SIGN_IN_AUDIENCE[wanted.accountType],
    notes: REGISTRATION_MARKER,
    // Authentication > Mobile and desktop applications > http://localhost; Allow public client flows: Yes.
    publicClient: { redirectUris: delegated ? [wanted.redirectUri] : [] },
    isFallbackPublicClient: delegated,
    requiredResourceAccess: [{ resourceAppId: GRAPH_RESOURCE_APP_ID, resourceAccess: wantedAccess(wanted) }],
  };
}

/** One difference from the guide: where it is in the portal, what it is, what it must be. */
export interface Drift {
  where: string;
  /** The guide step this setting belongs to (for doctor and the page's checklist). */
  guideStep: GuideStep;
  now: string;
  wanted: string;
  /** The PATCH body that fixes it. */
  patch: Record<string, unknown>;
}

export function graphAccess(app: GraphApplication): ResourceAccess[] {
  return (app.requiredResourceAccess ?? []).filter((r) => r.resourceAppId === GRAPH_RESOURCE_APP_ID).flatMap((r) => r.resourceAccess);
}

const PERMISSION_WORDS: Record<string, string> = {
  [`${MAIL_SEND_SCOPE_ID}|Scope`]: 'Mail.Send (Delegated)',
  [`${MAIL_READWRITE_SCOPE_ID}|Scope`]: 'Mail.ReadWrite (Delegated)',
  [`${MAIL_SEND_ROLE_ID}|Role`]: 'Mail.Send (Application)',
  [`${APPLICATION_OWNED_BY_ROLE_ID}|Role`]: 'Application.ReadWrite.OwnedBy (Application)',
};

export function permissionWords(access: ResourceAccess[]): string {
  return access.map((a) => PERMISSION_WORDS[`${a.id}|${a.type}`] ?? `${a.id} (${a.type === 'Scope' ? 'Delegated' : 'Application'})`).join(', ') || 'none';
}

export function findDrift(app: GraphApplication, wanted: RegistrationWanted): Drift[] {
  const drift: Drift[] = [];
  const audience = SIGN_IN_AUDIENCE[wanted.accountType];
  if (app.signInAudience !== audience) {
    drift.push({ where: 'Authentication > Supported account types', guideStep: 'account-type', now: AUDIENCE_WORDS[app.signInAudience] ?? app.signInAudience, wanted: AUDIENCE_WORDS[audience]!, patch: { signInAudience: audience } });
  }
  if (wanted.auth !== 'app-only') {
    const publicUris = app.publicClient?.redirectUris ?? [];
    if (!publicUris.includes(wanted.redirectUri)) {
      drift.push({
        where: 'Authentication > Mobile and desktop applications > Redirect URIs',
        guideStep: 'redirect-uri',
        now: publicUris.join(', ') || 'none',
        wanted: wanted.redirectUri,
        patch: { publicClient: { redirectUris: [...publicUris, wanted.redirectUri] } },
      });
    }
    const webUris = app.web?.redirectUris ?? [];
    if (webUris.includes(wanted.redirectUri)) {
      drift.push({
        where: 'Authentication > Web > Redirect URIs',
        guideStep: 'redirect-uri',
        now: `${wanted.redirectUri} (under Web, where a desktop sign-in cannot use it)`,
        wanted: 'not under Web',
        patch: { web: { redirectUris: webUris.filter((u) => u !== wanted.redirectUri) } },
      });
    }
    if (app.isFallbackPublicClient !== true) {
      drift.push({ where: 'Authentication > Advanced settings > Allow public client flows', guideStep: 'public-client-flows', now: 'No', wanted: 'Yes', patch: { isFallbackPublicClient: true } });
    }
  }
  const have = graphAccess(app);
  const missing = wantedAccess(wanted).filter((w) => !have.some((h) => h.id === w.id && h.type === w.type));
  if (missing.length > 0) {
    const other = (app.requiredResourceAccess ?? []).filter((r) => r.resourceAppId !== GRAPH_RESOURCE_APP_ID);
    drift.push({
      where: 'API permissions > Microsoft Graph',
      guideStep: 'api-permissions',
      now: permissionWords(have),
      wanted: permissionWords([...have, ...missing]),
      patch: { requiredResourceAccess: [...other, { resourceAppId: GRAPH_RESOURCE_APP_ID, resourceAccess: [...have, ...missing] }] },
    });
  }
  return drift;
}

/** Several fixes of the same property merge into one PATCH. */
export function patchFor(drift: readonly Drift[]): Record<string, unknown> {
  return Object.assign({}, ...drift.map((d) => d.patch)) as Record<string, unknown>;
}
