import type { AppRegistration } from '../directory.js';

/**
 * Redirect URI matching. Entra ignores the port of every localhost redirect URI, whatever its
 * platform, and then applies the platform of the URI that matched ("Localhost exceptions" in
 * https://learn.microsoft.com/entra/identity-platform/reply-url: "the port component ... is ignored
 * for the purposes of matching a redirect URI"; with several localhost URIs differing only by port
 * "the login server picks one arbitrarily and uses the behavior associated with that redirect URI
 * (for example, whether it's a web-, native-, or spa-type redirect)"). So http://localhost under Web
 * accepts http://localhost:53123 at /authorize, and the code redemption then wants a secret
 * (AADSTS7000218). Where Microsoft says "arbitrarily" the emulator picks the Web URI (harder on the
 * product; docs/emulator.md lists the question). Other URIs match exactly (scheme, host, port, path).
 */

export type Platform = 'mobileAndDesktop' | 'web';

export interface RedirectMatch {
  platform: Platform;
  registered: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1']);

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

/** localhost and 127.0.0.1 per the reply-url page; [::1] keeps its port (the page: IPv6 loopback "isn't currently supported"). */
function portIgnored(url: URL): boolean {
  return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname.toLowerCase());
}

function matches(registered: string, want: URL): boolean {
  const url = parse(registered);
  if (!url) return false;
  return portIgnored(url) ? sameIgnoringPort(url, want) : exact(url, want);
}

export function matchRedirectUri(app: AppRegistration, requested: string): RedirectMatch | undefined {
  const want = parse(requested);
  if (!want || want.hash) return undefined;
  for (const registered of app.redirectUris.web) if (matches(registered, want)) return { platform: 'web', registered };
  for (const registered of app.redirectUris.mobileAndDesktop) if (matches(registered, want)) return { platform: 'mobileAndDesktop', registered };
  return undefined;
}

export function hasRedirectUris(app: AppRegistration): boolean {
  return app.redirectUris.web.length + app.redirectUris.mobileAndDesktop.length > 0;
}

/** Entra picks a registered URI when the request names none. */
export function defaultRedirectUri(app: AppRegistration): string | undefined {
  return app.redirectUris.web[0] ?? app.redirectUris.mobileAndDesktop[0];
}
