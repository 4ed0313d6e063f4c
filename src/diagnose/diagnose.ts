import { USER_AUDIENCE_CONSUMER, USER_AUDIENCE_TEXT } from './catalog-entra.js';
import { DEVICE_CODE_STATES } from './catalog-oauth.js';
import {
  ADMIN_CONSENT_URL_PLACEHOLDER,
  findAadsts,
  findGraphCode,
  findHttpStatus,
  findNetworkCode,
  findOAuthError,
  type AccountTypeName,
  type CatalogEntry,
} from './catalog.js';
import { GUIDE_STEP_INFO, type GuideStep } from './guide-steps.js';
import { parseRawInput, type RawError } from './parse.js';

/** What o365-notify tells the user about one error. */
export interface Diagnosis {
  /** `AADSTS7000218`, `ErrorAccessDenied`, `authorization_declined`, `HTTP429`. */
  code: string;
  title: string;
  cause: string;
  fix: string;
  guideStep: GuideStep;
  /** Microsoft's own text from the error, cleaned of trace IDs and anything secret. */
  description?: string;
  /** For consent errors when the Client ID is known. */
  adminConsentUrl?: string;
  /** Seconds Microsoft asked to wait (Retry-After). */
  retryAfterSeconds?: number;
  httpStatus?: number;
  /** False when the code was found but o365-notify's catalog has no entry for it. */
  known: boolean;
}

/**
 * A diagnosis as it is kept after the moment it was made (with a delivery attempt, a health
 * notice, an outbox row) and read back: the same fields, so the one Diagnosis type runs from parse
 * to store to page. `guideStep` is '' when an error carried a code but no step (another channel's
 * error, read defensively).
 */
export type StoredDiagnosis = Pick<Diagnosis, 'code' | 'title' | 'cause' | 'fix'> & { guideStep: GuideStep | '' };

/** A diagnosis as the page shows it: where in the portal the fix is, and the admin-consent link. */
export type ShownDiagnosis = StoredDiagnosis & Pick<Diagnosis, 'adminConsentUrl'> & { where?: string };

export interface DiagnoseContext {
  tenantId?: string;
  clientId?: string;
  /** e.g. `https://login.microsoftonline.com`, or the emulator's URL. */
  authorityHost?: string;
  accountType?: AccountTypeName | string;
}

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/**
 * Turns any Entra ID or Graph error (text, parsed body, Error, `{status, body, headers}`) into a
 * diagnosis; null when it carries no recognisable code.
 */
export function diagnose(input: unknown, context: DiagnoseContext = {}): Diagnosis | null {
  const raw = parseRawInput(input);
  return raw ? diagnoseRaw(raw, context) : null;
}

export function diagnoseRaw(raw: RawError, context: DiagnoseContext = {}): Diagnosis | null {
  // The one Entra answer that names no code, only this text (a personal-only app on /common).
  if (USER_AUDIENCE_TEXT.test(raw.description ?? raw.message ?? '')) return fromEntry(USER_AUDIENCE_CONSUMER, raw, context);
  const oauth = raw.oauthError ? findOAuthError(raw.oauthError) : undefined;
  if (oauth && DEVICE_CODE_STATES.includes(raw.oauthError!.toLowerCase())) return fromEntry(oauth, raw, context);

  for (const code of raw.aadstsCodes) {
    const entry = findAadsts(code);
    if (entry) return fromEntry(entry, raw, context);
  }
  const graph = raw.graphCode ? findGraphCode(raw.graphCode) : undefined;
  if (graph) return fromEntry(graph, raw, context);
  if (raw.aadstsCodes.length > 0) return unknownAadsts(raw.aadstsCodes[0]!, raw, oauth, context);

  const http = raw.httpStatus !== undefined ? findHttpStatus(raw.httpStatus) : undefined;
  if (http) return fromEntry(http, raw, context);
  if (raw.graphCode) return unknownGraph(raw.graphCode, raw);
  // Nothing from Microsoft: the request did not get there (proxy, TLS inspection, firewall, DNS).
  const network = raw.networkCode ? findNetworkCode(raw.networkCode) : undefined;
  if (network) return fromEntry(network, raw, context);
  if (oauth) return fromEntry(oauth, raw, context);
  return null;
}

