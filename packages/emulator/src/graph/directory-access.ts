import type { EmulatorContext } from '../context.js';
import { hasAny, type GraphCaller } from './auth.js';
import { GraphError, TEXT } from './errors.js';

/** The directory API's refusals, in Graph's codes and words, and its permission check. */

export function insufficient(): GraphError {
  return new GraphError(403, 'Authorization_RequestDenied', TEXT.insufficientPrivileges);
}

export function badRequest(message: string): GraphError {
  return new GraphError(400, 'Request_BadRequest', message);
}

export function notFound(id: string): GraphError {
  return new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Delegated calls need the scope and, for the user, a directory role that allows it; app-only calls the role. */
export function requirePermission(ctx: EmulatorContext, caller: GraphCaller, permissions: string[], userMay: (tenantId: string) => boolean): void {
  if (!hasAny(caller, permissions)) throw insufficient();
  if (caller.kind === 'delegated' && !(caller.user?.isAdmin || userMay(caller.tenantId))) throw insufficient();
}
