import { createHttpsTransport } from '../graph/index.js';
import { signInAdministrator, type AdministratorGraph } from './admin-sign-in.js';
import { DirectoryClient, RegistrationError } from './directory-client.js';
import { readRegistration, type RegistrationRecord } from './record.js';

/** Reading needs no write permission: the least-privileged scopes of the Graph permissions reference. */
export const READ_SCOPES = ['Application.Read.All', 'DelegatedPermissionGrant.Read.All'];

/**
 * `doctor --read-registration`: an account that may read app registrations signs in once (device
 * code, the bootstrap client) and the app and its admin consent are read, nothing changed.
 */
export async function readRegistrationAsAdmin(
  options: AdministratorGraph & { appId: string; readBy: string; now?: () => number },
): Promise<RegistrationRecord> {
  const admin = await signInAdministrator({ ...options, clientId: options.bootstrapClientId, scopes: READ_SCOPES });
  const transport = createHttpsTransport({ ca: options.ca });
  try {
    const directory = new DirectoryClient(options.graphBase, admin.accessToken, transport);
    const record = await readRegistration(directory, options.appId, options.readBy, { withConsent: true, now: (options.now ?? Date.now)() });
    if (!record) {
      throw new RegistrationError(
        `No app registration with the Application (client) ID ${options.appId} in tenant ${admin.tenantId}: check account.clientId against App registrations > your app > Overview.`,
      );
    }
    return record;
  } finally {
    transport.close();
  }
}
