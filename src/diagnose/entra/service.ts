import type { CatalogEntry } from '../catalog-types.js';

// Malformed requests (defects in o365-notify) and Entra ID service trouble (outages, throttling).
// Texts after Microsoft's "Microsoft Entra authentication and authorization error codes" page
// (learn.microsoft.com/entra/identity-platform/reference-error-codes) and the error_description
// values Entra ID sends; placeholders in braces.

export const serviceEntries: readonly CatalogEntry[] = [
  // --- malformed requests (defects) -----------------------------------------------------------
  {
    code: 'AADSTS70011',
    source: 'entra',
    title: 'Scope not valid',
    microsoftText: "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.",
    cause:
      'o365-notify asked for a scope Entra ID does not accept. The scopes are not a setting (Mail.Send offline_access openid profile, or https://graph.microsoft.com/.default for app-only), so this is a defect in the request.',
    fix: 'No setting causes this: update o365-notify, and if it persists report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },
  {
    code: 'AADSTS1002012',
    source: 'entra',
    title: 'App-only scope must end in /.default',
    microsoftText:
      'The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
    cause: 'App-only sign-in asked for a named scope instead of https://graph.microsoft.com/.default: a defect in the request.',
    fix: 'No setting causes this: update o365-notify, and if it persists report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },
  {
    code: 'AADSTS501481',
    source: 'entra',
    title: 'PKCE check failed',
    microsoftText: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
    cause:
      'The code verifier sent with the authorization code does not match the sign-in\'s challenge: a defect, or two sign-ins running at the same time.',
    fix: 'Run `o365-notify login` again, one sign-in at a time; if it persists report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },
  {
    code: 'AADSTS900144',
    source: 'entra',
    title: 'Required parameter missing',
    microsoftText: "The request body must contain the following parameter: '{name}'.",
    cause: 'The token request lacked a parameter Entra ID requires: a defect in the request (or, for client_id, an empty Client ID).',
    fix: 'If the missing parameter is client_id, enter the Client ID with `o365-notify setup`; otherwise report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },
  {
    code: 'AADSTS90014',
    source: 'entra',
    title: 'Required field missing',
    microsoftText:
      "The required field '{field}' is missing from the credential. Ensure that you have all the necessary parameters for the login request.",
    cause: 'The request lacked a field Entra ID requires: a defect in the request (or, for client_id, an empty Client ID).',
    fix: 'If the missing field is client_id, enter the Client ID with `o365-notify setup`; otherwise report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },

  // --- service side --------------------------------------------------------------------------
  {
    code: 'AADSTS90033',
    source: 'entra',
    aliases: ['AADSTS50033', 'AADSTS90006', 'AADSTS90024'],
    title: 'Entra ID temporarily unavailable',
    microsoftText: 'A transient error has occurred. Please try again.',
    cause: 'A temporary failure inside Microsoft Entra ID, not a problem with the settings.',
    fix: 'Nothing to change: o365-notify tries again later. If it lasts, check https://status.cloud.microsoft.',
    guideStep: 'throttling',
  },
  {
    code: 'AADSTS50196',
    source: 'entra',
    title: 'Too many identical sign-in requests',
    microsoftText:
      'The server terminated an operation because it encountered a client request loop. Please contact your app vendor.',
    cause: 'The same token request was repeated too often in a short time, so Entra ID stopped answering it for a while.',
    fix: 'Nothing to change in the portal: o365-notify stops asking for tokens for a minute and the e-mails wait in the queue. If it recurs, another program may be signing in with the same app registration and account in a loop; stop it, or give it its own app registration.',
    guideStep: 'throttling',
  },
  {
    code: 'AADSTS90055',
    source: 'entra',
    title: 'Entra ID is throttling this tenant',
    microsoftText: 'TenantThrottlingError - There are too many incoming requests. This exception is thrown for blocked tenants.',
    cause: 'Microsoft Entra ID is refusing sign-in requests for the whole tenant for a while because the tenant sent too many; o365-notify is one of the senders, not necessarily the cause.',
    fix: 'Nothing to change in o365-notify: it stops asking for tokens for a minute at a time and the e-mails wait in the queue. If it lasts, an administrator can look for the app flooding sign-ins in the Entra admin center > Identity > Monitoring & health > Sign-in logs.',
    guideStep: 'throttling',
  },
];

/**
 * A 429 (or 503) from the token endpoint itself, which has no AADSTS code (Entra answers a client
 * that asks too often with "Too Many Requests" and Retry-After): the Graph-worded HTTP429 entry would
 * point at the message rate instead.
 */
export const TOKEN_ENDPOINT_THROTTLED: Pick<CatalogEntry, 'title' | 'cause' | 'fix' | 'guideStep'> = {
  title: 'Entra ID throttled the token requests',
  cause: 'Microsoft Entra ID answered the token request with 429 Too Many Requests: it does so to an app registration that asks for tokens too often.',
  fix: 'Nothing to change in the portal: o365-notify asks for no token until the Retry-After time has passed (a minute when Entra gives none) and the e-mails wait in the queue. If it recurs, another program may be using the same app registration without caching its tokens; give it its own app registration.',
  guideStep: 'throttling',
};
