import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A throw-away CA and the server certificates it issues (tests only: a "corporate" TLS-inspection CA). */

export interface TestCa {
  certPem: string;
  keyPem: string;
  /** A leaf certificate for `hosts`, signed by this CA. */
  issue(hosts: string[]): { certPem: string; keyPem: string };
}

function keyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function certificate(publicPem: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  return cert;
}

export function createTestCa(name: string): TestCa {
  const keys = keyPair();
  const ca = certificate(keys.publicPem);
  const subject = [{ name: 'commonName', value: name }];
  ca.setSubject(subject);
  ca.setIssuer(subject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const caKey = forge.pki.privateKeyFromPem(keys.privatePem);
  ca.sign(caKey, forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(ca),
    keyPem: keys.privatePem,
    issue(hosts) {
      const leafKeys = keyPair();
      const leaf = certificate(leafKeys.publicPem);
      leaf.setSubject([{ name: 'commonName', value: hosts[0]! }]);
      leaf.setIssuer(subject);
      leaf.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: hosts.map((value) => (/^[\d.]+$/.test(value) ? { type: 7, ip: value } : { type: 2, value })) },
      ]);
      leaf.sign(caKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(leaf), keyPem: leafKeys.privatePem };
    },
  };
}
