import { SettingsError, type Problem } from './problems.js';
import { checkSettings } from './rules.js';
import type { Settings } from './settings.js';

export const MICROSOFT_LOGIN_HOST = 'https://login.microsoftonline.com';
export const MICROSOFT_GRAPH_HOST = 'https://graph.microsoft.com';

/**
 * Delegated scopes, in the one form used everywhere. Graph is the default resource, so the short
 * `Mail.Send` is what Entra ID puts in the token's `scp` and in the token response's `scope`;
 * using the same form keeps msal-node's cache lookups matching.
 */
export const MAIL_SEND_SCOPE = 'Mail.Send';
export const DELEGATED_SCOPES: readonly string[] = [MAIL_SEND_SCOPE, 'offline_access', 'openid', 'profile'];
/** App-only (client credentials) asks for the application permissions granted to the app. */
export const APP_ONLY_SCOPES: readonly string[] = [`${MICROSOFT_GRAPH_HOST}/.default`];

/** The scopes for the configured sign-in. */
export function scopesFor(settings: Settings): readonly string[] {
  return settings.account.auth === 'app-only' ? APP_ONLY_SCOPES : DELEGATED_SCOPES;
}

/** The login host: Microsoft's, or the emulator's when one is configured. */
export function authorityHost(settings: Settings): string {
  return settings.endpoints.emulator ?? MICROSOFT_LOGIN_HOST;
}

export function usesEmulator(settings: Settings): boolean {
  return settings.endpoints.emulator !== undefined;
}

const AUTHORITY_FIELDS = new Set(['account.type', 'account.tenantId', 'account.auth', 'endpoints.emulator']);

function accountErrors(settings: Settings): Problem[] {
  return checkSettings(settings).filter((p) => p.severity === 'error' && AUTHORITY_FIELDS.has(p.field));
}

/**
 * The authority for the account type: single tenant `/{tenant}`, multitenant `/organizations`
 * (or `/{tenant}` when one is given), multitenant + personal `/common`. App-only always needs
 * `/{tenant}`. Throws SettingsError with the guide's problems when the account settings are unusable.
 */
export function authorityFor(settings: Settings): string {
  const problems = accountErrors(settings);
  if (problems.length > 0) throw new SettingsError('The account settings cannot be used to sign in:', problems);
  const { type, tenantId } = settings.account;
  const segment = type === 'multi-tenant-personal' ? 'common' : (tenantId ?? 'organizations');
  return `${authorityHost(settings)}/${segment}`;
}

/** Graph's v1.0 base URL: Microsoft's or the emulator's. */
export function graphBaseUrl(settings: Settings): string {
  return `${settings.endpoints.emulator ?? MICROSOFT_GRAPH_HOST}/v1.0`;
}

/**
 * The redirect URI to register under "Mobile and desktop applications": `http://localhost`, or
 * `http://localhost:PORT` when a port is configured.
 */
export function redirectUri(settings: Settings): string {
  const port = settings.account.redirectPort;
  return port === undefined ? 'http://localhost' : `http://localhost:${port}`;
}
