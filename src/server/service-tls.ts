import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ServiceSettings } from '../config/index.js';
import { readFileIfExists, writeFileAtomic } from '../infra/index.js';
import { selfSignedCertificate } from '../relay/index.js';

/**
 * HTTPS for the service (issue 10.9): the bearer token, the admin password and the session cookie
 * must not cross a network in clear text. The certificate is the settings' (service.tlsCertificate
 * + service.tlsKey, e.g. from the organisation's CA), or one generated at first use into
 * <home>/service-tls/, self-signed for this host's name, localhost and loopback; a browser then
 * asks once to trust it, and the printed SHA-256 fingerprint is what to compare.
 */
export interface ServiceCertificate {
  cert: string;
  key: string;
  certPath: string;
  fingerprint256: string;
  generated: boolean;
}

export function wantsTls(service: ServiceSettings, requested?: boolean): boolean {
  return requested ?? Boolean(service.tls || (service.tlsCertificate && service.tlsKey));
}

export function serviceCertificatePath(home: string): string {
  return join(home, 'service-tls', 'service-cert.pem');
}

export async function serviceCertificate(home: string, service: ServiceSettings): Promise<ServiceCertificate> {
  if (service.tlsCertificate || service.tlsKey) {
    if (!service.tlsCertificate || !service.tlsKey) {
      throw new Error('service.tlsCertificate and service.tlsKey go together: set both (PEM files), or neither to use a generated self-signed certificate.');
    }
    const cert = await readFile(service.tlsCertificate, 'utf8');
    const key = await readFile(service.tlsKey, 'utf8');
    return { cert, key, certPath: service.tlsCertificate, fingerprint256: new X509Certificate(cert).fingerprint256, generated: false };
  }
  const certPath = serviceCertificatePath(home);
  const keyPath = join(home, 'service-tls', 'service-key.pem');
  let cert = await readFileIfExists(certPath);
  let key = await readFileIfExists(keyPath);
  if (!cert || !key) {
    await mkdir(join(home, 'service-tls'), { recursive: true, mode: 0o700 });
    const host = hostname().toLowerCase();
    const made = selfSignedCertificate(host && host !== 'localhost' ? [host, 'localhost'] : ['localhost'], 'o365-notify service');
    await writeFileAtomic(keyPath, made.keyPem);
    await writeFileAtomic(certPath, made.certPem);
    cert = made.certPem;
    key = made.keyPem;
  }
  return { cert, key, certPath, fingerprint256: new X509Certificate(cert).fingerprint256, generated: true };
}
