import { randomUUID } from 'node:crypto';
import type { EmulatorContext } from '../context.js';
import { GRAPH_APP_ID, type AppRegistration } from '../directory.js';

/**
 * What Graph's directory knows beyond the emulator's Directory: object ids of applications and
 * service principals, notes, creation dates and owners, per emulator; saved with the tenant file.
 */

export interface DirectoryObjects {
  /** application object id <-> appId, assigned on first sight (apps made by the control API too). */
  applicationIds: Map<string, string>;
  /** `${tenantId}|${appId}` -> service principal object id. */
  servicePrincipals: Map<string, string>;
  notes: Map<string, string>;
  createdAt: Map<string, string>;
  /** appId -> object ids of its owners (service principals: an app may own itself). */
  owners: Map<string, Set<string>>;
}

const objectsOf = new WeakMap<EmulatorContext, DirectoryObjects>();

export function objects(ctx: EmulatorContext): DirectoryObjects {
  let o = objectsOf.get(ctx);
  if (!o) {
    o = { applicationIds: new Map(), servicePrincipals: new Map(), notes: new Map(), createdAt: new Map(), owners: new Map() };
    objectsOf.set(ctx, o);
  }
  return o;
}

export function objectIdOf(ctx: EmulatorContext, app: AppRegistration): string {
  const o = objects(ctx);
  for (const [id, appId] of o.applicationIds) if (appId === app.clientId) return id;
  const id = randomUUID();
  o.applicationIds.set(id, app.clientId);
  o.createdAt.set(app.clientId, new Date(ctx.clock.now()).toISOString());
  return id;
}

export function servicePrincipalId(ctx: EmulatorContext, tenantId: string, appId: string): string | undefined {
  return objects(ctx).servicePrincipals.get(`${tenantId}|${appId}`);
}

/** Graph's own service principal exists in every tenant. */
export function graphServicePrincipal(ctx: EmulatorContext, tenantId: string): string {
  const key = `${tenantId}|${GRAPH_APP_ID}`;
  let id = objects(ctx).servicePrincipals.get(key);
  if (!id) {
    id = randomUUID();
    objects(ctx).servicePrincipals.set(key, id);
  }
  return id;
}

/** The appId of a service principal of the tenant, by its object id. */
export function spById(ctx: EmulatorContext, tenantId: string, id: string): string | undefined {
  if (id === graphServicePrincipal(ctx, tenantId)) return GRAPH_APP_ID;
  for (const [key, value] of objects(ctx).servicePrincipals) if (value === id && key.startsWith(`${tenantId}|`)) return key.slice(tenantId.length + 1);
  return undefined;
}

/** Object ids, service principals and creation dates as plain data, for the tenant file. */
export function exportDirectoryObjects(ctx: EmulatorContext): Record<keyof DirectoryObjects, [string, string][]> {
  const o = objects(ctx);
  return {
    applicationIds: [...o.applicationIds],
    servicePrincipals: [...o.servicePrincipals],
    notes: [...o.notes],
    createdAt: [...o.createdAt],
    owners: [...o.owners].map(([appId, ids]) => [appId, [...ids].join(' ')]),
  };
}

export function importDirectoryObjects(ctx: EmulatorContext, data: Partial<Record<keyof DirectoryObjects, [string, string][]>>): void {
  objectsOf.set(ctx, {
    applicationIds: new Map(data.applicationIds ?? []),
    servicePrincipals: new Map(data.servicePrincipals ?? []),
    notes: new Map(data.notes ?? []),
    createdAt: new Map(data.createdAt ?? []),
    owners: new Map((data.owners ?? []).map(([appId, ids]) => [appId, new Set(ids.split(' ').filter(Boolean))])),
  });
}
