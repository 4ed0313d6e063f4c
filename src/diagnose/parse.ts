import { DEVICE_CODE_STATES } from './catalog-oauth.js';
import { networkCodeInText } from './catalog-network.js';
import { findNetworkCode, graphCodeNames, oauthErrorNames } from './catalog.js';
import { cleanText } from '../shared/index.js';

/** What could be read out of a raw error, whatever its shape. */
export interface RawError {
  /** AADSTS numbers (digits only), the primary one first. */
  aadstsCodes: string[];
  /** The OAuth `error` value: `invalid_client`, `authorization_declined`, ... */
  oauthError?: string;
  /** Graph's `error.code`: `ErrorAccessDenied`, ... */
  graphCode?: string;
  /** Entra ID's own text: the `error_description`, or the "AADSTSnnnn: ..." sentence found in text. */
  description?: string;
  /** Graph's own text: `error.message`. */
  message?: string;
  httpStatus?: number;
  retryAfterSeconds?: number;
  /** A network failure's code (Node's): `ETIMEDOUT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, ... */
  networkCode?: string;
}

/** Longest input looked at; error texts are short, logs may not be. */
const MAX_TEXT = 256 * 1024;
const MAX_DEPTH = 6;
const MAX_DESCRIPTION = 600;

function empty(): RawError {
  return { aadstsCodes: [] };
}

function isEmpty(r: RawError): boolean {
  return r.aadstsCodes.length === 0 && !r.oauthError && !r.graphCode && r.httpStatus === undefined && !r.networkCode;
}

function merge(a: RawError, b: RawError): RawError {
  return {
    aadstsCodes: [...new Set([...a.aadstsCodes, ...b.aadstsCodes])],
    oauthError: a.oauthError ?? b.oauthError,
    graphCode: a.graphCode ?? b.graphCode,
    description: a.description ?? b.description,
    message: a.message ?? b.message,
    httpStatus: a.httpStatus ?? b.httpStatus,
    retryAfterSeconds: a.retryAfterSeconds ?? b.retryAfterSeconds,
  };
}

/**
 * Reads a raw error from text: an Entra JSON body, an `error_description`, an msal-node message,
 * a Graph error envelope, a log line containing any of these. Null when nothing is recognisable.
 */
export function parseRawError(text: string): RawError | null {
  const r = fromText(String(text), 0);
  return isEmpty(r) ? null : r;
}

/** Like parseRawError, for any value: text, a parsed body, an Error, `{status, body, headers}`. */
export function parseRawInput(input: unknown): RawError | null {
  const r = fromValue(input, 0, new WeakSet());
  const network = networkCodeOf(input, 0);
  if (network) r.networkCode = network;
  return isEmpty(r) ? null : r;
}

/** A network failure's code: an Error's `code`, its message, its causes (msal wraps them), or text. */
function networkCodeOf(value: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (typeof value === 'string') return networkCodeInText(value.length > MAX_TEXT ? value.slice(0, MAX_TEXT) : value);
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { code?: unknown; message?: unknown; errorMessage?: unknown; cause?: unknown };
  if (typeof v.code === 'string' && findNetworkCode(v.code)) return v.code;
  for (const part of [v.message, v.errorMessage]) {
    const found = typeof part === 'string' ? networkCodeInText(part) : undefined;
    if (found) return found;
  }
  return v.cause === undefined ? undefined : networkCodeOf(v.cause, depth + 1);
}

function fromValue(value: unknown, depth: number, seen: WeakSet<object>): RawError {
  if (typeof value === 'string') return fromText(value, depth);
  if (typeof value === 'object' && value !== null) return fromObject(value, depth, seen);
  return empty();
}

// --- text -----------------------------------------------------------------------------------

