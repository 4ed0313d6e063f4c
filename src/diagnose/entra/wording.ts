// Portal paths and fixes that several Entra catalog entries share, so one wording change reaches all.

export const APP = 'In the Azure portal open App registrations > (your app)';
export const REDIRECT_FIX =
  `${APP} > Authentication > Add a platform > Mobile and desktop applications, enter http://localhost (or http://localhost:PORT when o365-notify uses a fixed port) under Custom redirect URIs, then click Configure.`;
export const NEW_SECRET_FIX =
  `${APP} > Certificates & secrets > Client secrets > New client secret, enter a description, choose Expires and click Add; copy the Value column at once (not the Secret ID; the Value is shown only once) and enter it with \`o365-notify setup --client-secret-stdin --secret-expires YYYY-MM-DD\`.`;
export const TENANT_ID_FIX =
  `${APP} > Overview, copy the Directory (tenant) ID and enter it as the Tenant ID with \`o365-notify setup --tenant-id ...\` (a verified domain such as contoso.onmicrosoft.com works too).`;
export const CONSENT_FIX =
  'An administrator of the tenant grants consent for the organization: in the Azure portal App registrations > (your app) > API permissions > Grant admin consent for (your tenant) > Yes, or at {adminConsentUrl} > Accept. Then run `o365-notify login` again.';
export const LOGIN = 'Run `o365-notify login` and sign in again with the account that sends the notifications.';
export const ACCOUNT_TYPE_WHERE = 'Supported account types (App registrations > (your app) > Authentication)';
