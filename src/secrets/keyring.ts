import { existsSync } from 'node:fs';
import path from 'node:path';

/** The OS keyring, holding one master key per home directory. */
export interface Keyring {
  /** For messages: "the Windows Credential Manager". */
  readonly name: string;
  get(account: string): Promise<string | undefined>;
  set(account: string, value: string): Promise<void>;
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

const SERVICE = 'o365-notify';
// Unlocking a keyring can prompt on a desktop; never hang a command or the service on it.
const KEYRING_TIMEOUT_MS = 10_000;

type Binding = typeof import('@napi-rs/keyring');
let binding: Promise<Binding> | undefined;

/** Loaded on first use: a platform without a prebuilt binary then falls back to the key file. */
function loadBinding(): Promise<Binding> {
  binding ??= import('@napi-rs/keyring');
  return binding;
}

function hasDbusSession(env: NodeJS.ProcessEnv): boolean {
  if (env.DBUS_SESSION_BUS_ADDRESS) return true;
  // systemd user sessions expose the bus here without setting the variable.
  return env.XDG_RUNTIME_DIR !== undefined && existsSync(path.join(env.XDG_RUNTIME_DIR, 'bus'));
}

function storeName(platform: NodeJS.Platform): string {
  if (platform === 'win32') return 'the Windows Credential Manager';
  if (platform === 'darwin') return 'the macOS Keychain';
  return 'the Secret Service keyring (GNOME Keyring, KWallet)';
}

/**
 * The platform's credential store through @napi-rs/keyring (the Rust `keyring` crate): Windows
 * Credential Manager, macOS Keychain, the Secret Service over D-Bus on Linux. The key never
 * passes through a command line or a child process. The binding talks to the D-Bus session of
 * this process's own environment.
 */
function nativeKeyring(platform: NodeJS.Platform): Keyring {
  const name = storeName(platform);
  const fail = (verb: string, err: unknown) => new KeyringError(`${name} could not ${verb} the master key: ${(err as Error).message}`);
  return {
    name,
    async get(account) {
      try {
        const { AsyncEntry } = await loadBinding();
        return (await new AsyncEntry(SERVICE, account).getPassword(AbortSignal.timeout(KEYRING_TIMEOUT_MS))) ?? undefined;
      } catch (err) {
        throw fail('read', err);
      }
    },
    async set(account, value) {
      try {
        const { AsyncEntry } = await loadBinding();
        await new AsyncEntry(SERVICE, account).setPassword(value, AbortSignal.timeout(KEYRING_TIMEOUT_MS));
      } catch (err) {
        throw fail('store', err);
      }
    },
  };
}

const DISABLED = new Set(['0', 'off', 'false', 'no']);

/**
 * The OS keyring when one can be reached from this process, else undefined. Linux needs a D-Bus
 * session (a service started by systemd has none, and without one the Secret Service answers
 * "no such entry" for everything). O365_NOTIFY_KEYRING=off disables it (the service's unit and
 * Windows service set it: they keep the key in the home's key file).
 */
export function systemKeyring(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Keyring | undefined {
  if (DISABLED.has((env.O365_NOTIFY_KEYRING ?? '').trim().toLowerCase())) return undefined;
  if (platform !== 'win32' && platform !== 'darwin' && !hasDbusSession(env)) return undefined;
  return nativeKeyring(platform);
}
