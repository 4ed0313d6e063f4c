import type { GuideStep } from './guide-steps.js';

/** Where a code comes from: an AADSTS number, an OAuth `error` value, a Graph `error.code`, an HTTP status, or the network (Node's TLS and errno codes). */
export type ErrorSource = 'entra' | 'oauth' | 'graph' | 'http' | 'network';

/** The account types as settings and flags name them (src/config uses the same names). */
export type AccountTypeName = 'single-tenant' | 'multi-tenant' | 'multi-tenant-personal' | 'personal';

/** Placeholder in `fix` replaced by the tenant's admin-consent URL. */
export const ADMIN_CONSENT_URL_PLACEHOLDER = '{adminConsentUrl}';

export interface CatalogEntry {
  /** `AADSTS7000218`, `authorization_declined`, `ErrorAccessDenied`, `HTTP429`. */
  code: string;
  source: ErrorSource;
  /** Other spellings of the same error (msal-node's names, older Entra names, Graph variants). */
  aliases?: readonly string[];
  /** What happened, in a few words. */
  title: string;
  /** Microsoft's documented text for the code (placeholders in braces), for reference and docs. */
  microsoftText: string;
  /** Why it happens with o365-notify, in terms of the guide's settings. */
  cause: string;
  /** What to do, in the Azure portal's words; may contain {adminConsentUrl}. */
  fix: string;
  guideStep: GuideStep;
  /** Consent errors: the diagnosis carries the tenant's admin-consent URL. */
  adminConsent?: boolean;
  /** Extra sentence for the cause when the settings' account type is known. */
  accountTypeNotes?: Partial<Record<AccountTypeName, string>>;
}
