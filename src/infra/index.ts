/**
 * Infrastructure every layer may use: the structured, redacting logger; atomic private file
 * writes; the cross-process file lock.
 */
export { ensureHomeDir, ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, readFileIfExists, renameReplacing, writeFileAtomic } from './atomic-write.js';
export { LockTimeoutError, withFileLock, type LockOptions } from './lock.js';
export { createLogger, type LoggerOptions } from './logger.js';
export { fdLogDestination, ignoreBrokenPipes } from './log-destination.js';
export { noopLogger, type NotifyLogger } from './noop-logger.js';
export {
  REDACT_PATHS,
  REDACTED,
  isSensitiveKey,
  redact,
  registerSecretForRedaction,
  registerTokenCacheForRedaction,
  scrubText,
} from './redact.js';
