import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, type ApiTokenVerifier } from './api-token.js';
import { sendError } from './http.js';

const HOW_TO_GET_A_TOKEN =
  'The token was printed once when the service first started (or by `o365-notify token rotate`, which makes a new one and ends the old).';

/** An onRequest hook: answers 401 unless the request carries the API token (`Authorization: Bearer <token>`). */
export function requireApiToken(tokens: ApiTokenVerifier) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = bearerToken(request.headers.authorization);
    if (tokens.verify(presented)) return;
    reply.header('www-authenticate', 'Bearer realm="o365-notify"');
    const message = !tokens.configured
      ? 'This service has no API token yet. Run `o365-notify token rotate` on the server to make one, then send it as "Authorization: Bearer <token>".'
      : presented === undefined
        ? `This API needs the service's API token: send the header "Authorization: Bearer <token>". ${HOW_TO_GET_A_TOKEN}`
        : `The API token is not valid (wrong, or replaced by \`o365-notify token rotate\`). ${HOW_TO_GET_A_TOKEN}`;
    await sendError(reply, 401, 'unauthorized', message);
  };
}
