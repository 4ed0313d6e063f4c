import { randomUUID, X509Certificate } from 'node:crypto';
import type { EmulatorContext } from '../context.js';
import { GRAPH_APP_ID, SIGN_IN_AUDIENCES, type AppCertificate, type AppRegistration, type SignInAudience } from '../directory.js';
import { certificateThumbprints } from '../entra/client-assertion.js';
import { keyCredentialResource } from './application-keys.js';
import { badRequest, isObject } from './directory-access.js';
import { objectIdOf, objects } from './directory-objects.js';
import { GRAPH_ROLE_IDS, GRAPH_SCOPE_IDS, roleIdOf, scopeIdOf } from './permission-ids.js';

/**
 * The application resource both ways: as Graph returns it, and a request body read and checked
 * as Graph checks it, then applied (https://learn.microsoft.com/graph/api/resources/application).
 */

/** The application as Graph returns it (secrets with their hint, never the value). */
export function applicationResource(ctx: EmulatorContext, app: AppRegistration) {
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
      // https://learn.microsoft.com/graph/api/resources/passwordcredential; unknown for a seeded secret.
      startDateTime: s.startDateTime ?? null,
      endDateTime: s.expiresAt,
      secretText: null,
    })),
    keyCredentials: (app.certificates ?? []).map(keyCredentialResource),
  };
}

const APPLICATION_PROPERTIES = ['displayname', 'signinaudience', 'isfallbackpublicclient', 'publicclient', 'web', 'spa', 'requiredresourceaccess', 'notes', 'tags', 'keycredentials'];

/** The writable properties of an application body, checked as Graph checks them. */
export function readApplicationBody(body: unknown, creating: boolean) {
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

export function applyBody(ctx: EmulatorContext, app: AppRegistration, body: ReturnType<typeof readApplicationBody>): void {
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
