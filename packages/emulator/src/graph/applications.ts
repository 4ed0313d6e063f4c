import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import type { AppRegistration } from '../directory.js';
import { applicationResource, appCertificateOf, applyBody, readApplicationBody } from './application-body.js';
import { registerKeyRoutes } from './application-keys.js';
import { callerOf, hasAny, type GraphCaller } from './auth.js';
import { registerConsentRoutes } from './consent-routes.js';
import { badRequest, insufficient, isObject, notFound, requirePermission } from './directory-access.js';
import { objectIdOf, objects, servicePrincipalId as spId, spById as spOf } from './directory-objects.js';

// The application resource, the directory's objects and the consent routes have their own files;
// what other files import from here stays importable.
export { appCertificateOf } from './application-body.js';
export { exportDirectoryObjects, importDirectoryObjects } from './directory-objects.js';

/**
 * The slice of Graph's directory API that app registration needs, in Graph v1.0's shapes:
 * POST/GET/PATCH/DELETE /applications (by object id and by `(appId='...')`), addPassword,
 * removePassword, POST/GET /servicePrincipals, POST /oauth2PermissionGrants and
 * POST /servicePrincipals/{id}/appRoleAssignedTo. Apps made here are the directory's apps: the
 * sign-in endpoints and the control API see the same objects.
 * https://learn.microsoft.com/graph/api/resources/application
 * https://learn.microsoft.com/graph/api/application-addpassword
 * https://learn.microsoft.com/graph/api/oauth2permissiongrant-post
 * https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto
 */
