import { isIP } from 'node:net';

/**
 * Which forward proxy a request goes through: HTTPS_PROXY (or https_proxy, then ALL_PROXY), unless
 * NO_PROXY (or no_proxy) names the host: `*`, a host, a domain (`contoso.com` and `.contoso.com`
 * both match its subdomains), `host:port`, or an IP. Loopback is never proxied: a proxy cannot
 * reach this machine's 127.0.0.1 (the emulator, the service itself).
 */

function firstSet(env: NodeJS.ProcessEnv, names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

function bypassed(host: string, port: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const [name, entryPort] = entry.startsWith('[') ? [entry.slice(1, entry.indexOf(']')), entry.split(']:')[1]] : entry.split(':');
    if (entryPort && entryPort !== port) continue;
    const domain = (name ?? '').replace(/^\*?\./, '');
    if (h === domain || h.endsWith(`.${domain}`)) return true;
  }
  return false;
}

/** The proxy URL for `target`, or undefined to connect directly. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const proxy = firstSet(env, ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy']);
  if (!proxy || isLoopback(target.hostname)) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (bypassed(target.hostname, port, firstSet(env, ['NO_PROXY', 'no_proxy']))) return undefined;
  let url: URL;
  try {
    url = new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
  } catch {
    throw new Error(`HTTPS_PROXY="${proxy}" is not an address: set it like http://proxy.contoso.com:8080 (user:password@ before the host if the proxy asks for a sign-in).`);
  }
  if (url.protocol !== 'http:') throw new Error(`HTTPS_PROXY="${url.origin}": only http:// proxies are supported (the TLS to Microsoft runs inside the CONNECT tunnel).`);
  return url;
}
