import type { CatalogEntry } from './catalog-types.js';
import { accountTypeEntries } from './entra/account-type.js';
import { appRegistrationEntries } from './entra/app-registration.js';
import { consentEntries } from './entra/consent.js';
import { serviceEntries } from './entra/service.js';
import { signInEntries } from './entra/sign-in.js';

// The Entra ID (AADSTS) part of the catalog, one file per area in entra/: a new code goes into the
// file of the guide step its fix belongs to.

export { USER_AUDIENCE_CONSUMER, USER_AUDIENCE_TEXT } from './entra/account-type.js';
export { APP_ONLY_ON_PUBLIC_CLIENT, WEB_PLATFORM_CODE_REDEMPTION } from './entra/app-registration.js';
export { TOKEN_ENDPOINT_THROTTLED } from './entra/service.js';

export const entraEntries: readonly CatalogEntry[] = [
  ...appRegistrationEntries,
  ...accountTypeEntries,
  ...consentEntries,
  ...signInEntries,
  ...serviceEntries,
];
