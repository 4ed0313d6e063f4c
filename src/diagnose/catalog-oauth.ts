import type { CatalogEntry } from './catalog-types.js';

// OAuth 2.0 `error` values (RFC 6749 section 5.2, RFC 8628 section 3.5) as Entra ID uses them.
// They are diagnosed when no AADSTS code is available, e.g. msal-node's device-code polling
// reports only "post_request_failed: invalid_client". The device-code end states win over
// AADSTS codes because they say exactly what happened to this sign-in.

const CONSENT_URL_NOTE = 'An administrator can also consent for the whole organization at {adminConsentUrl}.';

/** Device-code polling end states: they describe the sign-in itself, whatever AADSTS code comes with them. */
export const DEVICE_CODE_STATES: readonly string[] = [
  'authorization_declined',
  'expired_token',
  'code_expired',
  'device_code_expired',
  'bad_verification_code',
];

export const oauthEntries: readonly CatalogEntry[] = [
  {
    code: 'authorization_declined',
    source: 'oauth',
    title: 'Device-code sign-in declined',
    microsoftText: 'The end user denied the authorization request.',
    cause: 'At the device-code sign-in page someone answered No (or Cancel) when asked to sign in to the app.',
    fix: 'Run `o365-notify login --device-code` again and approve the sign-in at the page, with the account that sends the notifications.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'expired_token',
    source: 'oauth',
    aliases: ['code_expired', 'device_code_expired'],
    title: 'Device code expired',
    microsoftText:
      'Value of expires_in has been exceeded and authentication is no longer possible with device_code.',
    cause: 'The code printed by `o365-notify login --device-code` was not entered at the sign-in page in time.',
    fix: 'Run `o365-notify login --device-code` again and enter the new code at the page it shows, promptly.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'bad_verification_code',
    source: 'oauth',
    title: 'Device code not recognized',
    microsoftText: "The device_code sent to the /token endpoint wasn't recognized.",
    cause: 'The device code polled for is not one Entra ID issued to this app: a defect in the request.',
    fix: 'Run `o365-notify login --device-code` again; if it persists report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },
  {
    code: 'invalid_client',
    source: 'oauth',
    title: 'App authentication failed',
    microsoftText: 'Client authentication failed.',
    cause:
      'Entra ID did not accept how the app identified itself. Without a client secret (browser or device-code sign-in) this is almost always Allow public client flows = No; with a secret it is a wrong, expired or misplaced secret.',
    fix:
      'In the Azure portal open App registrations > (your app) > Authentication > Advanced settings and set Allow public client flows = Yes, then Save. If a client secret is configured, check it under Certificates & secrets (copy the Value, not the Secret ID).',
    guideStep: 'public-client-flows',
  },
  {
    code: 'unauthorized_client',
    source: 'oauth',
    title: 'App not allowed to sign in this way',
    microsoftText: "The authenticated client isn't authorized to use this authorization grant type.",
    cause: 'The app is not registered in the tenant, or is not allowed this kind of sign-in (Client ID of another app, or a disabled app).',
    fix:
      'In the Azure portal open App registrations > (your app) > Overview, copy the Application (client) ID and enter it as the Client ID with `o365-notify setup`.',
    guideStep: 'client-id',
  },
  {
    code: 'invalid_grant',
    source: 'oauth',
    title: 'Sign-in no longer valid',
    microsoftText:
      'Some of the authentication material (auth code, refresh token, access token, PKCE challenge) was invalid, unparseable, missing, or otherwise unusable.',
    cause: 'The authorization code or refresh token o365-notify holds is not accepted any more (expired, revoked, or already used).',
    fix: 'Run `o365-notify login` and sign in again with the account that sends the notifications.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'interaction_required',
    source: 'oauth',
    aliases: ['login_required'],
    title: 'Interactive sign-in required',
    microsoftText: 'The request requires user interaction. For example, an another authentication step is required.',
    cause: 'Entra ID needs the user at a browser (a multifactor prompt, a new consent, or a fresh password) and a silent refresh cannot do that.',
    fix: 'Run `o365-notify login` and complete what the sign-in page asks.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'consent_required',
    source: 'oauth',
    title: 'Consent required',
    microsoftText: 'The Authorization Server requires End-User consent.',
    cause: 'Mail.Send has not been consented for this app in the tenant.',
    fix: `Run \`o365-notify login\` and accept the permissions requested. ${CONSENT_URL_NOTE}`,
    guideStep: 'admin-consent',
    adminConsent: true,
  },
  {
    code: 'access_denied',
    source: 'oauth',
    title: 'Sign-in cancelled or refused',
    microsoftText: 'The resource owner or authorization server denied the request.',
    cause: 'The sign-in was cancelled at the Microsoft page, or consent for Mail.Send was refused.',
    fix: `Run \`o365-notify login\` again and accept. ${CONSENT_URL_NOTE}`,
    guideStep: 'sign-in-again',
    adminConsent: true,
  },
  {
    code: 'invalid_scope',
    source: 'oauth',
    title: 'Scope not valid',
    microsoftText: 'The requested scope is invalid, unknown, or malformed.',
    cause: 'o365-notify asked for scopes Entra ID does not accept; the scopes are not a setting, so this is a defect in the request.',
    fix: 'No setting causes this: update o365-notify, and if it persists report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },
  {
    code: 'invalid_request',
    source: 'oauth',
    aliases: ['unsupported_grant_type', 'unsupported_response_type'],
    title: 'Malformed sign-in request',
    microsoftText: 'Protocol error, such as a missing required parameter.',
    cause: 'The request to Entra ID was malformed: a defect in the request, not a setting.',
    fix: 'No setting causes this: try again, and if it persists report it with the output of `o365-notify explain`.',
    guideStep: 'request',
  },
  {
    code: 'temporarily_unavailable',
    source: 'oauth',
    aliases: ['server_error'],
    title: 'Entra ID busy',
    microsoftText: 'The server is temporarily too busy to handle the request.',
    cause: 'Microsoft Entra ID could not answer for a moment; nothing is wrong with the settings.',
    fix: 'Nothing to change: o365-notify tries again later.',
    guideStep: 'throttling',
  },
];
