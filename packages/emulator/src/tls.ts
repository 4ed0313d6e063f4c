import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Where the CA certificate is stored, to hand to clients that must trust it. */
  caPath: string;
}

/** Names the server certificate covers: loopback, plus Microsoft's hosts for name-mapped clients. */
const SERVER_NAMES = ['localhost', 'login.microsoftonline.com', 'graph.microsoft.com'];
const SERVER_IPS = ['127.0.0.1', '::1'];

function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function newCertificate(publicPem: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  // Positive serial: a leading 0x00..0x7f byte keeps it from reading as negative.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  return cert;
}

function createCa(): { caPem: string; caKeyPem: string } {
  const keys = rsaKeyPair();
  const cert = newCertificate(keys.publicPem, 3650);
  const subject = [
    { name: 'commonName', value: 'o365-notify emulator CA' },
    { name: 'organizationName', value: 'o365-notify (local emulator)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
  return { caPem: forge.pki.certificateToPem(cert), caKeyPem: keys.privatePem };
}

function createServerCert(caPem: string, caKeyPem: string): { certPem: string; keyPem: string } {
  const keys = rsaKeyPair();
  const ca = forge.pki.certificateFromPem(caPem);
  const cert = newCertificate(keys.publicPem, 825);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...SERVER_NAMES.map((value) => ({ type: 2, value })),
        ...SERVER_IPS.map((ip) => ({ type: 7, ip })),
      ],
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(caKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

/**
 * Loads the emulator's CA and server certificate from `dir`, creating them on first use.
 * The CA stays stable across restarts so a client told to trust it once keeps working.
 */
export async function ensureTlsMaterial(dir: string): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  };
  if (!existsSync(paths.ca) || !existsSync(paths.caKey)) {
    const ca = createCa();
    await writeFile(paths.caKey, ca.caKeyPem, { mode: 0o600 });
    await writeFile(paths.ca, ca.caPem, { mode: 0o644 });
  }
  const caPem = await readFile(paths.ca, 'utf8');
  if (!existsSync(paths.cert) || !existsSync(paths.key)) {
    const server = createServerCert(caPem, await readFile(paths.caKey, 'utf8'));
    await writeFile(paths.key, server.keyPem, { mode: 0o600 });
    await writeFile(paths.cert, server.certPem, { mode: 0o644 });
  }
  return {
    caPem,
    certPem: await readFile(paths.cert, 'utf8'),
    keyPem: await readFile(paths.key, 'utf8'),
    caPath: paths.ca,
  };
}
