import { createHttpsTransport } from '../graph/index.js';
import type { ClientCertificate } from '../secrets/index.js';
import { signInAdministrator, type AdministratorGraph } from './admin-sign-in.js';
import { patchedCertificateKind } from './certificate-kinds.js';
import { rollCredential, type RollResult, type RollSteps } from './credential-roll.js';
import { DirectoryClient } from './directory-client.js';

export interface CertificateOptions extends AdministratorGraph, Omit<RollSteps<ClientCertificate>, 'readBy' | 'retry'> {
  certificate: ClientCertificate;
}

/**
 * `certificate create`: an administrator uploads the certificate to the app (keyCredentials,
 * Certificates & secrets > Certificates); o365-notify switches to it once it gets a token, then
 * removes the certificates it uploaded before. When it never works, it is removed from the app again
 * and the previous credential stays in use.
 */
export async function uploadCertificate(options: CertificateOptions): Promise<RollResult> {
  const admin = await signInAdministrator({ ...options, clientId: options.bootstrapClientId, scopes: ['Application.ReadWrite.All'] });
  const transport = createHttpsTransport({ ca: options.ca });
  try {
    const directory = new DirectoryClient(options.graphBase, admin.accessToken, transport);
    return await rollCredential(directory, patchedCertificateKind(directory, options.certificate), { ...options, readBy: 'certificate create', retry: 'o365-notify certificate create' });
  } finally {
    transport.close();
  }
}
