import type { CatalogEntry } from '../catalog-types.js';
import { ACCOUNT_TYPE_WHERE, APP, NEW_SECRET_FIX, REDIRECT_FIX, TENANT_ID_FIX } from './wording.js';

// App registration settings: redirect URIs, client secret and public client flows, Client and Tenant IDs.
// Texts after Microsoft's "Microsoft Entra authentication and authorization error codes" page
// (learn.microsoft.com/entra/identity-platform/reference-error-codes) and the error_description
// values Entra ID sends; placeholders in braces.

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

export const appRegistrationEntries: readonly CatalogEntry[] = [
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
    fix: `Run \`o365-notify certificate create\` to make a new certificate and upload it, or upload the certificate file in ${APP} > Certificates & secrets > Certificates > Upload certificate (\`certificate create --no-upload\` leaves it in the home folder as certificate-<thumbprint>.cer). Check its Expires date there.`,
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

];
