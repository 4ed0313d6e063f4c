import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

/** The OS keyring, holding one master key per home directory. */
export interface Keyring {
  /** For messages: "the OS keyring (secret-tool)". */
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

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: KEYRING_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined); // the tool may exit before reading stdin
    child.stdin.end(input ?? '');
  });
}

function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function hasDbusSession(env: NodeJS.ProcessEnv): boolean {
  if (env.DBUS_SESSION_BUS_ADDRESS) return true;
  // systemd user sessions expose the bus here without setting the variable.
  return env.XDG_RUNTIME_DIR !== undefined && existsSync(path.join(env.XDG_RUNTIME_DIR, 'bus'));
}

/** libsecret's command-line tool (GNOME Keyring, KWallet's Secret Service). */
function secretToolKeyring(executable: string, env: NodeJS.ProcessEnv): Keyring {
  return {
    name: 'the OS keyring (secret-tool)',
    async get(account) {
      const result = await run(executable, ['lookup', 'service', SERVICE, 'account', account], env);
      if (result.code === 0) return result.stdout.trim() || undefined;
      // secret-tool exits 1 silently when there is no such entry.
      if (result.code === 1 && result.stderr.trim() === '') return undefined;
      throw new KeyringError(`secret-tool lookup failed: ${result.stderr.trim() || `exit code ${String(result.code)}`}`);
    },
    async set(account, value) {
      const label = `o365-notify master key (${account})`;
      const result = await run(executable, ['store', '--label', label, 'service', SERVICE, 'account', account], env, value);
      if (result.code !== 0) {
        throw new KeyringError(`secret-tool store failed: ${result.stderr.trim() || `exit code ${String(result.code)}`}`);
      }
    },
  };
}

function quoteForSecurity(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** macOS Keychain through `security`; the key goes through stdin (`security -i`), never argv. */
function macKeychain(env: NodeJS.ProcessEnv): Keyring {
  return {
    name: 'the macOS Keychain',
    async get(account) {
      const result = await run('security', ['find-generic-password', '-s', SERVICE, '-a', account, '-w'], env);
      if (result.code === 0) return result.stdout.trim() || undefined;
      if (result.code === 44) return undefined; // errSecItemNotFound
      throw new KeyringError(`security find-generic-password failed: ${result.stderr.trim()}`);
    },
    async set(account, value) {
      const command = `add-generic-password -U -s ${SERVICE} -a ${quoteForSecurity(account)} -w ${quoteForSecurity(value)}\n`;
      const result = await run('security', ['-i'], env, command);
      if (result.code !== 0 || /error/i.test(result.stderr)) {
        throw new KeyringError(`security add-generic-password failed: ${result.stderr.trim()}`);
      }
    },
  };
}

const DISABLED = new Set(['0', 'off', 'false', 'no']);

/**
 * The OS keyring when one is present and usable from this process, else undefined. Linux needs
 * secret-tool and a D-Bus session (a service started by systemd without one has none); Windows
 * has no keyring backend here. O365_NOTIFY_KEYRING=off disables it.
 */
export function systemKeyring(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Keyring | undefined {
  if (DISABLED.has((env.O365_NOTIFY_KEYRING ?? '').trim().toLowerCase())) return undefined;
  if (platform === 'darwin') return macKeychain(env);
  if (platform === 'win32') return undefined;
  const executable = findExecutable('secret-tool', env);
  if (!executable || !hasDbusSession(env)) return undefined;
  return secretToolKeyring(executable, env);
}
