import type { CatalogEntry } from './catalog-types.js';

// Texts after Microsoft's "Microsoft Entra authentication and authorization error codes" page
// (learn.microsoft.com/entra/identity-platform/reference-error-codes) and the error_description
// values Entra ID sends; placeholders in braces.

const APP = 'In the Azure portal open App registrations > (your app)';
const REDIRECT_FIX =
  `${APP} > Authentication > Add a platform > Mobile and desktop applications, enter http://localhost (or http://localhost:PORT when o365-notify uses a fixed port) under Custom redirect URIs, then click Configure.`;
const NEW_SECRET_FIX =
  `${APP} > Certificates & secrets > Client secrets > New client secret, enter a description, choose Expires and click Add; copy the Value column at once (not the Secret ID; the Value is shown only once) and enter it with \`o365-notify setup --client-secret-stdin --secret-expires YYYY-MM-DD\`.`;
const TENANT_ID_FIX =
  `${APP} > Overview, copy the Directory (tenant) ID and enter it as the Tenant ID with \`o365-notify setup --tenant-id ...\` (a verified domain such as contoso.onmicrosoft.com works too).`;
const CONSENT_FIX =
  'An administrator of the tenant grants consent for the organization: in the Azure portal App registrations > (your app) > API permissions > Grant admin consent for (your tenant) > Yes, or at {adminConsentUrl} > Accept. Then run `o365-notify login` again.';
const LOGIN = 'Run `o365-notify login` and sign in again with the account that sends the notifications.';
const ACCOUNT_TYPE_WHERE = 'Supported account types (App registrations > (your app) > Authentication)';

/**
 * Entra's answer for a personal-only app on /common: `invalid_request` with this text and no AADSTS
 * code, on the redirect (issue 13.6). Matched on the text (diagnose.ts), so it is not in the index.
 */
export const USER_AUDIENCE_TEXT = /'userAudience' configuration/i;
export const USER_AUDIENCE_CONSUMER: CatalogEntry = {
  code: 'invalid_request',
  source: 'oauth',
  title: 'App registered for personal accounts only, used through /common',
  microsoftText:
    "The request is not valid for the application's 'userAudience' configuration. In order to use /common/ endpoint, the application must not be configured with 'Consumer' as the user audience. The userAudience should be configured with 'All' to use /common/ endpoint.",
  cause:
    'o365-notify signs in through /common (account type multi-tenant-personal), but the app registration\'s Supported account types is "Personal Microsoft accounts only", which Entra ID refuses there and which o365-notify does not support.',
  fix: `Change ${ACCOUNT_TYPE_WHERE} to "Accounts in any organizational directory and personal Microsoft accounts" (or register the app again with that choice and enter its Client ID with \`o365-notify setup\`), then run \`o365-notify login\` again.`,
  guideStep: 'account-type',
};

/**
 * AADSTS7000218 when the sign-in code is redeemed (browser sign-in): the code came back to an
 * http://localhost URI that Entra matched under the Web platform (it ignores localhost ports on every
 * platform, https://learn.microsoft.com/entra/identity-platform/reply-url "Localhost exceptions"), and
 * a Web redirect makes the redemption confidential. Allow public client flows plays no part here, so
 * this replaces the code's general entry for that one case (src/auth uses it).
 */
export const WEB_PLATFORM_CODE_REDEMPTION: Pick<CatalogEntry, 'title' | 'cause' | 'fix' | 'guideStep'> = {
  title: 'http://localhost is registered under the Web platform',
  cause:
    'The browser sign-in came back to http://localhost, which the app registration lists under Web (Entra ID ignores the port of localhost redirect URIs, so any http://localhost entry there matches), and a Web redirect URI makes Entra ID want a client secret when o365-notify redeems the sign-in code. o365-notify signs in as a desktop application: the URI belongs under Mobile and desktop applications.',
  fix: `${APP} > Authentication, under Web delete http://localhost (and any http://localhost:PORT), then Add a platform > Mobile and desktop applications, enter http://localhost under Custom redirect URIs and click Configure. Run \`o365-notify login\` again.`,
  guideStep: 'redirect-uri',
};

