export { ENVELOPE_FORMAT, ENVELOPE_VERSION, open as openEnvelope, seal as sealEnvelope, SecretDecryptError, type Envelope, type KeySource, type MasterKey, type SecretPurpose } from './envelope.js';
export { KeyringError, systemKeyring, type Keyring } from './keyring.js';
export { KEY_ENVIRONMENT_VARIABLES, KEY_FILE_NAME, KEYS_DIR_NAME, MasterKeyError } from './master-key.js';
export { openSecretStore, SECRET_FILES, SECRETS_DIR_NAME, type ClientCertificate, type SecretStore, type SecretStoreOptions } from './store.js';
export { checkPassphrase, keyFromPassphrase, newPassphraseKdf, PassphraseError, type PassphraseKdf } from './passphrase.js';
