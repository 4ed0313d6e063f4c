/**
 * The environment variables that choose the master key. Apart from master-key.ts, and a light entry
 * of the module (eslint-rules/layers.js), so that config's table of variables does not load the
 * secrets' cryptography with it (issue 14: `explain` within 3x `node -e 0`).
 */
/** The variables that choose the master key, for the README's table. */
export const KEY_ENVIRONMENT_VARIABLES = [
  {
    name: 'O365_NOTIFY_KEY',
    setting: null,
    description:
      'Master key for the encrypted client secret and token cache: 32 random bytes in base64 (`openssl rand -base64 32`); used instead of the OS keyring and the key file',
  },
  {
    name: 'O365_NOTIFY_KEY_FILE',
    setting: null,
    description: 'Path of the key file used when no keyring is available (default <home>/keys/master.key)',
  },
  {
    name: 'O365_NOTIFY_KEYRING',
    setting: null,
    description: '`off` to never use the OS keyring (the Secret Service on Linux, the Keychain on macOS, the Credential Manager on Windows)',
  },
] as const;
