import { GRAPH_APP_ID } from '../directory.js';
import { aadsts, type EntraError } from './errors.js';

/**
 * Scopes as the v2 endpoints read them: OpenID Connect scopes, Microsoft Graph permissions
 * (bare "Mail.Send" means Graph, as Entra defaults the resource to Graph), "/.default".
 */

const OIDC_SCOPE_NAMES = ['openid', 'profile', 'email', 'offline_access'] as const;
export type OidcScope = (typeof OIDC_SCOPE_NAMES)[number];

/** Delegated Graph permissions the emulator knows, with the consent screen's wording. */
export const GRAPH_DELEGATED: Record<string, { description: string; adminOnly?: boolean }> = {
  'User.Read': { description: 'Sign you in and read your profile' },
  'User.ReadBasic.All': { description: "Read all users' basic profiles" },
  'User.Read.All': { description: "Read all users' full profiles", adminOnly: true },
  'Mail.Send': { description: 'Send mail as you' },
  'Mail.Send.Shared': { description: 'Send mail on behalf of others or yourself' },
  'Mail.Read': { description: 'Read your mail' },
  'Mail.ReadBasic': { description: 'Read user basic mail' },
  'Mail.ReadWrite': { description: 'Read and write access to your mail' },
  'Mail.Read.Shared': { description: 'Read mail you can access' },
  'Mail.ReadWrite.Shared': { description: 'Read and write mail you can access' },
  'MailboxSettings.Read': { description: 'Read your mailbox settings' },
  'MailboxSettings.ReadWrite': { description: "Read and write user mailbox settings" },
  'Calendars.Read': { description: 'Read your calendars' },
  'Calendars.ReadWrite': { description: 'Have full access to your calendars' },
  'Contacts.Read': { description: 'Read your contacts' },
  'Files.Read': { description: 'Read your files' },
  'Files.ReadWrite': { description: 'Have full access to your files' },
  'SMTP.Send': { description: 'Send emails from mailboxes using SMTP AUTH' },
  'IMAP.AccessAsUser.All': { description: 'Read and write access to mailboxes via IMAP' },
  'Directory.Read.All': { description: 'Read directory data', adminOnly: true },
  'Directory.ReadWrite.All': { description: 'Read and write directory data', adminOnly: true },
  'Group.Read.All': { description: 'Read all groups', adminOnly: true },
  // What `register` asks for (https://learn.microsoft.com/graph/permissions-reference): admin consent required.
  'Application.Read.All': { description: 'Read applications', adminOnly: true },
  'Application.ReadWrite.All': { description: 'Read and write all applications', adminOnly: true },
  'DelegatedPermissionGrant.Read.All': { description: 'Read all delegated permission grants', adminOnly: true },
  'DelegatedPermissionGrant.ReadWrite.All': { description: 'Manage all delegated permission grants', adminOnly: true },
  'AppRoleAssignment.ReadWrite.All': { description: 'Manage app permission grants and app role assignments', adminOnly: true },
};

/** Application permissions (app roles) of Graph the emulator knows. */
export const GRAPH_APPLICATION: Record<string, { description: string }> = {
  'Mail.Send': { description: 'Send mail as any user' },
  'Mail.Read': { description: 'Read mail in all mailboxes' },
  'Mail.ReadBasic.All': { description: 'Read basic mail in all mailboxes' },
  'Mail.ReadWrite': { description: 'Read and write mail in all mailboxes' },
  'MailboxSettings.Read': { description: "Read all user mailbox settings" },
  'User.Read.All': { description: "Read all users' full profiles" },
  'Directory.Read.All': { description: 'Read directory data' },
  'Calendars.Read': { description: 'Read calendars in all mailboxes' },
  'Application.ReadWrite.OwnedBy': { description: 'Manage apps that this app creates or owns' },
  'Application.ReadWrite.All': { description: 'Read and write all applications' },
};

export const OIDC_DESCRIPTIONS: Record<OidcScope, string> = {
  openid: 'Sign you in',
  profile: 'View your basic profile',
  email: 'View your email address',
  offline_access: 'Maintain access to data you have given it access to',
};

const GRAPH_PREFIXES = ['https://graph.microsoft.com/', `${GRAPH_APP_ID}/`, 'https://graph.microsoft.com//'];

