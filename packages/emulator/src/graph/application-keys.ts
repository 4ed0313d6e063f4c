import { X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import type { AppCertificate, AppRegistration } from '../directory.js';
import { signedByCertificate, splitJwt } from '../entra/client-assertion.js';
import type { GraphCaller } from './auth.js';
import { GraphError, TEXT } from './errors.js';

/**
 * POST /applications/{id}/addKey and /removeKey: an application rolls its own certificates, proving
 * it holds one of its valid certificates with a self-signed JWT (`proof`): `aud`
 * 00000002-0000-0000-c000-000000000000, `iss` the application's object id, `nbf`, `exp` = nbf + 10
 * minutes, signed by the private key of one of the app's valid certificates; an app with no valid
 * certificate cannot use them (https://learn.microsoft.com/graph/api/application-addkey,
 * https://learn.microsoft.com/graph/api/application-removekey,
 * https://learn.microsoft.com/graph/application-rollkey-prooftoken). Errors as reported: no proof,
 * 403 "Insufficient privileges" (https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/779);
 * a proof that does not verify, 401 Authentication_MissingOrMalformed
 * (https://github.com/microsoftgraph/microsoft-graph-docs/issues/22076). Permissions: the table's
 * (Application.ReadWrite.OwnedBy for an owner, or Application.ReadWrite.All); the page's note that
 * "an application does not need any specific permission to roll its own keys" is an open question
 * (docs/emulator.md), so the emulator takes the stricter table.
 */
export const PROOF_AUDIENCE = '00000002-0000-0000-c000-000000000000';
const MAX_PROOF_LIFETIME_SECONDS = 600;
const SKEW_SECONDS = 300;

export interface KeyRouteDeps {
  ctx: EmulatorContext;
  /** The application the caller may change (403 otherwise), as for addPassword. */
  writable(caller: GraphCaller, key: string): AppRegistration;
  objectId(app: AppRegistration): string;
  callerOf(request: FastifyRequest): GraphCaller;
  certificateOf(cert: X509Certificate, keyId?: string, displayName?: string): AppCertificate;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function malformed(): GraphError {
  return new GraphError(401, 'Authentication_MissingOrMalformed', 'Access Token missing or malformed.');
}

/** Checks the proof against the app's certificates valid now; throws Graph's error when it fails. */
function checkProof(app: AppRegistration, objectId: string, proof: unknown, nowMs: number): void {
  if (typeof proof !== 'string' || proof === '') throw new GraphError(403, 'Authorization_RequestDenied', TEXT.insufficientPrivileges);
  // "padding character '=' must not be included in the JWT header and payload".
  const jwt = proof.includes('=') ? undefined : splitJwt(proof);
  if (!jwt || jwt.header.alg !== 'RS256') throw malformed();
  const { header, claims } = jwt;
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
  const s256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const valid = (app.certificates ?? []).filter((c) => Date.parse(c.startDateTime) <= nowMs && Date.parse(c.endDateTime) > nowMs);
  const signer = valid.find((c) => (s256 !== undefined ? c.thumbprintSha256 === s256 : c.thumbprintSha1 === x5t));
  if (!signer) throw malformed();
  if (!signedByCertificate(jwt, signer, 'RS256')) throw malformed();
  const now = Math.floor(nowMs / 1000);
  const { aud, iss, nbf, exp } = claims;
  if (aud !== PROOF_AUDIENCE || iss !== objectId || typeof nbf !== 'number' || typeof exp !== 'number') throw malformed();
  if (exp - nbf > MAX_PROOF_LIFETIME_SECONDS || nbf - SKEW_SECONDS > now || exp + SKEW_SECONDS < now) throw malformed();
}

/** A certificate as Graph lists it: without its key (`key` is null unless selected explicitly). */
export function keyCredentialResource(c: AppCertificate) {
  return {
    keyId: c.keyId,
    displayName: c.displayName,
    type: 'AsymmetricX509Cert',
    usage: 'Verify',
    startDateTime: c.startDateTime,
    endDateTime: c.endDateTime,
    customKeyIdentifier: Buffer.from(c.thumbprintSha1, 'base64url').toString('hex').toUpperCase(),
    key: null,
  };
}

export function registerKeyRoutes(scope: FastifyInstance, deps: KeyRouteDeps): void {
  const config = { config: { endpoint: 'graph.applications' } };
  const keyOf = (request: FastifyRequest) => (request.params as { key: string }).key;
  const invalid = () => new GraphError(400, 'Request_BadRequest', "Invalid value specified for property 'keyCredential' of resource 'Application'.");

  scope.post('/applications/:key/addKey', config, async (request) => {
    const app = deps.writable(deps.callerOf(request), keyOf(request));
    const body = isObject(request.body) ? request.body : {};
    checkProof(app, deps.objectId(app), body.proof, deps.ctx.clock.now());
    const credential = isObject(body.keyCredential) ? body.keyCredential : undefined;
    // The emulator knows certificates for verifying client assertions only (not X509CertAndPassword / Sign).
    if (!credential || credential.type !== 'AsymmetricX509Cert' || credential.usage !== 'Verify' || typeof credential.key !== 'string') throw invalid();
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(credential.key, 'base64'));
    } catch {
      throw new GraphError(400, 'Request_BadRequest', 'Key credential is not a valid X509 certificate.');
    }
    const added = deps.certificateOf(cert, undefined, typeof credential.displayName === 'string' ? credential.displayName : undefined);
    app.certificates = [...(app.certificates ?? []), added];
    return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.keyCredential', ...keyCredentialResource(added) };
  });

  scope.post('/applications/:key/removeKey', config, async (request, reply) => {
    const app = deps.writable(deps.callerOf(request), keyOf(request));
    const body = isObject(request.body) ? request.body : {};
    checkProof(app, deps.objectId(app), body.proof, deps.ctx.clock.now());
    const keyId = typeof body.keyId === 'string' ? body.keyId : '';
    const index = (app.certificates ?? []).findIndex((c) => c.keyId === keyId);
    if (index < 0) throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${keyId.slice(0, 60)}' does not exist or one of its queried reference-property objects are not present.`);
    app.certificates!.splice(index, 1);
    return reply.code(204).send();
  });
}
