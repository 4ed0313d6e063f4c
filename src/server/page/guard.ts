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
  'referrer-policy': 'no-referrer',
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
 * A request that changes something must come from our own page: its Origin is ours (browsers send
 * Origin on every POST/DELETE), and the Fetch Metadata, when present, does not say cross-site.
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin !== requestOrigin(request)) return false;
  const site = request.headers['sec-fetch-site'];
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
