import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type Forge from 'node-forge';
import { readFileIfExists, writeFileAtomic } from '../infra/index.js';
import { lazyRequire } from '../shared/index.js';

/** node-forge, loaded when a certificate is first made: ~10 MB the idle service never needs (issue 14). */
const forge = lazyRequire<typeof Forge>('node-forge');

/**
 * The relay's TLS certificate for STARTTLS and implicit TLS: the one in the settings
 * (smtp.certificate + smtp.certificateKey), or one generated at first start into the home dir
 * (relay-tls/), self-signed for this host's name, localhost and the loopback addresses.
 * ImageManager and most devices do not check the relay's certificate; those that do need the
 * settings' certificate (one from the organisation's CA) or this one's fingerprint trusted.
 */
export interface RelayCertificate {
  key: string;
  cert: string;
  /** Where the certificate is (to give to a client that verifies it). */
  certPath: string;
  fingerprint256: string;
  generated: boolean;
}

/** A self-signed server certificate for `names` (the first is the subject), loopback IPs included. */
export function selfSignedCertificate(names: string[], organization = 'o365-notify SMTP relay'): { certPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge().pki.createCertificate();
  cert.publicKey = forge().pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 825 * 86_400_000);
  const subject = [{ name: 'commonName', value: names[0]! }, { name: 'organizationName', value: organization }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...names.map((value) => ({ type: 2, value })), { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
  ]);
  cert.sign(forge().pki.privateKeyFromPem(keyPem), forge().md.sha256.create());
  return { certPem: forge().pki.certificateToPem(cert), keyPem };
}

/** Where the generated certificate lives (what `smtp test` and clients that verify trust). */
export function relayCertificatePath(home: string): string {
  return join(home, 'relay-tls', 'relay-cert.pem');
}

export async function relayCertificate(home: string, configured?: { certificate?: string; certificateKey?: string }): Promise<RelayCertificate> {
  if (configured?.certificate && configured.certificateKey) {
    const cert = await readFile(configured.certificate, 'utf8');
    const key = await readFile(configured.certificateKey, 'utf8');
    return { cert, key, certPath: configured.certificate, fingerprint256: new X509Certificate(cert).fingerprint256, generated: false };
  }
  const dir = join(home, 'relay-tls');
  const certPath = relayCertificatePath(home);
  const keyPath = join(dir, 'relay-key.pem');
  let cert = await readFileIfExists(certPath);
  let key = await readFileIfExists(keyPath);
  if (!cert || !key) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const host = hostname().toLowerCase();
    const made = selfSignedCertificate(host && host !== 'localhost' ? [host, 'localhost'] : ['localhost']);
    await writeFileAtomic(keyPath, made.keyPem);
    await writeFileAtomic(certPath, made.certPem);
    cert = made.certPem;
    key = made.keyPem;
  }
  return { cert, key, certPath, fingerprint256: new X509Certificate(cert).fingerprint256, generated: true };
}