function fromText(input: string, depth: number): RawError {
  const text = input.length > MAX_TEXT ? input.slice(0, MAX_TEXT) : input;
  let r = empty();
  if (depth < MAX_DEPTH) {
    const whole = tryJson(text.trim());
    if (whole !== undefined && typeof whole === 'object' && whole !== null) {
      r = merge(r, fromObject(whole, depth + 1, new WeakSet()));
    } else if (typeof whole === 'string') {
      r = merge(r, fromText(whole, depth + 1));
    } else {
      for (const obj of jsonObjectsIn(text)) r = merge(r, fromObject(obj, depth + 1, new WeakSet()));
    }
  }
  r = merge(r, fromQueryString(text));
  return merge(r, scanText(text));
}

/** The sign-in's redirect URL: `http://localhost:PORT/?error=access_denied&error_description=AADSTS65004%3a+...`. */
function fromQueryString(text: string): RawError {
  const r = empty();
  const error = /[?&#]error=([a-z_]+)/.exec(text);
  const description = /[?&#]error_description=([^&\s#]+)/.exec(text);
  if (!error && !description) return r;
  if (error) r.oauthError = error[1];
  if (description) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(description[1]!.replace(/\+/g, ' '));
    } catch {
      return r;
    }
    const inner = scanText(decoded);
    r.aadstsCodes.push(...inner.aadstsCodes);
    r.description = inner.description ?? cleanDescription(decoded);
  }
  return r;
}

