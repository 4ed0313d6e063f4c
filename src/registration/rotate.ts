import { createHttpsTransport } from '../graph/index.js';
import { signInAdministrator, type AdministratorGraph } from './admin-sign-in.js';
import { DirectoryClient, RegistrationError } from './directory-client.js';
import { PROPAGATION_WAIT_MS, waitForTokenService } from './propagation.js';
import { readRegistration, type RegistrationRecord } from './record.js';

/** The display name of the secrets o365-notify adds; rotation removes only these. */
export const SECRET_DISPLAY_NAME = 'o365-notify';

/** What a rotation needs besides Graph access: the secret store's side, and the wait. */
export interface RotationSteps {
  appId: string;
  lifetimeMs: number;
  /** Makes `value` the secret in use and asks for a token: undefined when it got one, else Entra's error code. */
  tryNewSecret(value: string): Promise<string | undefined>;
  /** Puts the previous secret back (after the new one never worked). */
  restoreOldSecret(): Promise<void>;
  /** How long a new secret may take to reach the token service (Entra replicates it). */
  propagationMs?: number;
  readBy: string;
  now?: () => number;
  onProgress(line: string): void;
}

export interface RotateOptions extends Omit<RotationSteps, 'readBy'>, AdministratorGraph {}

export interface RotateResult {
  endDateTime: string;
  removed: number;
  /** The registration after the rotation, for doctor and the page. */
  record?: RegistrationRecord;
}

/** `secret rotate`: an administrator signs in, then the rotation. */
export async function rotateSecret(options: RotateOptions): Promise<RotateResult> {
  const admin = await signInAdministrator({
    loginHost: options.loginHost,
    tenant: options.tenant,
    clientId: options.bootstrapClientId,
    scopes: ['Application.ReadWrite.All'],
    ca: options.ca,
    emulator: options.emulator,
    onCode: options.onCode,
  });
  const transport = createHttpsTransport({ ca: options.ca });
  try {
    return await rotateOnDirectory(new DirectoryClient(options.graphBase, admin.accessToken, transport), { ...options, readBy: 'secret rotate' });
  } finally {
    transport.close();
  }
}

/**
 * Secret rotation without a gap: add a new client secret, switch to it only once it gets a token,
 * then remove the previous secrets o365-notify added (others are left alone). When the new secret never works, it is removed again and the old one stays in use.
 */
export async function rotateOnDirectory(directory: DirectoryClient, options: RotationSteps): Promise<RotateResult> {
  const now = options.now ?? Date.now;
  const app = await directory.applicationByAppId(options.appId);
  if (!app) throw new RegistrationError(`No app registration with the Application (client) ID ${options.appId} in this tenant: check account.clientId.`);
  const added = await directory.addPassword(app.id, SECRET_DISPLAY_NAME, new Date(now() + options.lifetimeMs).toISOString());
  options.onProgress(`Added a new client secret, valid until ${added.endDateTime.slice(0, 10)}.`);
  const outcome = await waitForTokenService({
    check: () => options.tryNewSecret(added.secretText),
    waitMs: options.propagationMs ?? PROPAGATION_WAIT_MS,
    what: 'the new client secret',
    now,
    onProgress: options.onProgress,
  });
  if (outcome.code !== undefined) {
    await options.restoreOldSecret();
    await directory.removePassword(app.id, added.keyId);
    const why = outcome.gaveUp ? `still ${outcome.code} after ${Math.round(outcome.waitedMs / 1000)} s` : outcome.code;
    throw new RegistrationError(
      `The new client secret did not get a token (${why}), so it was removed again and the previous secret stays in use. Run \`o365-notify secret rotate\` again later.`,
    );
  }
  const old = (app.passwordCredentials ?? []).filter((c) => c.displayName === SECRET_DISPLAY_NAME && c.keyId !== added.keyId);
  for (const c of old) await directory.removePassword(app.id, c.keyId);
  options.onProgress(old.length > 0 ? `Removed ${old.length} previous o365-notify secret(s) from the app.` : 'No previous o365-notify secret to remove.');
  const record = await readRegistration(directory, app.appId, options.readBy, { withConsent: false, now: now() });
  return { endDateTime: added.endDateTime, removed: old.length, record };
}
