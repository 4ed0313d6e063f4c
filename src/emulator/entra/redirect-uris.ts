import type { AppRegistration } from '../directory.js';

/**
 * Redirect URI matching per platform. Web URIs match exactly. Mobile and desktop URIs on
 * the loopback address match any port (Entra lets native apps pick a free port at run time:
 * "http://localhost" registered accepts "http://localhost:53123"), but scheme, host and path
 * must still match.
 */

export type Platform = 'mobileAndDesktop' | 'web';

export interface RedirectMatch {
  platform: Platform;
  registered: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

function sameIgnoringPort(registered: URL, requested: URL): boolean {
  return (
    registered.protocol === requested.protocol &&
    registered.hostname.toLowerCase() === requested.hostname.toLowerCase() &&
    registered.pathname === requested.pathname &&
    registered.search === requested.search
  );
}

function exact(registered: URL, requested: URL): boolean {
  return sameIgnoringPort(registered, requested) && registered.port === requested.port;
}

export function matchRedirectUri(app: AppRegistration, requested: string): RedirectMatch | undefined {
  const want = parse(requested);
  if (!want || want.hash) return undefined;
  for (const registered of app.redirectUris.web) {
    const url = parse(registered);
    if (url && exact(url, want)) return { platform: 'web', registered };
  }
  for (const registered of app.redirectUris.mobileAndDesktop) {
    const url = parse(registered);
    if (!url) continue;
    const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname.toLowerCase());
    if (loopback ? sameIgnoringPort(url, want) : exact(url, want)) return { platform: 'mobileAndDesktop', registered };
  }
  return undefined;
}

export function hasRedirectUris(app: AppRegistration): boolean {
  return app.redirectUris.web.length + app.redirectUris.mobileAndDesktop.length > 0;
}

/** Entra picks a registered URI when the request names none. */
export function defaultRedirectUri(app: AppRegistration): string | undefined {
  return app.redirectUris.web[0] ?? app.redirectUris.mobileAndDesktop[0];
}
