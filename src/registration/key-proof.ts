import { createHash, createPrivateKey, sign, X509Certificate } from 'node:crypto';
import type { ClientCertificate } from '../secrets/index.js';

/** The audience Microsoft names for the proof (Azure AD Graph's app id). */
export const PROOF_AUDIENCE = '00000002-0000-0000-c000-000000000000';
/** "Expiration time should be nbf + 10 mins": the proof's whole lifetime. */
export const PROOF_LIFETIME_SECONDS = 600;

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The proof of possession addKey and removeKey ask for: a JWT signed with the private key of one of
 * the app's valid certificates, `aud` 00000002-0000-0000-c000-000000000000, `iss` the application's
 * object id (not its client id), `nbf`, `exp` = nbf + 10 minutes; named by `x5t` (SHA-1) as
 * X509SigningCredentials does, base64url without '=' padding (padding: Authentication_MissingOrMalformed).
 * https://learn.microsoft.com/graph/application-rollkey-prooftoken
 * https://learn.microsoft.com/graph/api/application-addkey
 */
export function keyProof(signer: ClientCertificate, applicationObjectId: string, nowMs = Date.now()): string {
  const der = new X509Certificate(signer.certificatePem).raw;
  const x5t = createHash('sha1').update(der).digest('base64url');
  const nbf = Math.floor(nowMs / 1000);
  const header = part({ alg: 'RS256', typ: 'JWT', x5t, kid: Buffer.from(x5t, 'base64url').toString('hex').toUpperCase() });
  const claims = part({ aud: PROOF_AUDIENCE, iss: applicationObjectId, nbf, exp: nbf + PROOF_LIFETIME_SECONDS });
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), createPrivateKey(signer.privateKeyPem)).toString('base64url');
  return `${header}.${claims}.${signature}`;
}
