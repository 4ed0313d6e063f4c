import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { GRAPH_APP_ID } from '../directory.js';
import { callerOf, type GraphCaller } from './auth.js';
import { badRequest, notFound, isObject, requirePermission } from './directory-access.js';
import { graphServicePrincipal as graphSp, objects, servicePrincipalId as spId, spById as spOf } from './directory-objects.js';
import { GraphError } from './errors.js';
import { GRAPH_ROLE_IDS, roleIdOf, scopeIdOf } from './permission-ids.js';

/**
 * Service principals and consent: POST/GET /servicePrincipals, GET/POST /oauth2PermissionGrants,
 * GET /servicePrincipals/{id}/appRoleAssignments and POST .../appRoleAssignedTo.
 * https://learn.microsoft.com/graph/api/oauth2permissiongrant-post
 * https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto
 */
export function registerConsentRoutes(
  scope: FastifyInstance,
  ctx: EmulatorContext,
  access: { readApps: (caller: GraphCaller) => void; writeApps: (caller: GraphCaller) => void; grantConsent: (caller: GraphCaller, permission: string) => void },
): void {
  const { directory } = ctx;
  const { readApps, writeApps, grantConsent } = access;
  const config = (endpoint: string) => ({ config: { endpoint } });
  const byKey = (request: FastifyRequest) => (request.params as { key: string }).key;
  const servicePrincipalId = (tenantId: string, appId: string) => spId(ctx, tenantId, appId);
  const graphServicePrincipal = (tenantId: string) => graphSp(ctx, tenantId);
  const spById = (tenantId: string, id: string) => spOf(ctx, tenantId, id);

  function servicePrincipalResource(tenantId: string, appId: string, id: string) {
    const app = appId === GRAPH_APP_ID ? undefined : directory.findApp(appId);
    return { id, appId, displayName: app?.displayName ?? 'Microsoft Graph', appOwnerOrganizationId: app?.homeTenantId ?? null, servicePrincipalType: 'Application', tenantId };
  }

  scope.post('/servicePrincipals', config('graph.servicePrincipals'), async (request, reply) => {
    const caller = callerOf(request);
    writeApps(caller);
    const appId = isObject(request.body) && typeof request.body.appId === 'string' ? request.body.appId.toLowerCase() : '';
    const app = directory.findApp(appId);
    if (!app) throw badRequest(`The appId '${appId}' of the service principal does not reference a valid application object.`);
    if (servicePrincipalId(caller.tenantId, appId)) {
      throw new GraphError(409, 'Request_MultipleObjectsWithSameKeyValue', 'The service principal cannot be created, updated, or restored because the service principal name ' + appId + ' is already in use.');
    }
    const id = randomUUID();
    objects(ctx).servicePrincipals.set(`${caller.tenantId}|${appId}`, id);
    return reply.code(201).send(servicePrincipalResource(caller.tenantId, appId, id));
  });

  for (const url of ['/servicePrincipals:key', '/servicePrincipals/:key']) {
    scope.get(url, config('graph.servicePrincipals'), async (request) => {
      const caller = callerOf(request);
      readApps(caller);
      const key = byKey(request);
      const appId = /^\(appId='([^']+)'\)$/i.exec(key)?.[1]?.toLowerCase() ?? spById(caller.tenantId, key);
      const id = appId === GRAPH_APP_ID ? graphServicePrincipal(caller.tenantId) : appId ? servicePrincipalId(caller.tenantId, appId) : undefined;
      if (!appId || !id) throw notFound(key);
      return servicePrincipalResource(caller.tenantId, appId, id);
    });
  }

  // Reading consent: GET /oauth2PermissionGrants?$filter=clientId eq '{sp id}'
  // (https://learn.microsoft.com/graph/api/oauth2permissiongrant-list: DelegatedPermissionGrant.Read.All)
  // and GET /servicePrincipals/{id}/appRoleAssignments
  // (https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignments: Application.Read.All).
  scope.get('/oauth2PermissionGrants', config('graph.oauth2PermissionGrants'), async (request) => {
    const caller = callerOf(request);
    requirePermission(ctx, caller, ['DelegatedPermissionGrant.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.Read.All'], () => true);
    const filter = (request.query as Record<string, string | undefined>).$filter;
    const m = filter === undefined ? null : /^\s*clientId\s+eq\s+'([^']*)'\s*$/i.exec(filter);
    if (filter !== undefined && !m) throw badRequest(`Unsupported or invalid query filter clause specified for property '${filter.slice(0, 60)}'.`);
    const resourceId = graphServicePrincipal(caller.tenantId);
    const value = directory.consents
      .filter((c) => c.tenantId === caller.tenantId && c.delegated.length > 0)
      .map((c) => ({ c, spId: servicePrincipalId(caller.tenantId, c.clientId) }))
      .filter(({ spId }) => spId !== undefined && (m === null || spId === m[1]))
      .map(({ c, spId }) => ({
        id: `${spId}|${c.userId ?? 'all'}`,
        clientId: spId,
        consentType: c.userId === undefined ? 'AllPrincipals' : 'Principal',
        principalId: c.userId ?? null,
        resourceId,
        scope: c.delegated.join(' '),
      }));
    return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#oauth2PermissionGrants', value };
  });

  scope.get('/servicePrincipals/:key/appRoleAssignments', config('graph.appRoleAssignments'), async (request) => {
    const caller = callerOf(request);
    requirePermission(ctx, caller, ['Application.Read.All', 'Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'Directory.Read.All'], () => true);
    const spId = byKey(request);
    const appId = spById(caller.tenantId, spId);
    if (!appId) throw notFound(spId);
    const resourceId = graphServicePrincipal(caller.tenantId);
    const value = [...directory.consentedApplication(caller.tenantId, appId)].flatMap((role) =>
      roleIdOf(role) ? [{ id: `${spId}|${role}`, appRoleId: roleIdOf(role), principalId: spId, principalType: 'ServicePrincipal', resourceId, resourceDisplayName: 'Microsoft Graph' }] : [],
    );
    return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#appRoleAssignments', value };
  });

  scope.post('/oauth2PermissionGrants', config('graph.oauth2PermissionGrants'), async (request, reply) => {
    const caller = callerOf(request);
    grantConsent(caller, 'DelegatedPermissionGrant.ReadWrite.All');
    const body = isObject(request.body) ? request.body : {};
    const clientAppId = typeof body.clientId === 'string' ? spById(caller.tenantId, body.clientId) : undefined;
    if (!clientAppId) throw badRequest("Invalid value specified for property 'clientId' of resource 'OAuth2PermissionGrant'.");
    if (body.resourceId !== graphServicePrincipal(caller.tenantId)) throw badRequest("Invalid value specified for property 'resourceId' of resource 'OAuth2PermissionGrant'.");
    if (body.consentType !== 'AllPrincipals') throw badRequest('The emulator grants consent for the whole organisation only (consentType AllPrincipals).');
    const scopes = typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [];
    if (scopes.length === 0 || scopes.some((s) => !scopeIdOf(s))) throw badRequest("Invalid value specified for property 'scope' of resource 'OAuth2PermissionGrant'.");
    const existing = directory.consents.find((c) => c.tenantId === caller.tenantId && c.clientId === clientAppId && c.userId === undefined && c.delegated.length > 0);
    if (existing) throw new GraphError(409, 'Request_MultipleObjectsWithSameKeyValue', 'Permission entry already exists.');
    directory.grantConsent({ tenantId: caller.tenantId, clientId: clientAppId, delegated: scopes, application: [] });
    return reply.code(201).send({ id: randomUUID(), clientId: body.clientId, consentType: 'AllPrincipals', principalId: null, resourceId: body.resourceId, scope: scopes.join(' ') });
  });

  scope.post('/servicePrincipals/:key/appRoleAssignedTo', config('graph.appRoleAssignments'), async (request, reply) => {
    const caller = callerOf(request);
    grantConsent(caller, 'AppRoleAssignment.ReadWrite.All');
    const body = isObject(request.body) ? request.body : {};
    if (byKey(request) !== graphServicePrincipal(caller.tenantId) || body.resourceId !== byKey(request)) {
      throw badRequest('The emulator assigns Microsoft Graph app roles only: use the Microsoft Graph service principal as the resource.');
    }
    const principalAppId = typeof body.principalId === 'string' ? spById(caller.tenantId, body.principalId) : undefined;
    const role = typeof body.appRoleId === 'string' ? GRAPH_ROLE_IDS[body.appRoleId.toLowerCase()] : undefined;
    if (!principalAppId || principalAppId === GRAPH_APP_ID) throw badRequest("Invalid value specified for property 'principalId' of resource 'AppRoleAssignment'.");
    if (!role) throw badRequest('Permission being assigned was not found on application');
    if (directory.consentedApplication(caller.tenantId, principalAppId).has(role)) {
      throw new GraphError(409, 'Request_MultipleObjectsWithSameKeyValue', 'Permission being assigned already exists on the object');
    }
    directory.grantConsent({ tenantId: caller.tenantId, clientId: principalAppId, delegated: [], application: [role] });
    return reply.code(201).send({ id: randomUUID(), appRoleId: body.appRoleId, principalId: body.principalId, resourceId: body.resourceId, principalType: 'ServicePrincipal' });
  });
}
