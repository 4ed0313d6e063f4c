import type { FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import type { AppRegistration } from '../directory.js';
import { checkClientAssertion } from './client-assertion.js';
import { aadsts, type EntraError } from './errors.js';

/**
 * Client authentication on the token endpoint: a client secret in the body
 * (client_secret_post) or in HTTP Basic (client_secret_basic), or a client assertion signed with an
 * uploaded certificate (private_key_jwt, client-assertion.ts).
 * Whether a credential is required or forbidden depends on the flow: see the grant handlers.
 */

export type PresentedCredential =
  | { kind: 'none' }
  | { kind: 'secret'; value: string }
  | { kind: 'assertion'; value: string; type?: string };

export interface ClientIdentity {
  clientId?: string;
  credential: PresentedCredential;
}

function basicAuth(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim()) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 2.3.1: both parts are form-urlencoded before encoding.
  const unescape = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}

export function clientIdentity(request: FastifyRequest, form: (name: string) => string | undefined): ClientIdentity {
  const basic = basicAuth(request.headers.authorization);
  const secret = form('client_secret');
  let credential: PresentedCredential = { kind: 'none' };
  const assertion = form('client_assertion');
  if (assertion !== undefined) credential = { kind: 'assertion', value: assertion, type: form('client_assertion_type') };
  else if (secret !== undefined && secret !== '') credential = { kind: 'secret', value: secret };
  else if (basic) credential = { kind: 'secret', value: basic.secret };
  return { clientId: form('client_id') ?? basic?.id, credential };
}

/** A confidential client must prove itself: 7000218 without a credential, 7000215 wrong, 7000222 expired. */
export function authenticateConfidential(ctx: EmulatorContext, app: AppRegistration, credential: PresentedCredential): EntraError | undefined {
  if (credential.kind === 'none') return aadsts(7000218);
  if (credential.kind === 'assertion') return checkClientAssertion(app, credential.value, credential.type, ctx.clock.now());
  const check = ctx.directory.checkSecret(app, credential.value, ctx.clock.now());
  if (check === 'wrong') return aadsts(7000215, { clientId: app.clientId });
  if (check === 'expired') return aadsts(7000222, { clientId: app.clientId });
  return undefined;
}

/** A public client presents nothing (AADSTS700025). */
export function forbidCredential(credential: PresentedCredential): EntraError | undefined {
  return credential.kind === 'none' ? undefined : aadsts(700025);
}
