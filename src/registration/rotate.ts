import { createHttpsTransport } from '../graph/index.js';
import { signInAdministrator, type AdministratorGraph } from './admin-sign-in.js';
import { rollCredential, type CredentialKind, type RollResult, type RollSteps } from './credential-roll.js';
import type { GraphApplication } from './desired.js';
import { DirectoryClient } from './directory-client.js';

/** The display name of the secrets o365-notify adds; rotation removes only these. */
export const SECRET_DISPLAY_NAME = 'o365-notify';

/** Client secrets (Certificates & secrets > Client secrets): addPassword and removePassword. */
export function secretKind(directory: DirectoryClient, lifetimeMs: number | ((app: GraphApplication) => number), now: () => number = Date.now): CredentialKind<string> {
  return {
    noun: 'client secret',
    short: 'secret',
    async add(app) {
      // A function: the lifetime follows the secret it replaces, as the app lists it.
      const lifetime = typeof lifetimeMs === 'function' ? lifetimeMs(app) : lifetimeMs;
      const added = await directory.addPassword(app.id, SECRET_DISPLAY_NAME, new Date(now() + lifetime).toISOString());
      return { keyId: added.keyId, endDateTime: added.endDateTime, value: added.secretText };
    },
    remove: (app, keyId) => directory.removePassword(app.id, keyId),
    previous: (app) => (app.passwordCredentials ?? []).filter((c) => c.displayName === SECRET_DISPLAY_NAME),
  };
}

export type RotationSteps = Omit<RollSteps<string>, 'readBy' | 'retry'> & { lifetimeMs: number };

export interface RotateOptions extends RotationSteps, AdministratorGraph {}

export type RotateResult = RollResult;

/** `secret rotate`: an administrator signs in, then the roll of the client secret. */
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
    const directory = new DirectoryClient(options.graphBase, admin.accessToken, transport);
    return await rollCredential(directory, secretKind(directory, options.lifetimeMs, options.now), { ...options, readBy: 'secret rotate', retry: 'o365-notify secret rotate' });
  } finally {
    transport.close();
  }
}
