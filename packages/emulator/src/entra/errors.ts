import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Entra ID's errors: the AADSTS catalog (texts as Entra sends them in `error_description`,
 * after Microsoft's error-code reference and bodies seen on the wire) and the JSON shape
 * `{error, error_description, error_codes, timestamp, trace_id, correlation_id, error_uri}`.
 */

type Args = Record<string, string>;

interface AadstsDefinition {
  /** The OAuth `error` value Entra pairs with this code. */
  error: string;
  /** HTTP status on the token endpoints (401 for client authentication failures). */
  status: number;
  text: (a: Args) => string;
  suberror?: string;
}

const app = (a: Args) => `'${a.clientId}'(${a.appName})`;

export const AADSTS = {
  50011: {
    error: 'invalid_request',
    status: 400,
    text: (a) =>
      `The redirect URI '${a.redirectUri}' specified in the request does not match the redirect URIs configured for the application '${a.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
  },
  500113: { error: 'invalid_request', status: 400, text: () => 'No reply address is registered for the application.' },
  500112: {
    error: 'invalid_grant',
    status: 400,
    text: (a) => `The reply address '${a.got}' does not match the reply address '${a.expected}' provided when requesting Authorization code.`,
  },
  700016: {
    error: 'unauthorized_client',
    status: 400,
    text: (a) =>
      `Application with identifier '${a.clientId}' was not found in the directory '${a.directory}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  },
  90002: {
    error: 'invalid_request',
    status: 400,
    text: (a) =>
      `Tenant '${a.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  },
  900023: {
    error: 'invalid_request',
    status: 400,
    text: (a) => `Specified tenant identifier '${a.tenant}' is neither a valid DNS name, nor a valid external domain.`,
  },
  50194: {
    error: 'invalid_request',
    status: 400,
    text: (a) =>
      `Application ${app(a)} is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
  },
  9002331: {
    error: 'invalid_request',
    status: 400,
    text: (a) => `Application ${app(a)} is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve this request.`,
  },
  9002332: {
    error: 'invalid_request',
    status: 400,
    text: (a) =>
      `Application ${app(a)} is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.`,
  },
  // Bodies pasted in public issues and docs (e.g. "User account 'x@hotmail.com' is a personal Microsoft
  // account. ..."): what a personal account meets on an organizations-only app reached through /common.
  500200: {
    error: 'invalid_request',
    status: 400,
    text: (a) =>
      `User account '${a.upn}' is a personal Microsoft account. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization. Try signing out and signing back in with an organizational account.`,
  },
  50020: {
    error: 'invalid_request',
    status: 400,
    text: (a) =>
      `User account '${a.upn}' from identity provider '${a.idp}' does not exist in tenant '${a.tenantName}' and cannot access the application ${app(a)} in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.`,
  },
  50059: {
    error: 'invalid_request',
    status: 400,
    text: () => 'No tenant-identifying information found in either the request or implied by any provided credentials.',
  },
  700025: {
    error: 'invalid_client',
    status: 401,
    text: () => "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
  },
  7000218: {
    error: 'invalid_client',
    status: 401,
    text: () => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
  7000215: {
    error: 'invalid_client',
    status: 401,
    text: (a) =>
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${a.clientId}'.`,
  },
  7000222: {
    error: 'invalid_client',
    status: 401,
    text: (a) =>
      `The provided client secret keys for app '${a.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
  },
  700027: {
    error: 'invalid_client',
    status: 401,
    text: (a) => `Client assertion failed signature validation. [Reason - ${a.reason ?? 'The key was not found.'}]`,
  },
  700024: { error: 'invalid_client', status: 401, text: () => 'Client assertion is not within its valid time range.' },
  65001: {
    error: 'invalid_grant',
    status: 400,
    suberror: 'consent_required',
    text: (a) =>
      `The user or administrator has not consented to use the application with ID '${a.clientId}' named '${a.appName}'. Send an interactive authorization request for this user and resource.`,
  },
  65004: { error: 'access_denied', status: 400, text: () => 'User declined to consent to access the app.' },
  90094: { error: 'access_denied', status: 400, text: () => 'The grant requires admin permission.' },
  700082: {
    error: 'invalid_grant',
    status: 400,
    text: (a) => `The refresh token has expired due to inactivity. The token was issued on ${a.issued} and was inactive for ${a.inactive}.`,
  },
  50173: {
    error: 'invalid_grant',
    status: 400,
    text: (a) =>
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${a.issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${a.validFrom}'.`,
  },
  70011: {
    error: 'invalid_scope',
    status: 400,
    text: (a) =>
      a.scope === undefined
        ? "The provided request must include a 'scope' input parameter."
        : `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${a.scope} is not valid.`,
  },
  1002012: {
    error: 'invalid_scope',
    status: 400,
    text: (a) =>
      `The provided value for scope ${a.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
  },
  500011: {
    error: 'invalid_resource',
    status: 400,
    text: (a) =>
      `The resource principal named ${a.resource} was not found in the tenant named ${a.tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
  },
  54005: {
    error: 'invalid_grant',
    status: 400,
    text: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  501481: {
    error: 'invalid_grant',
    status: 400,
    text: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  },
  70008: {
    error: 'invalid_grant',
    status: 400,
    text: () =>
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  },
  70000: { error: 'invalid_grant', status: 400, text: () => 'Provided grant is invalid or malformed.' },
  700005: {
    error: 'invalid_grant',
    status: 400,
    text: () =>
      'Provided Authorization Code is intended to use against other tenant, thus rejected. OAuth2 Authorization Code must be redeemed against same tenant it was acquired for.',
  },
  9002313: { error: 'invalid_grant', status: 400, text: () => 'Invalid request. Request is malformed or invalid.' },
  900144: {
    error: 'invalid_request',
    status: 400,
    text: (a) => `The request body must contain the following parameter: '${a.name}'.`,
  },
  70003: {
    error: 'unsupported_grant_type',
    status: 400,
    text: (a) => `The app requested an unsupported grant type '${a.grantType}'.`,
  },
  900561: {
    error: 'invalid_request',
    status: 400,
    text: (a) => `The endpoint only accepts POST, OPTIONS requests. Received a ${a.method} request.`,
  },
  700051: {
    error: 'unsupported_response_type',
    status: 400,
    text: (a) => `response_type '${a.responseType}' is not enabled for the application.`,
  },
  70007: {
    error: 'invalid_request',
    status: 400,
    text: (a) => `The application returned an unsupported value of 'response_mode' ('${a.responseMode}') when requesting a token.`,
  },
  // Conditional Access (conditional-access.ts); texts from Microsoft's AADSTS reference and pasted bodies.
  50076: {
    error: 'interaction_required',
    status: 400,
    suberror: 'basic_action',
    text: (a) =>
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${a.resource}'.`,
  },
  50079: {
    error: 'interaction_required',
    status: 400,
    suberror: 'basic_action',
    text: (a) =>
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${a.resource}'.`,
  },
  53003: {
    error: 'interaction_required',
    status: 400,
    suberror: 'message_only',
    text: () => 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
  },
  530003: {
    error: 'interaction_required',
    status: 400,
    suberror: 'message_only',
    text: () => 'Your device is required to be managed to access this resource.',
  },
  530033: {
    error: 'interaction_required',
    status: 400,
    suberror: 'message_only',
    text: () => 'Access has been blocked by Conditional Access policies: the device code flow is blocked for this user or application.',
  },
  70043: {
    error: 'invalid_grant',
    status: 400,
    suberror: 'token_expired',
    text: (a) =>
      `The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on ${a.issued} and the maximum allowed lifetime for this request is ${a.seconds}.`,
  },
  50058: {
    error: 'login_required',
    status: 400,
    text: () => 'A silent sign-in request was sent but no user is signed in.',
  },
  50089: { error: 'invalid_request', status: 400, text: () => 'Authentication failed due to flow token expired.' },
  50049: { error: 'invalid_instance', status: 400, text: () => 'Unknown or invalid instance.' },
  // Device authorization grant (RFC 8628) on the token endpoint.
  70016: { error: 'authorization_pending', status: 400, text: () => 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.' },
  70020: {
    error: 'expired_token',
    status: 400,
    text: () => "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
  },
  // Token-endpoint throttling (issue 13.11). 50196 for user-facing grants, as MSAL.NET's maintainers
  // document it: invalid_grant with this text (https://learn.microsoft.com/entra/msal/dotnet/advanced/client-and-server-throttling;
  // the wording of the text as pasted in pnp/PnP-PowerShell#3026).
  50196: {
    error: 'invalid_grant',
    status: 400,
    text: () => 'The server terminated an operation because it encountered a client request loop. Please contact your app vendor.',
  },
  // "TenantThrottlingError - There are too many incoming requests. This exception is thrown for blocked
  // tenants." (AADSTS reference). No public body: 400 without Retry-After, so the product must go by the code.
  90055: { error: 'invalid_request', status: 400, text: () => 'There are too many incoming requests. Please try again later.' },
  70018: {
    error: 'bad_verification_code',
    status: 400,
    text: () => "The provided value for the input parameter 'device_code' is not valid.",
  },
} satisfies Record<number, AadstsDefinition>;

export type AadstsCode = keyof typeof AADSTS;

/** An Entra error on its way to the client: JSON on the token endpoints, a redirect or a page on /authorize. */
export class EntraError extends Error {
  constructor(
    readonly code: number,
    readonly error: string,
    readonly text: string,
    readonly status: number,
    readonly suberror?: string,
    /** A claims challenge (Conditional Access), sent as the `claims` member. */
    readonly claims?: string,
  ) {
    super(`AADSTS${code}: ${text}`);
    this.name = 'EntraError';
  }

  /** Same code and text under another OAuth `error` (device-code polling reuses consent codes). */
  withError(error: string): EntraError {
    return new EntraError(this.code, error, this.text, this.status, this.suberror, this.claims);
  }

  withClaims(claims: string): EntraError {
    return new EntraError(this.code, this.error, this.text, this.status, this.suberror, claims);
  }
}

export function aadsts(code: AadstsCode, args: Args = {}): EntraError {
  const def: AadstsDefinition = AADSTS[code];
  return new EntraError(code, def.error, def.text(args), def.status, def.suberror);
}

/** RFC 8628 `slow_down`: Entra documents no AADSTS code for it; the pending code family is used. */
export function slowDown(intervalSeconds: number): EntraError {
  return new EntraError(
    70016,
    'slow_down',
    `OAuth 2.0 device flow error. Polling too frequently: wait at least ${intervalSeconds} seconds between requests.`,
    400,
  );
}

/** Per-response identifiers, as Entra prints them under every error. */
export interface TraceIds {
  traceId: string;
  correlationId: string;
  /** "2016-01-09 02:02:12Z" */
  timestamp: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function entraTimestamp(nowMs: number): string {
  return new Date(nowMs).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

/** Entra echoes the client's `client-request-id` (MSAL's correlation id) as the correlation id. */
export function traceIds(request: FastifyRequest, nowMs: number): TraceIds {
  const sent = request.headers['client-request-id'];
  const correlationId = typeof sent === 'string' && GUID.test(sent) ? sent.toLowerCase() : randomUUID();
  return { traceId: randomUUID(), correlationId, timestamp: entraTimestamp(nowMs) };
}

/** The description with Entra's trailer, as in every error_description. */
/**
 * A personal-only app (signInAudience PersonalMicrosoftAccount) on /common: Entra now sends this on the
 * redirect after the account is entered, as `invalid_request` with no AADSTS code (texts pasted in
 * public repositories' troubleshooting notes; issue 13.6). The older AADSTS9002331 stays on /organizations
 * and the tenant endpoints.
 */
export const USER_AUDIENCE_CONSUMER_ON_COMMON =
  "The request is not valid for the application's 'userAudience' configuration. In order to use /common/ endpoint, the application must not be configured with 'Consumer' as the user audience. The userAudience should be configured with 'All' to use /common/ endpoint.";

export function describe(err: EntraError, ids: TraceIds): string {
  return `AADSTS${err.code}: ${err.text}\r\nTrace ID: ${ids.traceId}\r\nCorrelation ID: ${ids.correlationId}\r\nTimestamp: ${ids.timestamp}`;
}

export function errorUri(code: number): string {
  return `https://login.microsoftonline.com/error?code=${code}`;
}

export function errorBody(err: EntraError, ids: TraceIds): Record<string, unknown> {
  return {
    error: err.error,
    error_description: describe(err, ids),
    error_codes: [err.code],
    timestamp: ids.timestamp,
    trace_id: ids.traceId,
    correlation_id: ids.correlationId,
    error_uri: errorUri(err.code),
    ...(err.suberror ? { suberror: err.suberror } : {}),
    ...(err.claims ? { claims: err.claims } : {}),
  };
}

/** Headers Entra sets on every token-endpoint answer. */
export function setTokenHeaders(reply: FastifyReply, request: FastifyRequest, ids: TraceIds): void {
  reply.header('cache-control', 'no-store, no-cache');
  reply.header('pragma', 'no-cache');
  reply.header('x-ms-request-id', ids.traceId);
  if (request.headers['return-client-request-id'] === 'true') reply.header('client-request-id', ids.correlationId);
}

export function sendJsonError(reply: FastifyReply, request: FastifyRequest, nowMs: number, err: EntraError): FastifyReply {
  const ids = traceIds(request, nowMs);
  setTokenHeaders(reply, request, ids);
  return reply.code(err.status).type('application/json; charset=utf-8').send(errorBody(err, ids));
}