/**
 * AADSTS700025 on client credentials (app-only): "Allow public client flows" = Yes makes the app fall
 * back to a public client when the request shows no redirect URI, so Entra refuses its secret (issue
 * 13.13). The delegated advice (drop the secret) would be wrong here.
 */
export const APP_ONLY_ON_PUBLIC_CLIENT: Pick<CatalogEntry, 'title' | 'cause' | 'fix' | 'guideStep'> = {
  title: 'App-only sending on a registration that allows public client flows',
  cause:
    'App-only sending signs in with the client secret (client credentials). The app registration has "Allow public client flows" = Yes, which the delegated guide needs for device-code sign-in, and with it Entra ID treats the app as a public client in a request without a redirect URI and refuses the secret.',
  fix: `Use a separate app registration for app-only sending: \`o365-notify register --auth app-only --sender ADDRESS\` makes one with "Allow public client flows" = No, or ${APP} > Authentication > Advanced settings > Allow public client flows: No (this ends device-code sign-in with that registration). Then run \`o365-notify login\` again.`,
  guideStep: 'public-client-flows',
};

export const entraEntries: readonly CatalogEntry[] = [
  // --- redirect URI -------------------------------------------------------------------------
  {
    code: 'AADSTS50011',
    source: 'entra',
    title: 'Redirect URI not registered',
    microsoftText:
      "The redirect URI '{uri}' specified in the request does not match the redirect URIs configured for the application '{appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.",
    cause:
      'The browser sign-in returned to a redirect URI (http://localhost:PORT) that the app registration does not list under Mobile and desktop applications: it is missing, has another port, or is registered under the Web or Single-page application platform.',
    fix: REDIRECT_FIX,
    guideStep: 'redirect-uri',
  },
  {
    code: 'AADSTS500113',
    source: 'entra',
    title: 'No redirect URI registered',
    microsoftText: 'No reply address is registered for the application.',
    cause: 'The app registration has no redirect URI at all: the guide\'s "Set up the Application Platform" step was skipped.',
    fix: REDIRECT_FIX,
    guideStep: 'redirect-uri',
  },
  {
    code: 'AADSTS900971',
    source: 'entra',
    title: 'No redirect URI provided',
    microsoftText: 'No reply address provided.',
    cause:
      'The sign-in request carried no redirect URI and the app registration has none Entra ID could use, so it cannot send the sign-in back to o365-notify.',
    fix: REDIRECT_FIX,
    guideStep: 'redirect-uri',
  },
  {
    code: 'AADSTS9002326',
    source: 'entra',
    title: 'Sign-in code redeemed from a web page',
    microsoftText:
      "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '{origin}'.",
    cause:
      'The sign-in code was redeemed from a browser page (the request carried an Origin header), which Entra ID allows only for Single-page application redirect URIs. o365-notify redeems the code itself, for a redirect URI under Mobile and desktop applications.',
    fix: `${REDIRECT_FIX} Sign in with \`o365-notify login\`, not from a web page.`,
    guideStep: 'redirect-uri',
  },

  // --- client secret / public client -----------------------------------------------------------
  {
    code: 'AADSTS700025',
    source: 'entra',
    title: 'Client secret sent for a public client',
    microsoftText: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    cause:
      'The redirect URI is registered under Mobile and desktop applications, which makes browser and device-code sign-in a public client: Entra ID refuses a client secret there. The secret is not needed for this delegated sign-in.',
    fix:
      'Remove the Client Secret from o365-notify\'s settings (`o365-notify setup`, leave the secret empty): delegated sign-in with this registration does not need it. Keep the secret only for app-only sending (`--auth app-only`). Do not move http://localhost to the Web platform.',
    guideStep: 'client-secret',
  },
  {
    code: 'AADSTS7000218',
    source: 'entra',
    title: 'Public client flows are off',
    microsoftText: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    cause:
      'Entra ID treats the app as a confidential client and wants a secret: Allow public client flows is No (device-code sign-in needs Yes), or http://localhost is registered under Web instead of Mobile and desktop applications.',
    fix:
      `${APP} > Authentication > Advanced settings and set Allow public client flows = Yes, then Save. Check that http://localhost is listed under Mobile and desktop applications, not under Web.`,
    guideStep: 'public-client-flows',
  },
  {
    code: 'AADSTS7000215',
    source: 'entra',
    aliases: ['AADSTS70002'],
    title: 'Wrong client secret',
    microsoftText:
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{appId}'.",
    cause:
      'The Client Secret in the settings is not a valid secret of this app: most often the Secret ID (a GUID) was copied instead of the secret\'s Value, or the Value was cut short or belongs to another app.',
    fix: NEW_SECRET_FIX,
    guideStep: 'client-secret',
  },
  {
    code: 'AADSTS7000222',
    source: 'entra',
    title: 'Client secret expired',
    microsoftText:
      "The provided client secret keys for app '{appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
    cause: 'The client secret has passed the date chosen in its Expires dropdown.',
    fix: `${NEW_SECRET_FIX} Then delete the expired secret; o365-notify warns before the new one expires.`,
    guideStep: 'client-secret',
  },
  {
    code: 'AADSTS700027',
    source: 'entra',
    title: 'Certificate not accepted',
    microsoftText: 'Client assertion failed signature validation. [Reason - The key was not found.]',
    cause:
      'The certificate o365-notify signs in with is not (or no longer) on the app: it was never uploaded, was deleted from Certificates & secrets > Certificates, has expired ("The key used is expired"), or the stored private key belongs to another certificate.',
    fix: `Run \`o365-notify certificate create\` to make a new certificate and upload it, or upload the certificate file in ${APP} > Certificates & secrets > Certificates > Upload certificate. Check its Expires date there.`,
    guideStep: 'client-secret',
  },
  {
    code: 'AADSTS700024',
    source: 'entra',
    title: 'Certificate sign-in outside its time range',
    microsoftText: 'Client assertion is not within its valid time range.',
    cause: "The signed sign-in request (client assertion) is already expired or not yet valid when Entra ID reads it: this computer's clock is wrong.",
    fix: "Set this computer's clock right (synchronise it with an NTP server), then run `o365-notify test` again.",
    guideStep: 'client-secret',
  },

  // --- identifiers -----------------------------------------------------------------------------
  {
    code: 'AADSTS700016',
    source: 'entra',
    aliases: ['AADSTS700011'],
    title: 'Client ID not found in the tenant',
    microsoftText:
      "Application with identifier '{appId}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    cause:
      'No app with this Client ID exists where o365-notify signed in: the Client ID is mistyped or is the Object ID instead of the Application (client) ID, or the Tenant ID names another tenant, or a Single tenant app is used from another organization.',
    fix:
      `${APP} > Overview, copy the Application (client) ID into o365-notify's Client ID and the Directory (tenant) ID into its Tenant ID (\`o365-notify setup --client-id ... --tenant-id ...\`).`,
    guideStep: 'client-id',
  },
  {
    code: 'AADSTS7000112',
    source: 'entra',
    title: 'Application disabled',
    microsoftText: "Application '{appId}'({appName}) is disabled.",
    cause: 'The app\'s enterprise application (service principal) is disabled in the tenant, so nobody can sign in to it.',
    fix:
      'In the Microsoft Entra admin center open Enterprise applications > (your app) > Properties, set Enabled for users to sign-in? = Yes and Save.',
    guideStep: 'client-id',
  },
  {
    code: 'AADSTS90002',
    source: 'entra',
    title: 'Tenant not found',
    microsoftText:
      "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
    cause:
      'The Tenant ID in the settings does not name an existing Microsoft Entra tenant: it is mistyped, or it is a domain that is not verified in the tenant.',
    fix: TENANT_ID_FIX,
    guideStep: 'tenant-id',
  },
  {
    code: 'AADSTS50194',
    source: 'entra',
    title: 'Single-tenant app used without its Tenant ID',
    microsoftText:
      "Application '{appId}'({appName}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '{time}'. Use a tenant-specific endpoint or configure the application to be multi-tenant.",
    cause:
      'The app is registered as Single tenant (Accounts in this organizational directory only), but o365-notify signed in without a Tenant ID (through /common or /organizations).',
    fix:
      `${APP} > Overview, copy the Directory (tenant) ID and run \`o365-notify setup --account-type single-tenant --tenant-id ...\`. Or, if the app must serve several organizations, change ${ACCOUNT_TYPE_WHERE} to Multitenant.`,
    guideStep: 'account-type',
    accountTypeNotes: {
      'multi-tenant': 'The settings say Multitenant, but the registration is Single tenant.',
      'multi-tenant-personal': 'The settings say Multitenant and personal accounts, but the registration is Single tenant.',
    },
  },
  {
    code: 'AADSTS50059',
    source: 'entra',
    title: 'No tenant in the request',
    microsoftText: 'No tenant-identifying information found in either the request or implied by any provided credentials.',
    cause:
      'o365-notify signed in through /common or /organizations without a Tenant ID, in a flow that needs one (app-only sending always needs the Tenant ID).',
    fix: TENANT_ID_FIX,
    guideStep: 'tenant-id',
  },
  {
    code: 'AADSTS50128',
    source: 'entra',
    title: 'Tenant domain not valid',
    microsoftText: 'Invalid domain name - No tenant-identifying information found in either the request or implied by any provided credentials.',
    cause: 'The Tenant ID is a domain name Microsoft Entra ID does not know.',
    fix: TENANT_ID_FIX,
    guideStep: 'tenant-id',
  },
  {
    code: 'AADSTS9001023',
    source: 'entra',
    title: 'App-only sign-in needs the Tenant ID',
    microsoftText: 'The grant type isn\'t supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.',
    cause: 'App-only sending (client credentials) was tried without a Tenant ID: it must name the tenant whose mailbox sends.',
    fix: TENANT_ID_FIX,
    guideStep: 'tenant-id',
  },

  // --- account type ----------------------------------------------------------------------------
  {
    code: 'AADSTS9002331',
    source: 'entra',
    title: 'App registered for personal accounts only',
    microsoftText:
      "Application '{appId}'({appName}) is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve this request.",
    cause:
      'The app was registered with Supported account types = Personal Microsoft accounts only, which o365-notify does not support (the guide: "Personal Microsoft accounts only is NOT supported").',
    fix:
      `Register the app again (App registrations > New registration) with one of the supported account types: Single tenant, Multitenant, or Multitenant and personal Microsoft accounts, and enter its Client ID with \`o365-notify setup\`. (Changing ${ACCOUNT_TYPE_WHERE} also works when nothing in the app prevents it.)`,
    guideStep: 'account-type',
  },
  {
    code: 'AADSTS500200',
    source: 'entra',
    title: 'Personal account on an app for work or school accounts',
    microsoftText:
      "User account '{user}' is a personal Microsoft account. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization. Try signing out and signing back in with an organizational account.",
    cause:
      'A personal Microsoft account (Outlook.com, Hotmail, Live) signed in through /common, but the app registration accepts only work or school accounts (Supported account types = Single tenant or Multitenant).',
    fix:
      `Sign in with the work or school account that sends the notifications (\`o365-notify login\`). If a personal account must send, change ${ACCOUNT_TYPE_WHERE} to "Accounts in any organizational directory and personal Microsoft accounts" and keep \`o365-notify setup --account-type multi-tenant-personal\`.`,
    guideStep: 'account-type',
  },
  {
    code: 'AADSTS9002332',
    source: 'entra',
    title: 'Personal account used with a work-or-school-only app',
    microsoftText:
      "Application '{appId}'({appName}) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.",
    cause:
      'A personal Microsoft account (Outlook.com, Xbox, Skype) tried to sign in, but the app accepts only work or school accounts (Single tenant or Multitenant).',
    fix:
      `Sign in with a work or school account (\`o365-notify login\`); or, to allow personal accounts, set ${ACCOUNT_TYPE_WHERE} to Accounts in any organizational directory and personal Microsoft accounts, and choose \`--account-type multi-tenant-personal\` with an empty Tenant ID in \`o365-notify setup\`.`,
    guideStep: 'account-type',
  },
  {
    code: 'AADSTS50020',
    source: 'entra',
    title: 'Account not allowed by the app\'s account type',
    microsoftText:
      "User account '{email}' from identity provider '{idp}' does not exist in tenant '{tenant}' and cannot access the application '{appId}'({appName}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
    cause:
      'The account used to sign in belongs to another organization or is a personal Microsoft account, and the app\'s Supported account types (or the Tenant ID) admit only users of one tenant.',
    fix:
      `Sign in (\`o365-notify login\`) with an account of the tenant the app is registered in. If other organizations or personal accounts must sign in, change ${ACCOUNT_TYPE_WHERE} and the account type in \`o365-notify setup\` to match.`,
    guideStep: 'account-type',
    accountTypeNotes: {
      'single-tenant': 'The settings say Single tenant: only accounts of the Tenant ID\'s own directory can sign in.',
      'multi-tenant': 'The settings say Multitenant: personal Microsoft accounts cannot sign in.',
    },
  },
  {
    code: 'AADSTS500208',
    source: 'entra',
    title: 'Account type not accepted here',
    microsoftText: 'The domain is not a valid login domain for the account type.',
    cause: 'The kind of account used (work or school, or personal) is not the kind the tenant or the app accepts.',
    fix: `Sign in with the kind of account the app is registered for, or change ${ACCOUNT_TYPE_WHERE} and the account type in \`o365-notify setup\` to match.`,
    guideStep: 'account-type',
  },

  // --- consent ---------------------------------------------------------------------------------
  {
    code: 'AADSTS65001',
    source: 'entra',
    title: 'Consent missing',
    microsoftText:
      "The user or administrator has not consented to use the application with ID '{appId}' named '{appName}'. Send an interactive authorization request for this user and resource.",
    cause:
      'Nobody has consented to Mail.Send for this app in this tenant, and this sign-in could not ask (device code, a refresh, or app-only), or users of the tenant may not consent themselves.',
    fix: CONSENT_FIX,
    guideStep: 'admin-consent',
    adminConsent: true,
  },
  {
    code: 'AADSTS90094',
    source: 'entra',
    title: 'Administrator consent required',
    microsoftText: 'The grant requires admin permission.',
    cause:
      'The tenant does not let users consent to this app\'s permissions (its user consent settings, or the permission needs an administrator), so Mail.Send must be granted by an administrator.',
    fix: CONSENT_FIX,
    guideStep: 'admin-consent',
    adminConsent: true,
  },
  {
    code: 'AADSTS90095',
    source: 'entra',
    title: 'Administrator consent requested',
    microsoftText:
      'Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin.',
    cause: 'The tenant uses the admin consent workflow: the request for Mail.Send waits for an administrator.',
    fix:
      `${CONSENT_FIX} An administrator can also approve the pending request under Microsoft Entra admin center > Enterprise applications > Admin consent requests.`,
    guideStep: 'admin-consent',
    adminConsent: true,
  },
  {
    code: 'AADSTS65004',
    source: 'entra',
    title: 'Consent declined',
    microsoftText: 'User declined to consent to access the app.',
    cause: 'The person signing in clicked Cancel on the "Permissions requested" page instead of Accept.',
    fix:
      'Run `o365-notify login` again and click Accept; or an administrator consents for the organization: in the Azure portal App registrations > (your app) > API permissions > Grant admin consent for (your tenant) > Yes, or at {adminConsentUrl} > Accept.',
    guideStep: 'admin-consent',
    adminConsent: true,
  },

  // --- sign-in lost ------------------------------------------------------------------------------
  {
    code: 'AADSTS700082',
    source: 'entra',
    title: 'Sign-in expired after 90 quiet days',
    microsoftText:
      'The refresh token has expired due to inactivity. The token was issued on {issueDate} and was inactive for {time}.',
    cause:
      'The sign-in was not used for 90 days, so Microsoft expired the refresh token. o365-notify refreshes it on a schedule to prevent this; the service was probably stopped for a long time.',
    fix: `${LOGIN} Keep \`o365-notify serve\` running so the scheduled refresh keeps the sign-in alive.`,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50173',
    source: 'entra',
    title: 'Sign-in revoked',
    microsoftText:
      "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{date}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{date}'.",
    cause: 'The signed-in account\'s tokens were revoked: its password was changed or reset, or an administrator revoked its sessions.',
    fix: `${LOGIN} Use the current password.`,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS70008',
    source: 'entra',
    title: 'Authorization code or refresh token expired',
    microsoftText:
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    cause: 'The authorization code or the refresh token o365-notify presented is too old.',
    fix: LOGIN,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS70000',
    source: 'entra',
    title: 'Sign-in grant not valid',
    microsoftText: "The provided value for the 'code' parameter is not valid.",
    cause:
      'The authorization code or refresh token o365-notify presented is not valid any more (already used, revoked, or issued for another app or other permissions).',
    fix: LOGIN,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS700003',
    source: 'entra',
    title: 'Device of the sign-in removed',
    microsoftText: "Device object was not found in the tenant '{tenant}' directory.",
    cause: 'The sign-in was bound to a device that has been deleted or disabled in Microsoft Entra ID, so its refresh token no longer works.',
    fix: LOGIN,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS54005',
    source: 'entra',
    title: 'Authorization code used twice',
    microsoftText:
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    cause: 'The code from the browser sign-in was redeemed twice (the sign-in page was reloaded, or the request was repeated).',
    fix: `${LOGIN} If it happens again, report it: o365-notify should redeem each code once.`,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS70020',
    source: 'entra',
    aliases: ['AADSTS70019'],
    title: 'Device code expired',
    microsoftText: "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
    cause: 'The code printed by `o365-notify login --device-code` was not entered at the sign-in page before it expired (about 15 minutes).',
    fix: 'Run `o365-notify login --device-code` again and enter the new code at the page it shows, promptly.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50126',
    source: 'entra',
    title: 'Wrong user name or password',
    microsoftText: 'Error validating credentials due to invalid username or password.',
    cause: 'The user name or password typed at the Microsoft sign-in page was wrong.',
    fix: 'Run `o365-notify login` and sign in with the correct user name and password of the account that sends the notifications.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50034',
    source: 'entra',
    title: 'Account not found in the tenant',
    microsoftText:
      'The user account {email} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.',
    cause: 'The user name is mistyped, or the account is not in the tenant o365-notify signs in to (the Tenant ID).',
    fix:
      `Run \`o365-notify login\` with an account of the tenant (check the spelling). If the account is right, check the Tenant ID against App registrations > (your app) > Overview > Directory (tenant) ID.`,
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50055',
    source: 'entra',
    title: 'Password expired',
    microsoftText: 'The password is expired.',
    cause: 'The password of the account that sends the notifications has expired.',
    fix: 'Change the account\'s password (at https://myaccount.microsoft.com or by an administrator), then run `o365-notify login`.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50057',
    source: 'entra',
    title: 'Account disabled',
    microsoftText: 'The user account is disabled.',
    cause: 'The account used to sign in is disabled in Microsoft Entra ID.',
    fix: 'An administrator enables it (Microsoft Entra admin center > Users > (user) > Account enabled), or sign in with another account: `o365-notify login`.',
    guideStep: 'sign-in-again',
  },
  {
    code: 'AADSTS50053',
    source: 'entra',
    title: 'Account locked',
    microsoftText:
      'The account is locked because the user tried to sign in too many times with an incorrect user ID or password.',
    cause: 'Too many sign-ins with a wrong password (or from a suspicious address) locked the account for a while.',
    fix: 'Wait until the lock ends or ask an administrator to unlock the account, then run `o365-notify login` with the right password.',
    guideStep: 'sign-in-again',
  },

  // --- conditional access / MFA --------------------------------------------------------------
  {
    code: 'AADSTS50076',
    source: 'entra',
    title: 'Multifactor authentication required',
    microsoftText:
      "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
    cause:
      'A Conditional Access policy, per-user MFA or security defaults require multifactor authentication, which a silent refresh cannot satisfy.',
    fix:
      'Run `o365-notify login` (browser sign-in) and complete the multifactor prompt. For an unattended service an administrator can exclude this app or the sending account from the policy (Microsoft Entra admin center > Protection > Conditional Access), or use app-only sending (`--auth app-only`).',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS50079',
    source: 'entra',
    title: 'Multifactor registration required',
    microsoftText:
      "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{resource}'.",
    cause: 'The sending account must register multifactor authentication (security info) before it can sign in.',
    fix: 'Sign in once at https://aka.ms/mysecurityinfo with the sending account and add an authentication method, then run `o365-notify login`.',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS53003',
    source: 'entra',
    title: 'Blocked by Conditional Access',
    microsoftText:
      'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
    cause:
      'A Conditional Access policy of the tenant blocks this sign-in (for example device code flow is blocked, or the location or device is not trusted).',
    fix:
      'An administrator opens Microsoft Entra admin center > Monitoring & health > Sign-in logs, finds this sign-in, checks its Conditional Access tab and adjusts or excludes the policy. Or sign in another way: browser instead of device code (`o365-notify login`), or app-only sending.',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS530035',
    source: 'entra',
    title: 'Blocked by security defaults',
    microsoftText:
      'Access has been blocked by security defaults. This is due to the request using legacy auth or being deemed unsafe by security defaults policies.',
    cause: 'The tenant\'s security defaults judged this sign-in unsafe.',
    fix:
      'Run `o365-notify login` (browser sign-in) and complete the multifactor prompt; an administrator can review the sign-in under Microsoft Entra admin center > Monitoring & health > Sign-in logs.',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS530003',
    source: 'entra',
    title: 'Device must be managed (Conditional Access)',
    microsoftText: 'Your device is required to be managed to access this resource.',
    cause: 'A Conditional Access policy requires a compliant or Microsoft Entra joined device, and the computer running o365-notify is not one.',
    fix:
      'An administrator excludes this app or the sending account from the device condition (Microsoft Entra admin center > Protection > Conditional Access > (policy) > Grant), or enrolls this computer in Intune; or use app-only sending (`--auth app-only`), which device policies do not apply to. Then run `o365-notify login`.',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS530033',
    source: 'entra',
    title: 'Device code sign-in blocked (Conditional Access)',
    microsoftText: 'Access has been blocked by Conditional Access policies: the device code flow is blocked for this user or application.',
    cause: 'A Conditional Access policy blocks the device code flow (Authentication flows condition) for this account or app.',
    fix:
      'Sign in with the browser instead: `o365-notify login` (no --device-code). Or an administrator excludes this app from the policy (Microsoft Entra admin center > Protection > Conditional Access > (policy) > Conditions > Authentication flows).',
    guideStep: 'conditional-access',
  },
  {
    code: 'AADSTS70043',
    source: 'entra',
    title: 'Sign-in frequency limit reached',
    microsoftText:
      'The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {issueDate} and the maximum allowed lifetime for this request is {time}.',
    cause: 'A Conditional Access sign-in frequency control limits how long a sign-in lasts; a scheduled refresh cannot extend it.',
    fix:
      'Run `o365-notify login` again. To stop it recurring, an administrator excludes this app or the sending account from the sign-in frequency session control (Microsoft Entra admin center > Protection > Conditional Access > (policy) > Session), or use app-only sending.',
    guideStep: 'conditional-access',
  },

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