export function registerApplicationRoutes(ctx: EmulatorContext) {
  const { directory } = ctx;
  const appsOfTenant = (tenantId: string) => [...directory.apps.values()].filter((a) => !a.firstParty && a.homeTenantId === tenantId);

  /** `/applications/{id}` or `/applications(appId='{appId}')`, in the caller's tenant. */
  function findApplication(caller: GraphCaller, key: string): AppRegistration {
    const byAppId = /^\(appId='([^']+)'\)$/i.exec(key)?.[1];
    const appId = byAppId ?? objects(ctx).applicationIds.get(key.toLowerCase());
    const app = appId ? directory.findApp(appId) : undefined;
    if (!app || app.firstParty || app.homeTenantId !== caller.tenantId) throw notFound(byAppId ?? key);
    return app;
  }

  // New apps and secrets reach the token service after a while, meanwhile AADSTS700016 / AADSTS7000215.
  // Microsoft documents no figure ("There are no documented replication SLAs",
  // https://github.com/microsoftgraph/msgraph-bicep-types/issues/193); 4-18 s observed for addPassword
  // (https://github.com/microsoftgraph/microsoft-graph-docs/issues/17966). docs/emulator.md has the question.
  const propagationDelayMs = () => ctx.behaviour.propagationDelaySeconds * 1000;

  const readApps = (caller: GraphCaller) => requirePermission(ctx, caller, ['Application.Read.All', 'Application.ReadWrite.All'], () => true);
  const writeApps = (caller: GraphCaller) =>
    requirePermission(ctx, caller, ['Application.ReadWrite.All'], (tenantId) => directory.tenants.get(tenantId)?.usersCanRegisterApps ?? false);
  // Consent for the whole organisation is an administrator's act (Privileged Role / Cloud Application Administrator).
  const grantConsent = (caller: GraphCaller, permission: string) => requirePermission(ctx, caller, [permission], () => false);

  const servicePrincipalId = (tenantId: string, appId: string) => spId(ctx, tenantId, appId);
  const spById = (tenantId: string, id: string) => spOf(ctx, tenantId, id);

  /**
   * Application.ReadWrite.OwnedBy (app-only): the app may manage the apps it owns and no other
   * ("It cannot update any apps that it is not an owner of",
   * https://learn.microsoft.com/graph/permissions-reference#applicationreadwriteownedby).
   */
  function applicationFor(caller: GraphCaller, key: string, check: (caller: GraphCaller) => void): AppRegistration {
    if (caller.kind === 'app' && hasAny(caller, ['Application.ReadWrite.OwnedBy']) && !hasAny(caller, ['Application.ReadWrite.All'])) {
      const app = findApplication(caller, key);
      const own = servicePrincipalId(caller.tenantId, caller.appId);
      if (!own || !objects(ctx).owners.get(app.clientId)?.has(own)) throw insufficient();
      return app;
    }
    check(caller);
    return findApplication(caller, key);
  }

  return async function applicationRoutes(scope: FastifyInstance): Promise<void> {
    const config = (endpoint: string) => ({ config: { endpoint } });

    scope.post('/applications', config('graph.applications'), async (request, reply) => {
      const caller = callerOf(request);
      writeApps(caller);
      const body = readApplicationBody(request.body, true);
      const app = directory.addApp({ displayName: body.displayName!, tenant: caller.tenantId, signInAudience: body.signInAudience ?? 'AzureADMyOrg' });
      applyBody(ctx, app, body);
      const delay = propagationDelayMs();
      if (delay > 0) app.knownFromMs = ctx.clock.now() + delay;
      return reply.code(201).send(applicationResource(ctx, app));
    });

    scope.get('/applications', config('graph.applications'), async (request) => {
      const caller = callerOf(request);
      readApps(caller);
      const filter = (request.query as Record<string, string | undefined>).$filter;
      let apps = appsOfTenant(caller.tenantId);
      if (filter !== undefined) {
        const m = /^\s*(appId|displayName)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
        if (!m) throw badRequest(`Unsupported or invalid query filter clause specified for property '${filter.slice(0, 60)}'.`);
        const value = m[2]!.replace(/''/g, "'");
        apps = apps.filter((a) => (m[1]!.toLowerCase() === 'appid' ? a.clientId === value.toLowerCase() : a.displayName === value));
      }
      return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications', value: apps.map((a) => applicationResource(ctx, a)) };
    });

    const byKey = (request: FastifyRequest) => (request.params as { key: string }).key;
    for (const url of ['/applications/:key', '/applications:key']) {
      scope.get(url, config('graph.applications'), async (request) => {
        const caller = callerOf(request);
        return applicationResource(ctx, applicationFor(caller, byKey(request), readApps));
      });
      scope.patch(url, config('graph.applications'), async (request, reply) => {
        const caller = callerOf(request);
        const app = applicationFor(caller, byKey(request), writeApps);
        applyBody(ctx, app, readApplicationBody(request.body, false));
        return reply.code(204).send();
      });
      scope.delete(url, config('graph.applications'), async (request, reply) => {
        const caller = callerOf(request);
        writeApps(caller);
        const app = findApplication(caller, byKey(request));
        directory.apps.delete(app.clientId);
        return reply.code(204).send();
      });
    }

    scope.post('/applications/:key/addPassword', config('graph.applications'), async (request) => {
      const caller = callerOf(request);
      const app = applicationFor(caller, byKey(request), writeApps);
      const body = isObject(request.body) ? request.body : {};
      const credential = isObject(body.passwordCredential) ? body.passwordCredential : {};
      const now = ctx.clock.now();
      // Graph's default lifetime for a password credential is two years.
      const end = typeof credential.endDateTime === 'string' ? Date.parse(credential.endDateTime) : now + 2 * 365 * 86_400_000;
      if (!Number.isFinite(end) || end <= now) throw badRequest("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.");
      const { secret, value } = directory.addSecret(app.clientId, {
        displayName: typeof credential.displayName === 'string' ? credential.displayName : 'Password uploaded on ' + new Date(now).toUTCString(),
        expiresAt: new Date(end).toISOString(),
        startDateTime: new Date(now).toISOString(),
        ...(propagationDelayMs() > 0 ? { knownFromMs: now + propagationDelayMs() } : {}),
      });
      return {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential',
        keyId: secret.keyId,
        displayName: secret.displayName,
        hint: secret.hint,
        startDateTime: secret.startDateTime,
        endDateTime: secret.expiresAt,
        secretText: value,
      };
    });

    scope.post('/applications/:key/removePassword', config('graph.applications'), async (request, reply) => {
      const caller = callerOf(request);
      const app = applicationFor(caller, byKey(request), writeApps);
      const keyId = isObject(request.body) && typeof request.body.keyId === 'string' ? request.body.keyId : '';
      const index = app.secrets.findIndex((s) => s.keyId === keyId);
      if (index < 0) throw notFound(keyId);
      app.secrets.splice(index, 1);
      return reply.code(204).send();
    });

    registerKeyRoutes(scope, { ctx, callerOf, writable: (caller, key) => applicationFor(caller, key, writeApps), objectId: (app) => objectIdOf(ctx, app), certificateOf: appCertificateOf });

    // POST /applications/{id}/owners/$ref (https://learn.microsoft.com/graph/api/application-post-owners).
    scope.post('/applications/:key/owners/$ref', config('graph.applications'), async (request, reply) => {
      const caller = callerOf(request);
      writeApps(caller);
      const app = findApplication(caller, byKey(request));
      const ref = isObject(request.body) && typeof request.body['@odata.id'] === 'string' ? request.body['@odata.id'] : '';
      const id = /\/directoryObjects\/([0-9a-f-]{36})$/i.exec(ref)?.[1]?.toLowerCase();
      if (!id || !spById(caller.tenantId, id)) throw badRequest("Invalid value specified for property '@odata.id': a directoryObjects URL of a service principal in this tenant.");
      const owners = objects(ctx).owners.get(app.clientId) ?? new Set<string>();
      if (owners.has(id)) throw badRequest("One or more added object references already exist for the following modified properties: 'owners'.");
      owners.add(id);
      objects(ctx).owners.set(app.clientId, owners);
      return reply.code(204).send();
    });

    registerConsentRoutes(scope, ctx, { readApps, writeApps, grantConsent });
  };
}
