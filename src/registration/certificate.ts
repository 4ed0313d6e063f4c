import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import forge from 'node-forge';
import { createHttpsTransport } from '../graph/index.js';
import { ensureHomeDir, writeFileAtomic } from '../infra/index.js';
import type { ClientCertificate } from '../secrets/index.js';
import { signInAdministrator, type AdministratorGraph } from './admin-sign-in.js';
import { DirectoryClient, RegistrationError } from './directory-client.js';
import { PROPAGATION_WAIT_MS, waitForTokenService } from './propagation.js';
import { readRegistration, type RegistrationRecord } from './record.js';

/** The display name of the certificates o365-notify uploads; a new one replaces only these. */
export const CERTIFICATE_DISPLAY_NAME = 'o365-notify';

/**
 * A key pair and a self-signed certificate for the app's certificate credential (Microsoft's
 * recommendation for daemons, https://learn.microsoft.com/entra/identity-platform/certificate-credentials):
 * RSA 2048, SHA-256, for digital signatures only. The private key never leaves the encrypted store.
 */
export function newClientCertificate(appId: string, lifetimeMs: number, now = Date.now()): ClientCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + lifetimeMs);
  const subject = [{ name: 'commonName', value: `o365-notify ${appId}` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, critical: true }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  return { privateKeyPem, certificatePem: forge.pki.certificateToPem(cert) };
}

export interface CertificateFacts {
  thumbprintSha256: string;
  /** The portal's "Thumbprint" column (SHA-1, hex). */
  thumbprintSha1: string;
  endDateTime: string;
  der: Buffer;
}

export function certificateFacts(certificatePem: string): CertificateFacts {
  const x509 = new X509Certificate(certificatePem);
  return {
    thumbprintSha256: x509.fingerprint256.replace(/:/g, ''),
    thumbprintSha1: x509.fingerprint.replace(/:/g, ''),
    endDateTime: new Date(x509.validTo).toISOString(),
    der: x509.raw,
  };
}

/** Where the portal asks for the file (https://learn.microsoft.com/entra/identity-platform/how-to-add-credentials). */
export const UPLOAD_CERTIFICATE_PATH = 'Certificates & secrets > Certificates > Upload certificate';

/**
 * The manual route: the PUBLIC certificate only, as <home>/certificate-<SHA-1 thumbprint>.cer. The
 * portal's Upload certificate takes ".cer, .pem, .crt" files, PEM or DER; PEM text in a .cer is
 * what Windows' certificate export calls "Base-64 encoded X.509 (.CER)".
 */
export async function writeCertificateFile(home: string, certificatePem: string): Promise<string> {
  const file = join(home, `certificate-${certificateFacts(certificatePem).thumbprintSha1}.cer`);
  await ensureHomeDir(home);
  // Public by nature: readable like any certificate, so it can be copied to where the portal is open.
  await writeFileAtomic(file, new X509Certificate(certificatePem).toString(), 0o644);
  return file;
}

/** What to do in the portal with the file, in its words. */
export function manualUploadLines(file: string, facts: CertificateFacts, appId: string): string[] {
  return [
    `Wrote the certificate (public part only, no private key) to ${file}.`,
    `Upload it in the Azure portal: App registrations > your app (${appId}) > ${UPLOAD_CERTIFICATE_PATH}, choose that file, then Add. ` +
      `The portal then lists it with Thumbprint ${facts.thumbprintSha1} and Expires ${facts.endDateTime.slice(0, 10)}.`,
    'The private key is stored encrypted and is now the credential in use: until the certificate is uploaded, app-only sign-in fails ' +
      '(AADSTS700027). After the upload, run `o365-notify doctor`: its sign-in confirms the certificate.',
  ];
}

export interface CertificateOptions extends AdministratorGraph {
  appId: string;
  certificate: ClientCertificate;
  /** Makes the certificate the credential in use and asks for a token: undefined when it got one. */
  tryCertificate(): Promise<string | undefined>;
  /** Puts the previous credential back (after the new certificate never worked). */
  restorePrevious(): Promise<void>;
  propagationMs?: number;
  onProgress(line: string): void;
}

/**
 * Uploads the certificate to the app (keyCredentials, Certificates & secrets > Certificates), switches
 * to it once it gets a token, then removes the certificates o365-notify uploaded before. When it never
 * works, it is removed from the app again and the previous credential stays in use.
 */
export async function uploadCertificate(options: CertificateOptions): Promise<{ endDateTime: string; thumbprintSha256: string; removed: number; record?: RegistrationRecord }> {
  const admin = await signInAdministrator({ ...options, clientId: options.bootstrapClientId, scopes: ['Application.ReadWrite.All'] });
  const transport = createHttpsTransport({ ca: options.ca });
  try {
    const directory = new DirectoryClient(options.graphBase, admin.accessToken, transport);
    const app = await directory.applicationByAppId(options.appId);
    if (!app) throw new RegistrationError(`No app registration with the Application (client) ID ${options.appId} in tenant ${admin.tenantId}: check account.clientId.`);
    const facts = certificateFacts(options.certificate.certificatePem);
    const existing = (app.keyCredentials ?? []).map((k) => ({ keyId: k.keyId }));
    const added = { type: 'AsymmetricX509Cert', usage: 'Verify', key: facts.der.toString('base64'), displayName: CERTIFICATE_DISPLAY_NAME };
    await directory.patchApplication(app.id, { keyCredentials: [...existing, added] });
    options.onProgress(`Uploaded the certificate (Certificates & secrets > Certificates), SHA-256 thumbprint ${facts.thumbprintSha256}, valid until ${facts.endDateTime.slice(0, 10)}.`);
    const uploaded = await directory.applicationByAppId(options.appId);
    const newKeyId = (uploaded?.keyCredentials ?? []).find((k) => !existing.some((e) => e.keyId === k.keyId))?.keyId;
    const outcome = await waitForTokenService({ check: options.tryCertificate, waitMs: options.propagationMs ?? PROPAGATION_WAIT_MS, what: 'the new certificate', onProgress: options.onProgress });
    if (outcome.code !== undefined) {
      await options.restorePrevious();
      await directory.patchApplication(app.id, { keyCredentials: existing });
      throw new RegistrationError(`The new certificate did not get a token (${outcome.code}), so it was removed from the app again and the previous credential stays in use.`);
    }
    const previous = (app.keyCredentials ?? []).filter((k) => k.displayName === CERTIFICATE_DISPLAY_NAME);
    if (previous.length > 0 && newKeyId) {
      await directory.patchApplication(app.id, { keyCredentials: (uploaded?.keyCredentials ?? []).filter((k) => !previous.some((p) => p.keyId === k.keyId)).map((k) => ({ keyId: k.keyId })) });
    }
    const record = await readRegistration(directory, app.appId, 'certificate create', { withConsent: false, now: Date.now() });
    return { endDateTime: facts.endDateTime, thumbprintSha256: facts.thumbprintSha256, removed: previous.length, record };
  } finally {
    transport.close();
  }
}