function tryJson(text: string): unknown {
  const first = text[0];
  if (first !== '{' && first !== '[' && first !== '"') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** JSON objects embedded in a log line, e.g. `... failed: {"error":"invalid_client",...} (400)`. */
function* jsonObjectsIn(text: string): Generator<object> {
  let tries = 0;
  for (let start = text.indexOf('{'); start !== -1 && tries < 50; start = text.indexOf('{', start + 1)) {
    tries++;
    const end = matchingBrace(text, start);
    if (end === -1) continue;
    try {
      const parsed = JSON.parse(text.slice(start, end + 1)) as unknown;
      if (typeof parsed === 'object' && parsed !== null) {
        yield parsed;
        start = end;
      }
    } catch {
      // Not JSON (a JS inspect dump, a Python dict): the text scan still reads it.
    }
  }
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

const STATUS_PHRASES =
  'Bad Request|Unauthorized|Forbidden|Not Found|Request Entity Too Large|Payload Too Large|Content Too Large|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout';
const STATUS_PATTERNS: readonly RegExp[] = [
  /\bHTTP\/\d(?:\.\d)?\s+([1-5]\d\d)\b/,
  /\b(?:HTTP|status(?:[ _]?code)?|statusCode|httpStatus)["']?\s*[:=]?\s*["']?([1-5]\d\d)\b/i,
  new RegExp(`\\(?\\b([45]\\d\\d)\\)?\\s*(?:${STATUS_PHRASES})\\b`, 'i'),
];

function scanText(text: string): RawError {
  const r = empty();

  for (const m of text.matchAll(/AADSTS(\d{5,8})/g)) r.aadstsCodes.push(m[1]!);
  // msal-node: "invalid_client: Error(s): 7000218 - Timestamp: ... - Description: AADSTS7000218: ..."
  const listed = /Error\(s\):\s*(\d[\d,\s]*?)\s+-\s/.exec(text);
  if (listed) for (const code of listed[1]!.split(/[,\s]+/)) if (code) r.aadstsCodes.push(code);
  r.aadstsCodes = [...new Set(r.aadstsCodes)];

  const sentence = /AADSTS\d{5,8}:[^\r\n]*/.exec(text);
  if (sentence) r.description = cleanDescription(sentence[0]);

  r.oauthError = findOAuthName(text);
  r.graphCode = findGraphName(text);

  // A Graph envelope or Entra body that could not be parsed as a whole (cut, or quoted in a log).
  if (!r.graphCode && /"error"/.test(text)) {
    const code = /"code"\s*:\s*"([A-Z][A-Za-z0-9_.]*[a-z][A-Za-z0-9_.]*)"/.exec(text);
    if (code) r.graphCode = code[1];
  }
  if (!r.oauthError) {
    const oauth = /"error"\s*:\s*"([a-z]+(?:_[a-z]+)+)"/.exec(text);
    if (oauth) r.oauthError = oauth[1];
  }
  const message = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  if (message) r.message = cleanDescription(unescapeJson(message[1]!));

  for (const pattern of STATUS_PATTERNS) {
    const m = pattern.exec(text);
    if (m) {
      r.httpStatus = Number(m[1]);
      break;
    }
  }
  const retry = /retry-after["']?\s*[:=]?\s*["']?(\d+)/i.exec(text) ?? /retry(?:ing)? after (\d+)\s*s/i.exec(text);
  if (retry) r.retryAfterSeconds = Number(retry[1]);
  return r;
}

function unescapeJson(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}

const OAUTH_NAMES_BY_PRIORITY = [...DEVICE_CODE_STATES, ...oauthErrorNames().filter((n) => !DEVICE_CODE_STATES.includes(n))];
const GRAPH_NAMES = graphCodeNames();

/** The device-code end states win; otherwise the OAuth name that appears first. */
function findOAuthName(text: string): string | undefined {
  let best: { name: string; at: number } | undefined;
  for (const name of OAUTH_NAMES_BY_PRIORITY) {
    const at = indexOfWord(text, name);
    if (at === -1) continue;
    if (DEVICE_CODE_STATES.includes(name)) return name;
    if (!best || at < best.at) best = { name, at };
  }
  return best?.name;
}

function findGraphName(text: string): string | undefined {
  let best: { name: string; at: number } | undefined;
  for (const name of GRAPH_NAMES) {
    const at = indexOfWord(text, name);
    if (at !== -1 && (!best || at < best.at)) best = { name, at };
  }
  return best?.name;
}

function indexOfWord(text: string, word: string): number {
  let from = 0;
  for (;;) {
    const at = text.indexOf(word, from);
    if (at === -1) return -1;
    const before = text[at - 1];
    const after = text[at + word.length];
    if (!isWordChar(before) && !isWordChar(after)) return at;
    from = at + 1;
  }
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/**
 * Microsoft's text without the trace trailer, escapes or anything secret-looking; one line.
 * Logs quote it JSON-escaped ("\r\nTrace ID: ..."), msal-node appends " - Correlation ID: ...".
 */
function cleanDescription(raw: string): string | undefined {
  let t = raw.replace(/\\+r\\+n|\\+[nr]/g, '\n');
  const cutAt = t.search(/\r|\n|\\*"|\s-\s(?:Correlation ID|Trace ID|Timestamp):|\s(?:Trace ID|Correlation ID):/);
  if (cutAt !== -1) t = t.slice(0, cutAt);
  t = cleanText(redactSecrets(t), 'line')
    .replace(/\s+/g, ' ')
    .trim();
  if (t.length > MAX_DESCRIPTION) t = `${t.slice(0, MAX_DESCRIPTION - 1)}…`;
  return t || undefined;
}

/** Tokens and secrets must never be echoed back from a pasted log line. */
function redactSecrets(text: string): string {
  return text
    .replace(/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[token]')
    .replace(/\bBearer\s+[^\s"',]+/gi, 'Bearer [token]')
    .replace(
      /\b(client_secret|client_assertion|refresh_token|access_token|id_token|code_verifier|password|code|device_code)=([^&\s"']+)/gi,
      '$1=[redacted]',
    );
}

// --- objects ---------------------------------------------------------------------------------

/** `invalid_client`, `authorization_declined`: what an OAuth `error` value looks like. */
const OAUTH_ERROR_SHAPE = /^[a-z]+(?:_[a-z]+)+$/;
const STATUS_KEYS = ['status', 'statusCode', 'httpStatus', 'httpStatusCode'];
const NESTED_KEYS = ['body', 'data', 'response', 'responseBody', 'error', 'err', 'cause', 'originalError', 'errors'];

function fromObject(value: object, depth: number, seen: WeakSet<object>): RawError {
  if (depth > MAX_DEPTH || seen.has(value)) return empty();
  seen.add(value);
  if (Array.isArray(value)) {
    return value.slice(0, 10).reduce<RawError>((acc, item) => merge(acc, fromValue(item, depth + 1, seen)), empty());
  }
  const o = value as Record<string, unknown>;
  let r = empty();

  // Entra ID token endpoint body: {error, error_description, error_codes, ...}
  if (typeof o.error === 'string' && OAUTH_ERROR_SHAPE.test(o.error)) r.oauthError = o.error;
  if (typeof o.error_description === 'string') {
    const inner = scanText(o.error_description);
    r.description = inner.description ?? cleanDescription(o.error_description);
    r.aadstsCodes.push(...inner.aadstsCodes);
  }
  if (Array.isArray(o.error_codes)) r.aadstsCodes.push(...o.error_codes.map(String).filter((c) => /^\d{5,8}$/.test(c)));

  // Graph envelope: {error: {code, message, innerError}}; or the inner object itself.
  const graphError = isRecord(o.error) ? o.error : undefined;
  if (graphError && typeof graphError.code === 'string') r.graphCode = graphError.code;
  if (graphError && typeof graphError.message === 'string') r.message = cleanDescription(graphError.message);
  if (typeof o.code === 'string' && /^[A-Z][a-z]/.test(o.code)) r.graphCode ??= o.code;
  if (typeof o.code === 'string' && oauthErrorNames().includes(o.code)) r.oauthError ??= o.code;

  // msal-node AuthError / ServerError: errorCode, errorMessage, errorNo, status.
  if (typeof o.errorCode === 'string' && oauthErrorNames().includes(o.errorCode)) r.oauthError ??= o.errorCode;
  if (typeof o.errorNo === 'string' || typeof o.errorNo === 'number') {
    if (/^\d{5,8}$/.test(String(o.errorNo))) r.aadstsCodes.push(String(o.errorNo));
  }

  for (const key of STATUS_KEYS) {
    const status = Number(o[key]);
    if ((typeof o[key] === 'number' || typeof o[key] === 'string') && Number.isInteger(status) && status >= 100 && status <= 599) {
      r.httpStatus = status;
      break;
    }
  }
  const retryAfter = headerValue(o.headers, 'retry-after') ?? (o.retryAfter !== undefined ? String(o.retryAfter) : undefined);
  if (retryAfter !== undefined) r.retryAfterSeconds = parseRetryAfter(retryAfter);

  for (const key of ['errorMessage', 'message', 'error_message', 'detail']) {
    const text = o[key];
    if (typeof text === 'string') r = merge(r, scanText(text));
  }
  // A bare Graph error object ({code, message}) keeps its message as Graph's text.
  if (typeof o.message === 'string' && r.graphCode && r.message === undefined && !/AADSTS\d/.test(o.message)) {
    r.message = cleanDescription(o.message);
  }

  for (const key of NESTED_KEYS) {
    const nested = o[key];
    if (key === 'error' && typeof nested === 'string') continue;
    if (nested !== undefined && nested !== null) r = merge(r, fromValue(nested, depth + 1, seen));
  }

  if (isEmpty(r) && depth < MAX_DEPTH) r = merge(r, scanText(safeStringify(value)));
  return r;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!isRecord(headers)) return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    for (const key of [name, 'Retry-After']) {
      const v: unknown = get.call(headers, key);
      if (typeof v === 'string' || typeof v === 'number') return String(v);
    }
  }
  for (const [key, v] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first: unknown = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string' || typeof first === 'number') return String(first);
  }
  return undefined;
}

/** Retry-After is delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
export function parseRetryAfter(value: string, now = Date.now()): number | undefined {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function safeStringify(value: object): string {
  try {
    const text = JSON.stringify(value);
    return typeof text === 'string' ? text.slice(0, MAX_TEXT) : '';
  } catch {
    return '';
  }
}
