import { randomUUID, X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { GRAPH_APP_ID, SIGN_IN_AUDIENCES, type AppCertificate, type AppRegistration, type SignInAudience } from '../directory.js';
import { certificateThumbprints } from '../entra/client-assertion.js';
import { keyCredentialResource, registerKeyRoutes } from './application-keys.js';
import { callerOf, hasAny, type GraphCaller } from './auth.js';
import { GraphError, TEXT } from './errors.js';
import { GRAPH_ROLE_IDS, GRAPH_SCOPE_IDS, roleIdOf, scopeIdOf } from './permission-ids.js';

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

interface DirectoryObjects {
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

function objects(ctx: EmulatorContext): DirectoryObjects {
  let o = objectsOf.get(ctx);
  if (!o) {
    o = { applicationIds: new Map(), servicePrincipals: new Map(), notes: new Map(), createdAt: new Map(), owners: new Map() };
    objectsOf.set(ctx, o);
  }
  return o;
}

function insufficient(): GraphError {
  return new GraphError(403, 'Authorization_RequestDenied', TEXT.insufficientPrivileges);
}

function badRequest(message: string): GraphError {
  return new GraphError(400, 'Request_BadRequest', message);
}

function notFound(id: string): GraphError {
  return new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Delegated calls need the scope and, for the user, a directory role that allows it; app-only calls the role. */
function requirePermission(ctx: EmulatorContext, caller: GraphCaller, permissions: string[], userMay: (tenantId: string) => boolean): void {
  if (!hasAny(caller, permissions)) throw insufficient();
  if (caller.kind === 'delegated' && !(caller.user?.isAdmin || userMay(caller.tenantId))) throw insufficient();
}

function objectIdOf(ctx: EmulatorContext, app: AppRegistration): string {
  const o = objects(ctx);
  for (const [id, appId] of o.applicationIds) if (appId === app.clientId) return id;
  const id = randomUUID();
  o.applicationIds.set(id, app.clientId);
  o.createdAt.set(app.clientId, new Date(ctx.clock.now()).toISOString());
  return id;
}

/** The application as Graph returns it (secrets with their hint, never the value). */
function applicationResource(ctx: EmulatorContext, app: AppRegistration) {
  const access = [
    ...app.delegatedPermissions.flatMap((p) => (scopeIdOf(p) ? [{ id: scopeIdOf(p)!, type: 'Scope' }] : [])),
    ...app.applicationPermissions.flatMap((p) => (roleIdOf(p) ? [{ id: roleIdOf(p)!, type: 'Role' }] : [])),
  ];
  return {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications/$entity',
    id: objectIdOf(ctx, app),
    appId: app.clientId,
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    createdDateTime: objects(ctx).createdAt.get(app.clientId) ?? null,
    notes: objects(ctx).notes.get(app.clientId) ?? null,
    isFallbackPublicClient: app.allowPublicClientFlows,
    publicClient: { redirectUris: [...app.redirectUris.mobileAndDesktop] },
    web: { redirectUris: [...app.redirectUris.web], implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false } },
    spa: { redirectUris: [] },
    requiredResourceAccess: access.length > 0 ? [{ resourceAppId: GRAPH_APP_ID, resourceAccess: access }] : [],
    passwordCredentials: app.secrets.map((s) => ({
      keyId: s.keyId,
      displayName: s.displayName,
      hint: s.hint,
      endDateTime: s.expiresAt,
      secretText: null,
    })),
    keyCredentials: (app.certificates ?? []).map(keyCredentialResource),
  };
}

const APPLICATION_PROPERTIES = ['displayname', 'signinaudience', 'isfallbackpublicclient', 'publicclient', 'web', 'spa', 'requiredresourceaccess', 'notes', 'tags', 'keycredentials'];

/** The writable properties of an application body, checked as Graph checks them. */
function readApplicationBody(body: unknown, creating: boolean) {
  if (!isObject(body)) throw badRequest('Invalid request body.');
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.')) continue;
    if (!APPLICATION_PROPERTIES.includes(key.toLowerCase())) throw badRequest(`Property '${key.slice(0, 100)}' does not exist on type 'microsoft.graph.application'.`);
  }
  const out: {
    displayName?: string;
    signInAudience?: SignInAudience;
    isFallbackPublicClient?: boolean;
    publicRedirects?: string[];
    webRedirects?: string[];
    delegated?: string[];
    application?: string[];
    notes?: string;
    keyCredentials?: unknown[];
  } = {};
  if (body.displayName !== undefined) {
    if (typeof body.displayName !== 'string' || body.displayName.trim() === '') throw badRequest("Invalid value specified for property 'displayName' of resource 'Application'.");
    out.displayName = body.displayName;
  } else if (creating) throw badRequest("Invalid value specified for property 'displayName' of resource 'Application'.");
  if (body.signInAudience !== undefined) {
    if (!SIGN_IN_AUDIENCES.includes(body.signInAudience as SignInAudience)) throw badRequest("Invalid value specified for property 'signInAudience' of resource 'Application'.");
    out.signInAudience = body.signInAudience as SignInAudience;
  }
  if (body.isFallbackPublicClient !== undefined) {
    if (typeof body.isFallbackPublicClient !== 'boolean') throw badRequest("Invalid value specified for property 'isFallbackPublicClient' of resource 'Application'.");
    out.isFallbackPublicClient = body.isFallbackPublicClient;
  }
  const redirects = (platform: 'publicClient' | 'web', value: unknown): string[] => {
    const uris = isObject(value) ? value.redirectUris : undefined;
    if (!Array.isArray(uris) || uris.some((u) => typeof u !== 'string' || !URL.canParse(u))) {
      throw badRequest(`Invalid value specified for property 'redirectUris' of resource '${platform === 'web' ? 'WebApplication' : 'PublicClientApplication'}'.`);
    }
    return uris as string[];
  };
  if (body.publicClient !== undefined) out.publicRedirects = redirects('publicClient', body.publicClient);
  if (body.web !== undefined) out.webRedirects = redirects('web', body.web);
  if (body.notes !== undefined) {
    if (typeof body.notes !== 'string') throw badRequest("Invalid value specified for property 'notes' of resource 'Application'.");
    out.notes = body.notes;
  }
  if (body.keyCredentials !== undefined) {
    if (!Array.isArray(body.keyCredentials)) throw badRequest("Invalid value specified for property 'keyCredentials' of resource 'Application'.");
    out.keyCredentials = body.keyCredentials;
  }
  if (body.requiredResourceAccess !== undefined) {
    if (!Array.isArray(body.requiredResourceAccess)) throw badRequest("Invalid value specified for property 'requiredResourceAccess' of resource 'Application'.");
    out.delegated = [];
    out.application = [];
    for (const resource of body.requiredResourceAccess) {
      if (!isObject(resource) || resource.resourceAppId !== GRAPH_APP_ID || !Array.isArray(resource.resourceAccess)) {
        throw badRequest('The emulator knows Microsoft Graph (00000003-0000-0000-c000-000000000000) as the only resource.');
      }
      for (const entry of resource.resourceAccess) {
        const id = isObject(entry) && typeof entry.id === 'string' ? entry.id.toLowerCase() : '';
        const name = isObject(entry) && entry.type === 'Scope' ? GRAPH_SCOPE_IDS[id] : isObject(entry) && entry.type === 'Role' ? GRAPH_ROLE_IDS[id] : undefined;
        if (!name) throw badRequest(`Invalid value specified for property 'resourceAccess' of resource 'RequiredResourceAccess': '${id}' is not a ${isObject(entry) ? String(entry.type) : ''} of Microsoft Graph.`);
        (isObject(entry) && entry.type === 'Scope' ? out.delegated : out.application).push(name);
      }
    }
  }
  return out;
}

function applyBody(ctx: EmulatorContext, app: AppRegistration, body: ReturnType<typeof readApplicationBody>): void {
  if (body.displayName !== undefined) app.displayName = body.displayName;
  if (body.signInAudience !== undefined) app.signInAudience = body.signInAudience;
  if (body.isFallbackPublicClient !== undefined) app.allowPublicClientFlows = body.isFallbackPublicClient;
  if (body.publicRedirects !== undefined) app.redirectUris.mobileAndDesktop = [...body.publicRedirects];
  if (body.webRedirects !== undefined) app.redirectUris.web = [...body.webRedirects];
  if (body.delegated !== undefined) app.delegatedPermissions = body.delegated;
  if (body.application !== undefined) app.applicationPermissions = body.application!;
  if (body.notes !== undefined) objects(ctx).notes.set(app.clientId, body.notes);
  if (body.keyCredentials !== undefined) app.certificates = keyCredentialsOf(app, body.keyCredentials);
}

/**
 * PATCH keyCredentials replaces the collection (https://learn.microsoft.com/graph/api/application-update):
 * a new certificate comes with its `key` (base64 DER); one already on the app is kept by its keyId.
 */
function keyCredentialsOf(app: AppRegistration, entries: unknown[]): AppCertificate[] {
  const invalid = () => badRequest("Invalid value specified for property 'keyCredentials' of resource 'Application'.");
  return entries.map((entry) => {
    if (!isObject(entry)) throw invalid();
    const existing = typeof entry.keyId === 'string' ? app.certificates?.find((c) => c.keyId === entry.keyId) : undefined;
    if (existing && (entry.key === undefined || entry.key === null)) return existing;
    if (entry.type !== 'AsymmetricX509Cert' || entry.usage !== 'Verify' || typeof entry.key !== 'string') throw invalid();
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(entry.key, 'base64'));
    } catch {
      throw badRequest('Key credential is not a valid X509 certificate.');
    }
    return appCertificateOf(cert, typeof entry.keyId === 'string' ? entry.keyId : undefined, typeof entry.displayName === 'string' ? entry.displayName : undefined);
  });
}

