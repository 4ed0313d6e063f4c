import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Problem } from './problems.js';

export const APP_DIR_NAME = 'o365-notify';

/**
 * The home directory: `--home`, else O365_NOTIFY_HOME, else the per-user data directory
 * ($XDG_CONFIG_HOME/o365-notify or ~/.config/o365-notify on Linux, %APPDATA%\o365-notify on
 * Windows, ~/Library/Application Support/o365-notify on macOS). Always absolute.
 */
export function resolveHome(
  home?: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const explicit = home?.trim() || env.O365_NOTIFY_HOME?.trim();
  if (explicit) return path.resolve(explicit);
  const userHome = env.HOME?.trim() || os.homedir();
  if (platform === 'win32') {
    const appData = env.APPDATA?.trim() || path.win32.join(env.USERPROFILE?.trim() || userHome, 'AppData', 'Roaming');
    return path.win32.join(appData, APP_DIR_NAME);
  }
  if (platform === 'darwin') return path.join(userHome, 'Library', 'Application Support', APP_DIR_NAME);
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const configHome = xdg && path.isAbsolute(xdg) ? xdg : path.join(userHome, '.config');
  return path.join(configHome, APP_DIR_NAME);
}

/**
 * The one check of the home directory's mode: it holds the encrypted secrets, the token cache and
 * the store, so other users have no business listing it. An existing directory is never changed
 * (it may be shared on purpose, e.g. a --home chosen by hand); the problem says how to fix it.
 * Undefined when it is owner-only, missing, or on Windows (ACLs, not modes).
 */
export async function homeDirModeProblem(home: string, platform: NodeJS.Platform = process.platform): Promise<Problem | undefined> {
  if (platform === 'win32') return undefined;
  const mode = await stat(home).then((s) => s.mode & 0o777, () => undefined);
  if (mode === undefined || (mode & 0o077) === 0) return undefined;
  return {
    field: 'home',
    severity: 'warning',
    message: `The home directory ${home} has mode ${mode.toString(8).padStart(4, '0')}: other users can open it. Run \`chmod 700 ${home}\` (o365-notify creates it owner-only; an existing directory is not changed).`,
    guideStep: null,
  };
}
