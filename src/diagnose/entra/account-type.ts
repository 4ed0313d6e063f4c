import type { CatalogEntry } from '../catalog-types.js';
import { ACCOUNT_TYPE_WHERE } from './wording.js';

// Supported account types (who may sign in to the app registration).
// Texts after Microsoft's "Microsoft Entra authentication and authorization error codes" page
// (learn.microsoft.com/entra/identity-platform/reference-error-codes) and the error_description
// values Entra ID sends; placeholders in braces.

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

export const accountTypeEntries: readonly CatalogEntry[] = [
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

];
