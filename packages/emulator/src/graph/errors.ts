import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Microsoft Graph's error envelope and the texts Graph really answers with, as found in
 * Microsoft's docs and in real responses quoted in public issues.
 */

/** An error answered in Graph's envelope: `{error:{code, message, innerError}}`. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

/** Graph's WWW-Authenticate header on 401 (it names the v1 authorize endpoint and Graph's app id). */
const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

export const TEXT = {
  tokenEmpty: 'Access token is empty.',
  tokenNoDots:
    "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
  tokenInvalid: 'Access token validation failure.',
  tokenAudience: 'Access token validation failure. Invalid audience.',
  tokenExpired: 'Lifetime validation failed, the token is expired.',
  accessDenied: 'Access is denied. Check credentials and try again.',
  insufficientPrivileges: 'Insufficient privileges to complete the operation.',
  meAppOnly: '/me request is only valid with delegated authentication flow.',
  noMailbox: 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
  sendAsDenied:
    'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account. Cannot submit message.',
  itemNotFound: 'The specified object was not found in the store.',
  requestTooLarge: 'The maximum request length supported is 4MB.',
  messageTooLarge: 'The message exceeds the maximum supported size.',
  invalidJson: 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
  emptyPayload: 'Empty Payload. JSON content expected.',
  noRecipients: "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
  dailyRecipientLimit: 'Cannot send mail. Daily Message/Recipient limit exceeded.',
  internal: 'An internal server error occurred. The operation failed.',
} as const;

export function invalidUser(idOrUpn: string): GraphError {
  return new GraphError(404, 'ErrorInvalidUser', `The requested user '${idOrUpn}' is invalid.`);
}

export function unresolvedRecipient(address: string): GraphError {
  return new GraphError(
    400,
    'ErrorInvalidRecipients',
    `At least one recipient isn't valid., Recipient '${address}' isn't resolved. All recipients must be resolved before a message can be submitted.`,
  );
}

/** OData's answer to a JSON value of the wrong type. */
export function cannotConvert(value: unknown, edmType: string): GraphError {
  const literal = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return new GraphError(400, 'RequestBodyRead', `Cannot convert the literal '${literal.slice(0, 200)}' to the expected type '${edmType}'.`);
}

export function unknownProperty(name: string, type: string): GraphError {
  return new GraphError(
    400,
    'RequestBodyRead',
    `The property '${name.slice(0, 200)}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
  );
}

export function unauthorized(message: string): GraphError {
  return new GraphError(401, 'InvalidAuthenticationToken', message, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

export function accessDenied(): GraphError {
  return new GraphError(403, 'ErrorAccessDenied', TEXT.accessDenied);
}

export function requestTooLarge(): GraphError {
  return new GraphError(413, 'BadRequest', TEXT.requestTooLarge);
}

/** Exchange's "ApplicationThrottled" answer: "Application is over its <budget> limit." */
export function throttled(budget: string, retryAfterSeconds: number): GraphError {
  return new GraphError(429, 'ApplicationThrottled', `Application is over its ${budget} limit.`, {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });
}

interface RequestIds {
  requestId: string;
  clientRequestId: string;
}
const ids = new WeakMap<FastifyRequest, RequestIds>();
const PRINTABLE = /^[\x21-\x7e]{1,200}$/;

/**
 * Graph answers every request with `request-id` and `client-request-id` headers; the latter
 * echoes the client's own id when it sent one.
 */
export function stampRequestIds(request: FastifyRequest, reply: FastifyReply): RequestIds {
  let known = ids.get(request);
  if (!known) {
    const requestId = randomUUID();
    const sent = request.headers['client-request-id'];
    const clientRequestId = typeof sent === 'string' && PRINTABLE.test(sent) ? sent : requestId;
    known = { requestId, clientRequestId };
    ids.set(request, known);
  }
  reply.header('request-id', known.requestId);
  reply.header('client-request-id', known.clientRequestId);
  return known;
}

/** Graph's innerError.date: second precision, no zone designator. */
function graphDate(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 19);
}

export function sendGraphError(request: FastifyRequest, reply: FastifyReply, error: GraphError, nowMs: number): FastifyReply {
  const { requestId, clientRequestId } = stampRequestIds(request, reply);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.status)
    .type('application/json')
    .send({
      error: {
        code: error.code,
        message: error.message,
        innerError: { date: graphDate(nowMs), 'request-id': requestId, 'client-request-id': clientRequestId },
      },
    });
}
