import type { CatalogEntry } from '../catalog-types.js';
import { CONSENT_FIX } from './wording.js';

// Consent to the Mail.Send permission (user and admin consent).
// Texts after Microsoft's "Microsoft Entra authentication and authorization error codes" page
// (learn.microsoft.com/entra/identity-platform/reference-error-codes) and the error_description
// values Entra ID sends; placeholders in braces.

export const consentEntries: readonly CatalogEntry[] = [
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

];