/** A certificate as the app keeps it; the portal names an upload after its subject (CN=...). */
export function appCertificateOf(cert: X509Certificate, keyId?: string, displayName?: string): AppCertificate {
  const thumbprints = certificateThumbprints(cert.raw);
  return {
    keyId: keyId ?? randomUUID(),
    displayName: displayName ?? `CN=${cert.subject.replace(/^CN=/, '')}`,
    keyBase64: cert.raw.toString('base64'),
    thumbprintSha1: thumbprints.sha1,
    thumbprintSha256: thumbprints.sha256,
    startDateTime: new Date(cert.validFrom).toISOString(),
    endDateTime: new Date(cert.validTo).toISOString(),
  };
}

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

  function servicePrincipalId(tenantId: string, appId: string): string | undefined {
    return objects(ctx).servicePrincipals.get(`${tenantId}|${appId}`);
  }

  function servicePrincipalResource(tenantId: string, appId: string, id: string) {
    const app = appId === GRAPH_APP_ID ? undefined : directory.findApp(appId);
    return { id, appId, displayName: app?.displayName ?? 'Microsoft Graph', appOwnerOrganizationId: app?.homeTenantId ?? null, servicePrincipalType: 'Application', tenantId };
  }

  /** Graph's own service principal exists in every tenant. */
  function graphServicePrincipal(tenantId: string): string {
    const key = `${tenantId}|${GRAPH_APP_ID}`;
    let id = objects(ctx).servicePrincipals.get(key);
    if (!id) {
      id = randomUUID();
      objects(ctx).servicePrincipals.set(key, id);
    }
    return id;
  }

  function spById(tenantId: string, id: string): string | undefined {
    if (id === graphServicePrincipal(tenantId)) return GRAPH_APP_ID;
    for (const [key, value] of objects(ctx).servicePrincipals) if (value === id && key.startsWith(`${tenantId}|`)) return key.slice(tenantId.length + 1);
    return undefined;
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
        ...(propagationDelayMs() > 0 ? { knownFromMs: now + propagationDelayMs() } : {}),
      });
      return {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential',
        keyId: secret.keyId,
        displayName: secret.displayName,
        hint: secret.hint,
        startDateTime: new Date(now).toISOString(),
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
  };
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
