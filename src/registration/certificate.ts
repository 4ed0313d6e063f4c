import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type Forge from 'node-forge';
import { ensureHomeDir, writeFileAtomic } from '../infra/index.js';
import type { ClientCertificate } from '../secrets/index.js';
import { lazyRequire } from '../shared/index.js';

/** node-forge, loaded when a certificate is first made: ~10 MB the idle service never needs (issue 14). */
const forge = lazyRequire<typeof Forge>('node-forge');

/** The display name of the certificates o365-notify uploads; a new one replaces only these. */
export const CERTIFICATE_DISPLAY_NAME = 'o365-notify';

/** Valid from a minute before it is made, for clocks slightly behind; its validity period is lifetime + this. */
export const CERTIFICATE_BACKDATE_MS = 60_000;

/**
 * A key pair and a self-signed certificate for the app's certificate credential (Microsoft's
 * recommendation for daemons, https://learn.microsoft.com/entra/identity-platform/certificate-credentials):
 * RSA 2048, SHA-256, for digital signatures only. The private key never leaves the encrypted store.
 */
export function newClientCertificate(appId: string, lifetimeMs: number, now = Date.now()): ClientCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge().pki.createCertificate();
  cert.publicKey = forge().pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(now - CERTIFICATE_BACKDATE_MS);
  cert.validity.notAfter = new Date(now + lifetimeMs);
  const subject = [{ name: 'commonName', value: `o365-notify ${appId}` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, critical: true }]);
  cert.sign(forge().pki.privateKeyFromPem(privateKeyPem), forge().md.sha256.create());
  return { privateKeyPem, certificatePem: forge().pki.certificateToPem(cert) };
}

export interface CertificateFacts {
  thumbprintSha256: string;
  /** The portal's "Thumbprint" column (SHA-1, hex). */
  thumbprintSha1: string;
  /** notBefore and notAfter, ISO 8601. */
  startDateTime: string;
  endDateTime: string;
  der: Buffer;
}

export function certificateFacts(certificatePem: string): CertificateFacts {
  const x509 = new X509Certificate(certificatePem);
  return {
    thumbprintSha256: x509.fingerprint256.replace(/:/g, ''),
    thumbprintSha1: x509.fingerprint.replace(/:/g, ''),
    startDateTime: new Date(x509.validFrom).toISOString(),
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
