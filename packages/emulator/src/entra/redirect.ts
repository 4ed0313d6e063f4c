import type { FastifyReply } from 'fastify';
import { describe, errorUri, type EntraError, type TraceIds } from './errors.js';
import type { ResponseMode } from './flows.js';
import { formPostPage } from './html.js';

/** Sends the authorization response to the (trusted) redirect URI by query, fragment or form_post. */
export function respondToRedirectUri(
  reply: FastifyReply,
  redirectUri: string,
  mode: ResponseMode,
  fields: Record<string, string | undefined>,
): FastifyReply {
  const present = Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined);
  reply.header('cache-control', 'no-store, no-cache');
  if (mode === 'form_post') {
    return reply.code(200).type('text/html; charset=utf-8').send(formPostPage(redirectUri, Object.fromEntries(present)));
  }
  const url = new URL(redirectUri);
  const encoded = new URLSearchParams(present);
  if (mode === 'fragment') url.hash = encoded.toString();
  else for (const [k, v] of present) url.searchParams.append(k, v);
  return reply.code(302).header('location', url.toString()).send();
}

export function errorFields(err: EntraError, ids: TraceIds, state: string | undefined, extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    error: err.error,
    error_description: describe(err, ids),
    error_uri: errorUri(err.code),
    ...extra,
    state,
  };
}
