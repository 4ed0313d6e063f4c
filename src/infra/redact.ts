/** Keeps secrets and tokens out of logs and printed errors. */

export const REDACTED = '[REDACTED]';

// Compared after lower-casing and removing - and _: client_secret, clientSecret, Client-Secret.
const SENSITIVE_KEYS = new Set([
  'clientsecret',
  'secret',
  'secretvalue',
  'password',
  'passwd',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'token',
  'bearertoken',
  'apitoken',
  'apikey',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'codeverifier',
  'devicecode',
  'clientassertion',
  'assertion',
  'privatekey',
  'masterkey',
  'sessionsecret',
  'csrftoken',
]);

/** The same keys as pino `redact` paths (top level and one level down, and HTTP headers). */
export const REDACT_PATHS: readonly string[] = [
  'client_secret',
  'clientSecret',
  'secret',
  'password',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'id_token',
  'idToken',
  'token',
  'authorization',
  'code_verifier',
  'device_code',
  'client_assertion',
].flatMap((key) => [key, `*.${key}`]).concat([
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
]);

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

// Exact values known to this process (the client secret, tokens from the cache): the surest match.
const MAX_KNOWN = 256;
const MIN_KNOWN_LENGTH = 8;
const knownSecrets = new Set<string>();

/** Makes `value` be scrubbed from every log line and printed error of this process. */
export function registerSecretForRedaction(value: string | undefined): void {
  if (value === undefined || value.length < MIN_KNOWN_LENGTH) return;
  knownSecrets.delete(value);
  knownSecrets.add(value);
  if (knownSecrets.size > MAX_KNOWN) knownSecrets.delete(knownSecrets.values().next().value!);
}

/** Registers every token in a serialized MSAL cache (AccessToken / RefreshToken / IdToken secrets). */
export function registerTokenCacheForRedaction(json: string): void {
  let cache: Record<string, unknown>;
  try {
    cache = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return;
  }
  for (const section of ['AccessToken', 'RefreshToken', 'IdToken']) {
    const entries = cache?.[section];
    if (entries === null || typeof entries !== 'object') continue;
    for (const entry of Object.values(entries as Record<string, unknown>)) {
      const secret = (entry as { secret?: unknown } | null)?.secret;
      if (typeof secret === 'string') registerSecretForRedaction(secret);
    }
  }
}

const SENSITIVE_NAMES =
  'client_?secret|refresh_?token|access_?token|id_?token|client_?assertion|code_?verifier|device_?code|password|secret';

const PATTERNS: Array<[RegExp, string]> = [
  // JSON: "refresh_token": "..."
  [new RegExp(`"(${SENSITIVE_NAMES}|authorization)"(\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `"$1"$2"${REDACTED}"`],
  // Forms, query strings, key=value and key: value text.
  [new RegExp(`\\b(${SENSITIVE_NAMES})(\\s*[=:]\\s*)(?!\\[REDACTED)[^\\s&,;"'#]+`, 'gi'), `$1$2${REDACTED}`],
  // The authorization code in a redirect URL.
  [/([?&#]code=)[^&\s"'#]+/g, `$1${REDACTED}`],
  // Authorization: Bearer <token> / Basic <credentials>.
  [/\b(Bearer|Basic)(\s+)(?!\[REDACTED)[A-Za-z0-9._~+/=-]+/gi, `$1$2${REDACTED}`],
  // JWTs (access and id tokens): header.payload.signature, the header always starts eyJ.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Entra ID refresh tokens (0.A... / 1.A...) and Microsoft account ones (M.C5..._BAY....).
  [/\b[01]\.A[A-Za-z0-9_-]{30,}[A-Za-z0-9_.*!$-]*/g, REDACTED],
  [/\bM\.[A-Z]\d+_[A-Za-z0-9]+\.[A-Za-z0-9_.*!$-]{20,}/g, REDACTED],
  // Entra ID client secret values: 3-4 characters, "Q~", then 30+ (e.g. abc8Q~...).
  [/(?<![A-Za-z0-9_.~-])[A-Za-z0-9_.-]{3,4}Q~[A-Za-z0-9_.~-]{30,}/g, REDACTED],
];

/** Scrubs secrets and tokens from arbitrary text: log messages, error bodies, URLs. */
export function scrubText(text: string): string {
  let out = text;
  for (const known of knownSecrets) {
    if (out.includes(known)) out = out.split(known).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 12;

function redactError(error: Error, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: scrubText(error.message) };
  if (error.stack) out.stack = scrubText(error.stack);
  for (const [key, value] of Object.entries(error)) out[key] = redactKey(key, value, seen, depth + 1);
  if ('cause' in error && error.cause !== undefined) out.cause = redactValue(error.cause, seen, depth + 1);
  return out;
}

function redactKey(key: string, value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (isSensitiveKey(key) && value !== undefined && value !== null && value !== '') return REDACTED;
  return redactValue(value, seen, depth);
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[Too deep]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return redactError(value, seen, depth);
    if (value instanceof Date) return value;
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen, depth + 1));
    if (value instanceof Map) return redactValue(Object.fromEntries(value), seen, depth + 1);
    const toJSON = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof toJSON === 'function') return redactValue(toJSON.call(value), seen, depth + 1);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactKey(key, item, seen, depth + 1);
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * A copy of `value` that is safe to log: sensitive keys (client_secret, refresh_token,
 * authorization, ...) replaced, and every string scrubbed with scrubText.
 */
export function redact(value: unknown): unknown {
  return redactValue(value, new WeakSet(), 0);
}
