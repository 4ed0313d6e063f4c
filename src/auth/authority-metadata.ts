import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../infra/index.js';

/**
 * The authority's metadata (its OpenID configuration, and instance discovery when msal asked for
 * it) kept in the home, so that every CLI process does not fetch it again: msal-node keeps it in
 * memory only, and a new process (each `o365-notify send`) asks the discovery endpoint again
 * (issue 14: 1,000 CLI sends made 1,000 discovery GETs). msal-node takes it back through its
 * `authorityMetadata` / `cloudDiscoveryMetadata` options, and then makes no request for it.
 * https://learn.microsoft.com/entra/msal/javascript/node/configuration (auth.authorityMetadata,
 * auth.cloudDiscoveryMetadata); it is the application's job to keep it up to date:
 * https://learn.microsoft.com/entra/msal/java/advanced/instance-discovery (the CLI case).
 *
 * Kept for 24 h, the lifetime msal-node gives the same metadata in memory
 * (AUTHORITY_METADATA_REFRESH_TIME_SECONDS), and only for the authority it was fetched for: a
 * changed tenant or emulator address fetches it again. A document whose issuer or endpoints are
 * not on the authority's own origin is never kept.
 */

const FILE = 'authority-metadata.json';
export const AUTHORITY_METADATA_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** The OpenID configuration members msal-node reads (isOpenIdConfigResponse and the logout URL). */
const OPENID_MEMBERS = ['authorization_endpoint', 'token_endpoint', 'issuer', 'jwks_uri', 'end_session_endpoint'] as const;

export interface AuthorityMetadataFile {
  version: 1;
  authority: string;
  fetchedAt: string;
  openIdConfiguration: Record<string, string>;
  /** The instance discovery answer ({tenant_discovery_endpoint, metadata}), when msal fetched one. */
  cloudDiscovery?: { tenant_discovery_endpoint?: string; metadata: unknown[] };
}

/** What msal-node's auth options take (JSON strings), empty when nothing fresh is stored. */
export interface MsalAuthorityOptions {
  authorityMetadata?: string;
  cloudDiscoveryMetadata?: string;
}

export function authorityMetadataPath(home: string): string {
  return join(home, FILE);
}

function normalise(authority: string): string {
  return authority.replace(/\/+$/, '');
}

/** The URL msal-node fetches the OpenID configuration from (Authority.defaultOpenIdConfigurationEndpoint). */
export function openIdConfigurationUrl(authority: string): string {
  return `${normalise(authority)}/v2.0/.well-known/openid-configuration`;
}

function pickOpenId(body: unknown): Record<string, string> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const out: Record<string, string> = {};
  for (const name of OPENID_MEMBERS) {
    const value = (body as Record<string, unknown>)[name];
    if (typeof value === 'string') out[name] = value;
  }
  // The four msal-node requires; without them msal would reject it, and so do we.
  return out.authorization_endpoint && out.token_endpoint && out.issuer && out.jwks_uri ? out : undefined;
}

function parseFile(text: string | undefined): AuthorityMetadataFile | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<AuthorityMetadataFile>;
    if (parsed.version !== 1 || typeof parsed.authority !== 'string' || typeof parsed.fetchedAt !== 'string') return undefined;
    const openIdConfiguration = pickOpenId(parsed.openIdConfiguration);
    if (!openIdConfiguration) return undefined;
    const cloud = parsed.cloudDiscovery;
    const cloudDiscovery = cloud && Array.isArray(cloud.metadata) ? cloud : undefined;
    return { version: 1, authority: parsed.authority, fetchedAt: parsed.fetchedAt, openIdConfiguration, ...(cloudDiscovery ? { cloudDiscovery } : {}) };
  } catch {
    // A damaged file costs one discovery request, nothing else.
    return undefined;
  }
}

/** The stored metadata for `authority` when it is fresh; {} otherwise (msal then fetches it). */
export async function loadAuthorityMetadata(home: string, authority: string, now: Date = new Date()): Promise<MsalAuthorityOptions> {
  let file: AuthorityMetadataFile | undefined;
  try {
    file = parseFile(await readFileIfExists(authorityMetadataPath(home)));
  } catch {
    return {};
  }
  if (!file || file.authority !== normalise(authority)) return {};
  const age = now.getTime() - Date.parse(file.fetchedAt);
  if (!(age >= 0 && age < AUTHORITY_METADATA_MAX_AGE_MS)) return {};
  return {
    authorityMetadata: JSON.stringify(file.openIdConfiguration),
    ...(file.cloudDiscovery ? { cloudDiscoveryMetadata: JSON.stringify(file.cloudDiscovery) } : {}),
  };
}

export interface AuthorityMetadataRecorder {
  /** Fed every JSON answer the network client receives (URL without its query string). */
  observe(method: 'GET' | 'POST', url: URL, status: number, body: unknown): void;
}

/**
 * Stricter than msal-node's issuer check (which also accepts other Microsoft hosts): the issuer
 * and the endpoints msal uses must be on the authority's own origin, or the document is not kept.
 */
function onAuthorityOrigin(openId: Record<string, string>, authority: string): boolean {
  const origin = new URL(authority).origin;
  try {
    return [openId.issuer!, openId.token_endpoint!, openId.authorization_endpoint!].every((u) => new URL(u).origin === origin);
  } catch {
    return false;
  }
}

/**
 * Watches msal-node's requests: stores the OpenID configuration it fetched for `authority` (with
 * the instance discovery answer fetched just before it, if any).
 */
export function recordAuthorityMetadata(home: string, authority: string, now: () => Date = () => new Date()): AuthorityMetadataRecorder {
  const wanted = openIdConfigurationUrl(authority);
  let cloudDiscovery: AuthorityMetadataFile['cloudDiscovery'];
  let writing: Promise<void> = Promise.resolve();
  return {
    observe(method, url, status, body) {
      if (method !== 'GET' || status !== 200) return;
      if (url.pathname.endsWith('/discovery/instance')) {
        const metadata = (body as { metadata?: unknown } | null)?.metadata;
        if (Array.isArray(metadata)) cloudDiscovery = { tenant_discovery_endpoint: (body as { tenant_discovery_endpoint?: string }).tenant_discovery_endpoint, metadata };
        return;
      }
      if (`${url.origin}${url.pathname}` !== wanted) return;
      const openIdConfiguration = pickOpenId(body);
      if (!openIdConfiguration || !onAuthorityOrigin(openIdConfiguration, authority)) return;
      const file: AuthorityMetadataFile = {
        version: 1,
        authority: normalise(authority),
        fetchedAt: now().toISOString(),
        openIdConfiguration,
        ...(cloudDiscovery ? { cloudDiscovery } : {}),
      };
      // Best effort: without the file the next process fetches the metadata again, nothing worse.
      writing = writing.then(() => writeFileAtomic(authorityMetadataPath(home), JSON.stringify(file, null, 2) + '\n')).catch(() => undefined);
    },
  };
}
