import { createHash, verify, X509Certificate, constants } from 'node:crypto';
import type { AppCertificate, AppRegistration } from '../directory.js';
import { aadsts, type EntraError } from './errors.js';

/**
 * private_key_jwt (RFC 7523, OpenID Connect Core 9) as Entra ID checks it
 * (https://learn.microsoft.com/entra/identity-platform/certificate-credentials): a JWT signed with
 * the private key of a certificate uploaded to the app (Certificates & secrets > Certificates),
 * named by `x5t#S256` (SHA-256) or `x5t` (SHA-1) in its header; `aud` the token endpoint, `iss` and
 * `sub` the client id, `exp`/`nbf` around now. A key not on the app, a bad signature or an expired
 * certificate: AADSTS700027; outside its time range: AADSTS700024
 * (https://learn.microsoft.com/azure/developer/java/sdk/troubleshooting-authentication-service-principal).
 */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra allows some clock skew; the emulator allows 5 minutes (docs/emulator.md). */
const SKEW_SECONDS = 300;

function b64urlJson(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A compact JWS (RFC 7515 section 7.1) taken apart: its header and claims as JSON objects. */
export interface SplitJwt {
  parts: string[];
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export function splitJwt(token: string): SplitJwt | undefined {
  const parts = token.split('.');
  const header = parts.length === 3 ? b64urlJson(parts[0]!) : undefined;
  const claims = parts.length === 3 ? b64urlJson(parts[1]!) : undefined;
  return header && claims ? { parts, header, claims } : undefined;
}

/** Whether `jwt` is signed (RS256, or PS256) by the key of one of the app's certificates. */
export function signedByCertificate(jwt: SplitJwt, certificate: AppCertificate, alg: 'RS256' | 'PS256'): boolean {
  const key = new X509Certificate(Buffer.from(certificate.keyBase64, 'base64')).publicKey;
  const padding = alg === 'PS256' ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { padding: constants.RSA_PKCS1_PADDING };
  return verify('sha256', Buffer.from(`${jwt.parts[0]}.${jwt.parts[1]}`), { key, ...padding }, Buffer.from(jwt.parts[2]!, 'base64url'));
}

/** The thumbprints Entra matches a client assertion's header against. */
export function certificateThumbprints(certDer: Buffer): { sha1: string; sha256: string } {
  return { sha1: createHash('sha1').update(certDer).digest('base64url'), sha256: createHash('sha256').update(certDer).digest('base64url') };
}

function reason(text: string): EntraError {
  return aadsts(700027, { reason: text });
}

export function checkClientAssertion(app: AppRegistration, assertion: string, assertionType: string | undefined, nowMs: number): EntraError | undefined {
  if (assertionType !== JWT_BEARER) return reason(`client_assertion_type must be ${JWT_BEARER}.`);
  const jwt = splitJwt(assertion);
  if (!jwt) return reason('The client assertion is not a JWT.');
  const { header, claims } = jwt;
  // RFC 7515 says base64url; MSAL for Python (1.21) sends x5t as padded standard base64, which Entra accepts.
  const thumbprint = (value: unknown) => (typeof value === 'string' ? value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : undefined);
  const s256 = thumbprint(header['x5t#S256']);
  const s1 = thumbprint(header.x5t);
  const certificate: AppCertificate | undefined = (app.certificates ?? []).find((c) => (s256 !== undefined && c.thumbprintSha256 === s256) || (s256 === undefined && s1 !== undefined && c.thumbprintSha1 === s1));
  if (!certificate) return reason(`The key was not found. Thumbprint of key used by client: '${s256 ?? s1 ?? ''}'`);
  const alg = header.alg;
  if (alg !== 'RS256' && alg !== 'PS256') return reason(`The signing algorithm '${String(alg)}' is not supported.`);
  if (!signedByCertificate(jwt, certificate, alg)) return reason('The provided signature value did not match the expected signature value.');
  if (Date.parse(certificate.endDateTime) <= nowMs) return reason('The key used is expired.');
  if (claims.iss !== app.clientId || claims.sub !== app.clientId) return reason("The client assertion's iss and sub must be the application's client id.");
  const aud = typeof claims.aud === 'string' ? claims.aud : '';
  if (!/\/oauth2\/(v2\.0\/)?token$/.test(aud)) return reason("The client assertion's aud must be the token endpoint.");
  const now = Math.floor(nowMs / 1000);
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : undefined;
  if (exp === undefined || exp + SKEW_SECONDS < now || (nbf !== undefined && nbf - SKEW_SECONDS > now)) return aadsts(700024);
  return undefined;
}
