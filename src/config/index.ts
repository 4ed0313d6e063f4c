export { applyEnvOverrides, ENVIRONMENT_VARIABLES, type EnvironmentVariable, type EnvOverrides } from './env.js';
export {
  APP_ONLY_SCOPES,
  authorityFor,
  authorityHost,
  DELEGATED_SCOPES,
  graphBaseUrl,
  MAIL_SEND_SCOPE,
  MICROSOFT_GRAPH_HOST,
  MICROSOFT_LOGIN_HOST,
  redirectUri,
  scopesFor,
  usesEmulator,
} from './endpoints.js';
export {
  loadSettings,
  readSettings,
  readSettingsFile,
  saveSettings,
  SETTINGS_FILE_NAME,
  settingsPath,
  type SettingSources,
  type SettingsReadResult,
} from './file.js';
export type { GuideStep } from './guide-step.js';
export { APP_DIR_NAME, homeDirModeProblem, resolveHome } from './home.js';
export { CONSUMER_TENANT_ID, DATE_FORMS, isDomainName, isEmailAddress, isGuid, isLoopbackHost, isNetworkRange, parseCalendarDate } from './identifiers.js';
export { FROM_POLICIES, SMTP_DEFAULTS, smtpOptions, type FromPolicy, type SmtpOptions, type SmtpSettings } from './smtp.js';
export { errorsIn, SettingsError, SettingsFileError, type Problem, type Severity } from './problems.js';
export {
  checkSettings,
  EXCHANGE_MESSAGES_PER_MINUTE,
  PERSONAL_ACCOUNTS_REFUSAL,
  type CheckContext,
} from './rules.js';
export { calendarDaysUntil, DAY_MS, EXPIRY_WARNING_DAYS, rotateDays } from './expiry.js';
export { parseFieldValue } from './values.js';
export { storeLocation } from './store.js';
export {
  ACCOUNT_TYPE_LABELS,
  ACCOUNT_TYPES,
  AUTH_MODES,
  defaultSettings,
  REFUSED_ACCOUNT_TYPE,
  SETTING_FIELDS,
  setField,
  type AccountSettings,
  type AccountType,
  type AccountTypeSetting,
  type AuthMode,
  type EndpointSettings,
  type FieldSpec,
  type MailSettings,
  type ServiceSettings,
  type Settings,
} from './settings.js';
