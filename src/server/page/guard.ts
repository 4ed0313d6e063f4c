import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost } from '../../config/index.js';

/**
 * The page's request rules: security headers on every answer, same-origin for every request that
 * changes something, and whether a request comes from this machine.
 */

export const CONTENT_SECURITY_POLICY = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on a form POST,
  // and the password form could never pass the origin check (issue 10.1). Cross-site requests
  // still get no Referer.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}

/** `http://localhost:8025`: the origin the browser used to reach us. */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? ''}`;
}

/**
 * A request that changes something must come from our own page. Browsers send Origin on every
 * POST/DELETE: it must be ours, and the Fetch Metadata, when present, must say same-origin. A
 * browser that withholds the origin (`Origin: null`, e.g. under a strict referrer policy) is
 * accepted only when its Fetch Metadata says `Sec-Fetch-Site: same-origin`: a header no page can
 * set or forge, so a cross-site form still fails (https://web.dev/articles/fetch-metadata).
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  if (origin === 'null' || origin === undefined) return origin === 'null' && site === 'same-origin';
  if (typeof origin !== 'string' || origin !== requestOrigin(request)) return false;
  return site === undefined || site === 'same-origin';
}

/** The peer is this machine (127.0.0.0/8 or ::1, also as IPv4-mapped IPv6). */
export function isLoopbackPeer(request: FastifyRequest): boolean {
  const ip = request.ip.replace(/^::ffff:/, '');
  return isLoopbackHost(ip);
}

export function isStateChanging(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}
