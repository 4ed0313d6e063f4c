export { ensureHomeDir, ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from './atomic-write.js';
export { ENVELOPE_FORMAT, ENVELOPE_VERSION, SecretDecryptError, type Envelope, type KeySource, type MasterKey, type SecretPurpose } from './envelope.js';
export { KeyringError, systemKeyring, type Keyring } from './keyring.js';
export { LockTimeoutError, withFileLock, type LockOptions } from './lock.js';
export { createLogger, type LoggerOptions } from './logger.js';
export { KEY_ENVIRONMENT_VARIABLES, KEY_FILE_NAME, KEYS_DIR_NAME, MasterKeyError } from './master-key.js';
export {
  REDACT_PATHS,
  REDACTED,
  isSensitiveKey,
  redact,
  registerSecretForRedaction,
  registerTokenCacheForRedaction,
  scrubText,
} from './redact.js';
export { openSecretStore, SECRET_FILES, SECRETS_DIR_NAME, type SecretStore, type SecretStoreOptions } from './store.js';