function canonical(catalog: Record<string, unknown>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(catalog).find((k) => k.toLowerCase() === lower);
}

export function canonicalDelegated(name: string): string | undefined {
  return canonical(GRAPH_DELEGATED, name);
}

export function canonicalApplication(name: string): string | undefined {
  return canonical(GRAPH_APPLICATION, name);
}

export interface RequestedScopes {
  /** The scope parameter as sent. */
  raw: string;
  /** Graph delegated permissions named explicitly (canonical case). */
  graph: string[];
  /** `https://graph.microsoft.com/.default`: the app's configured permissions. */
  graphDefault: boolean;
  oidc: Set<OidcScope>;
  /**
   * How the request named Graph (its first Graph scope): `short` ("Mail.Send"), `uri`
   * ("https://graph.microsoft.com/Mail.Send") or `app-id` ("00000003-.../Mail.Send"). The
   * response echoes the scopes in that form and the token's `aud` follows it (tokens.ts).
   */
  graphForm?: GraphForm;
}

export type GraphForm = 'short' | 'uri' | 'app-id';

/** The form a Graph scope is written in. */
export function graphFormOf(scope: string): GraphForm {
  const lower = scope.toLowerCase();
  if (lower.startsWith('https://graph.microsoft.com/')) return 'uri';
  if (lower.startsWith(`${GRAPH_APP_ID}/`)) return 'app-id';
  return 'short';
}

/** Splits off the Graph resource prefix; undefined when the scope names another resource. */
function graphPermission(scope: string): string | undefined {
  const lower = scope.toLowerCase();
  for (const prefix of GRAPH_PREFIXES) {
    if (lower.startsWith(prefix.toLowerCase())) return scope.slice(prefix.length);
  }
  return /^[a-z][\w.]*$/i.test(scope) ? scope : undefined;
}

/** Parses a delegated scope parameter (authorize, device code, token). */
export function parseScopes(rawScope: string | undefined, tenantName: string): RequestedScopes | EntraError {
  const raw = (rawScope ?? '').trim();
  if (raw === '') return aadsts(70011, {});
  const result: RequestedScopes = { raw, graph: [], graphDefault: false, oidc: new Set() };
  for (const scope of raw.split(/\s+/)) {
    const oidc = OIDC_SCOPE_NAMES.find((s) => s === scope.toLowerCase());
    if (oidc) {
      result.oidc.add(oidc);
      continue;
    }
    const permission = graphPermission(scope);
    if (permission === undefined) {
      const resource = scope.replace(/\/[^/]*$/, '');
      if (/^(https?:\/\/|api:\/\/|[0-9a-f-]{36}\/)/i.test(scope)) return aadsts(500011, { resource, tenantName });
      return aadsts(70011, { scope });
    }
    result.graphForm ??= graphFormOf(scope);
    if (permission === '.default') {
      result.graphDefault = true;
      continue;
    }
    const name = canonicalDelegated(permission);
    if (!name) return aadsts(70011, { scope });
    if (!result.graph.includes(name)) result.graph.push(name);
  }
  // ".default" stands for the whole static list and cannot be mixed with named permissions.
  if (result.graphDefault && result.graph.length > 0) return aadsts(70011, { scope: raw });
  return result;
}

/** Client credentials take exactly one "{resource}/.default". */
export function checkClientCredentialsScope(rawScope: string | undefined, tenantName: string): EntraError | undefined {
  const raw = (rawScope ?? '').trim();
  if (raw === '') return aadsts(900144, { name: 'scope' });
  const scopes = raw.split(/\s+/);
  if (scopes.length === 1) {
    const permission = graphPermission(scopes[0]!);
    if (permission === '.default' && scopes[0]!.includes('/')) return undefined;
  }
  for (const scope of scopes) {
    const permission = graphPermission(scope);
    if (permission === undefined && /^(https?:\/\/|api:\/\/)/i.test(scope) && scope.endsWith('/.default')) {
      return aadsts(500011, { resource: scope.slice(0, -'/.default'.length), tenantName });
    }
  }
  const namesPermission = scopes.some((s) => {
    const p = graphPermission(s);
    return p !== undefined && p !== '.default' && !OIDC_SCOPE_NAMES.includes(p.toLowerCase() as OidcScope);
  });
  return namesPermission ? aadsts(1002012, { scope: raw }) : aadsts(70011, { scope: raw });
}
