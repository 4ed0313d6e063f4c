/**
 * Diagnosis of Entra ID (AADSTS) and Microsoft Graph errors: one catalog, used by every command,
 * the service, the logs and the page.
 */
export { GUIDE_STEPS, GUIDE_STEP_INFO, isGuideStep, type GuideStep, type GuideStepInfo } from './guide-steps.js';
export {
  ADMIN_CONSENT_URL_PLACEHOLDER,
  catalog,
  findAadsts,
  findGraphCode,
  findHttpStatus,
  findNetworkCode,
  findOAuthError,
  type AccountTypeName,
  type CatalogEntry,
  type ErrorSource,
} from './catalog.js';
export { APP_ONLY_ON_PUBLIC_CLIENT, TOKEN_ENDPOINT_THROTTLED, WEB_PLATFORM_CODE_REDEMPTION } from './catalog-entra.js';
export { parseRawError, parseRawInput, parseRetryAfter, type RawError } from './parse.js';
export {
  adminConsentUrl,
  DEFAULT_AUTHORITY_HOST,
  diagnose,
  diagnoseRaw,
  type DiagnoseContext,
  type Diagnosis,
  type ShownDiagnosis,
  type StoredDiagnosis,
} from './diagnose.js';
export { formatDiagnosis } from './format.js';
export { renderTroubleshootingMarkdown } from './troubleshooting.js';
