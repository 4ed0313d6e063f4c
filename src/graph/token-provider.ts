/**
 * Where the mail client gets its access token. The sign-in module implements it on top of the
 * msal-node token cache: the client asks for a token before every request and the provider
 * answers from its cache, calling the token endpoint only near expiry (or when forced).
 */
export interface AccessTokenResult {
  accessToken: string;
  expiresOn: Date;
  /** Granted scopes (delegated) or `.default` (app-only); used to check Mail.ReadWrite up front. */
  scopes: string[];
  /** The signed-in account (UPN), when there is one. */
  account?: string;
}

export interface TokenProvider {
  /** `forceRefresh`: the cached token was refused (401 InvalidAuthenticationToken); get a new one. */
  getAccessToken(options?: { forceRefresh?: boolean }): Promise<AccessTokenResult>;
}

const GRAPH_RESOURCE_PREFIXES = ['https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000/'];

/** `https://graph.microsoft.com/Mail.Send` and `Mail.Send` are the same permission; compare lower-case short names. */
function normaliseScope(scope: string): string {
  let s = scope.trim();
  for (const prefix of GRAPH_RESOURCE_PREFIXES) {
    if (s.toLowerCase().startsWith(prefix)) s = s.slice(prefix.length);
  }
  return s.toLowerCase();
}

/**
 * The Graph permissions a token carries: the provider's scopes, or, when those say nothing
 * (app-only `.default`), the token's own `scp`/`roles` claims. Undefined when unknown (an opaque
 * token from a personal account): the caller then lets Graph decide.
 */
export function grantedPermissions(token: AccessTokenResult): Set<string> | undefined {
  const fromProvider = token.scopes.map(normaliseScope).filter((s) => s !== '' && s !== '.default');
  if (fromProvider.length > 0) return new Set(fromProvider);
  const claims = readJwtClaims(token.accessToken);
  if (!claims) return undefined;
  const scp = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  const all = [...scp, ...roles].map(normaliseScope).filter((s) => s !== '');
  return all.length > 0 ? new Set(all) : undefined;
}

/** The payload of a JWT, read without verification (Graph verifies it; we only look at the permissions). */
function readJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