function fromEntry(entry: CatalogEntry, raw: RawError, context: DiagnoseContext): Diagnosis {
  const fromGraph = entry.source === 'graph' || entry.source === 'http';
  const description = fromGraph ? (raw.message ?? raw.description) : (raw.description ?? raw.message);
  const consentUrl = entry.adminConsent ? adminConsentUrl(context, description) : undefined;
  const causes = [entry.cause];
  const note = context.accountType ? entry.accountTypeNotes?.[context.accountType as AccountTypeName] : undefined;
  if (note) causes.push(note);
  const redirectUri = description && entry.guideStep === 'redirect-uri' ? /(?:redirect URI|reply address) '([^']+)'/i.exec(description) : null;
  if (redirectUri) causes.push(`The sign-in used ${redirectUri[1]}.`);
  if (raw.retryAfterSeconds !== undefined && entry.guideStep === 'throttling') {
    causes.push(`Microsoft asked to wait ${raw.retryAfterSeconds} seconds (Retry-After).`);
  }

  let guideStep = entry.guideStep;
  let fix = entry.fix.replaceAll(ADMIN_CONSENT_URL_PLACEHOLDER, consentUrl ?? adminConsentUrlTemplate(context));
  // "The request body must contain the following parameter: 'client_id'": the Client ID is empty.
  if ((entry.code === 'AADSTS900144' || entry.code === 'AADSTS90014') && description && /'client_id'/.test(description)) {
    guideStep = 'client-id';
    fix = GUIDE_STEP_INFO['client-id'].fix;
  }

  return withoutUndefined({
    code: entry.code,
    title: entry.title,
    cause: causes.join(' '),
    fix,
    guideStep,
    description,
    adminConsentUrl: consentUrl,
    retryAfterSeconds: raw.retryAfterSeconds,
    httpStatus: raw.httpStatus,
    known: true,
  });
}

function unknownAadsts(digits: string, raw: RawError, hint: CatalogEntry | undefined, context: DiagnoseContext): Diagnosis {
  const code = `AADSTS${digits}`;
  const lookUp = `look the code up at https://login.microsoftonline.com/error?code=${digits}`;
  const consentUrl = hint?.adminConsent ? adminConsentUrl(context, raw.description) : undefined;
  return withoutUndefined({
    code,
    title: hint ? `${hint.title} (Entra ID error ${code})` : `Entra ID error ${code}`,
    cause: [
      raw.description ? `Microsoft Entra ID said: ${raw.description}` : `Microsoft Entra ID refused the request with ${code}.`,
      hint ? hint.cause : `o365-notify has no specific advice for ${code}.`,
    ].join(' '),
    fix: hint
      ? `${hint.fix.replaceAll(ADMIN_CONSENT_URL_PLACEHOLDER, consentUrl ?? adminConsentUrlTemplate(context))} If that does not help, ${lookUp}.`
      : `Read Microsoft's description above and ${lookUp}.`,
    guideStep: hint?.guideStep ?? 'request',
    description: raw.description,
    adminConsentUrl: consentUrl,
    retryAfterSeconds: raw.retryAfterSeconds,
    httpStatus: raw.httpStatus,
    known: false,
  });
}

function unknownGraph(code: string, raw: RawError): Diagnosis {
  const guideStep = guideStepForStatus(raw.httpStatus);
  const description = raw.message ?? raw.description;
  return withoutUndefined({
    code,
    title: `Microsoft Graph error ${code}`,
    cause: description ? `Microsoft Graph said: ${description}` : `Microsoft Graph refused the request with ${code}.`,
    fix: GUIDE_STEP_INFO[guideStep].fix,
    guideStep,
    description,
    retryAfterSeconds: raw.retryAfterSeconds,
    httpStatus: raw.httpStatus,
    known: false,
  });
}

function guideStepForStatus(status: number | undefined): GuideStep {
  switch (status) {
    case 401:
      return 'sign-in-again';
    case 403:
      return 'api-permissions';
    case 404:
      return 'mailbox';
    case 413:
      return 'message-size';
    case 429:
    case 503:
    case 504:
      return 'throttling';
    default:
      return 'request';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `https://login.microsoftonline.com/{tenant}/adminconsent?client_id={clientId}`; the Client ID
 * comes from the settings or, failing that, from Microsoft's text ("application with ID '...'").
 * Without a Tenant ID, `organizations` lets the admin of any work or school tenant consent.
 */
export function adminConsentUrl(context: DiagnoseContext, description?: string): string | undefined {
  const clientId = context.clientId?.trim() || clientIdIn(description);
  if (!clientId) return undefined;
  const host = (context.authorityHost?.trim() || DEFAULT_AUTHORITY_HOST).replace(/\/+$/, '');
  const tenant = context.tenantId?.trim() || 'organizations';
  return `${host}/${encodeURIComponent(tenant)}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

function adminConsentUrlTemplate(context: DiagnoseContext): string {
  const host = (context.authorityHost?.trim() || DEFAULT_AUTHORITY_HOST).replace(/\/+$/, '');
  return `${host}/${context.tenantId?.trim() || '<Tenant ID>'}/adminconsent?client_id=${context.clientId?.trim() || '<Client ID>'}`;
}

function clientIdIn(description: string | undefined): string | undefined {
  if (!description) return undefined;
  const m = /(?:application with (?:ID|identifier)|Application|app) '([0-9a-f-]{36})'/i.exec(description);
  return m && GUID.test(m[1]!) ? m[1] : undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
