import { X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { DirectoryError, SIGN_IN_AUDIENCES, type AppRegistration, type SignInAudience } from '../directory.js';
import { approveFromControl, denyFromControl } from '../entra/index.js';
import { appCertificateOf } from '../graph/applications.js';
import { canonicalApplication, canonicalDelegated } from '../entra/scopes.js';

/**
 * The directory half of the control API, in the guide's terms: tenants, users, app
 * registrations (account type, redirect URIs per platform, public client flows, permissions,
 * secrets shown once), consent, and approving or denying a device code as a person would on
 * /devicelogin.
 */

type Body = Record<string, unknown>;

class BadRequest extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

function bodyOf(raw: unknown): Body {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadRequest(['the body must be a JSON object']);
  return raw as Body;
}

function optionalString(body: Body, key: string, problems: string[]): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') problems.push(`${key}: a non-empty string`);
  return typeof v === 'string' ? v : undefined;
}

function requiredString(body: Body, key: string, problems: string[], hint: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v.trim() === '') {
    problems.push(`${key}: ${hint}`);
    return '';
  }
  return v;
}

function optionalBoolean(body: Body, key: string, problems: string[]): boolean | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') problems.push(`${key}: true or false`);
  return typeof v === 'boolean' ? v : undefined;
}

function stringList(body: Body, key: string, problems: string[]): string[] | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    problems.push(`${key}: a list of strings`);
    return undefined;
  }
  return v as string[];
}

function permissions(body: Body, key: string, kind: 'delegated' | 'application', problems: string[]): string[] | undefined {
  const list = stringList(body, key, problems);
  if (!list) return undefined;
  const canonical = kind === 'delegated' ? canonicalDelegated : canonicalApplication;
  return list.map((p) => {
    const name = canonical(p.replace(/^https:\/\/graph\.microsoft\.com\//i, ''));
    if (!name) problems.push(`${key}: "${p}" is not a Microsoft Graph ${kind} permission the emulator knows`);
    return name ?? p;
  });
}

function absoluteUri(uri: string): boolean {
  try {
    const url = new URL(uri);
    return !url.hash && url.protocol.length > 1;
  } catch {
    return false;
  }
}

function redirectUris(body: Body, problems: string[]): { mobileAndDesktop?: string[]; web?: string[] } | undefined {
  const v = body.redirectUris;
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    problems.push('redirectUris: an object {mobileAndDesktop: [...], web: [...]}');
    return undefined;
  }
  const r = v as Body;
  for (const key of Object.keys(r)) if (key !== 'mobileAndDesktop' && key !== 'web') problems.push(`redirectUris.${key}: unknown platform; use mobileAndDesktop or web`);
  const mobileAndDesktop = stringList(r, 'mobileAndDesktop', problems);
  const web = stringList(r, 'web', problems);
  for (const uri of [...(mobileAndDesktop ?? []), ...(web ?? [])]) if (!absoluteUri(uri)) problems.push(`redirectUris: "${uri}" is not an absolute URI without a fragment`);
  for (const uri of web ?? []) {
    if (!uri.startsWith('https://') && !/^http:\/\/(localhost|127\.0\.0\.1)([:/]|$)/i.test(uri)) {
      problems.push(`redirectUris.web: "${uri}" must use https (http only for localhost), as the portal requires`);
    }
  }
  return { mobileAndDesktop, web };
}

function audience(body: Body, problems: string[], required: boolean): SignInAudience | undefined {
  const v = body.signInAudience;
  if (v === undefined && !required) return undefined;
  if (!SIGN_IN_AUDIENCES.includes(v as SignInAudience)) {
    problems.push(`signInAudience: one of ${SIGN_IN_AUDIENCES.join(', ')}`);
    return undefined;
  }
  return v as SignInAudience;
}

function expiry(entry: Body, nowMs: number, where: string, problems: string[]): string {
  if (entry.expiresAt !== undefined) {
    if (typeof entry.expiresAt !== 'string' || Number.isNaN(Date.parse(entry.expiresAt))) problems.push(`${where}.expiresAt: an ISO 8601 date`);
    else return new Date(entry.expiresAt).toISOString();
  }
  const days = entry.expiresInDays ?? 180;
  if (typeof days !== 'number' || !Number.isFinite(days)) problems.push(`${where}.expiresInDays: a number of days (negative for an already expired secret)`);
  return new Date(nowMs + (typeof days === 'number' ? days : 180) * 86_400_000).toISOString();
}

/** The app as the control API shows it: no secret values, no hashes. */
function publicApp(app: AppRegistration) {
  return { ...app, secrets: app.secrets.map(({ valueSha256: _v, ...s }) => s) };
}

function sendProblem(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof BadRequest) return reply.code(400).send({ error: err.message, problems: err.problems });
  if (err instanceof DirectoryError) return reply.code(400).send({ error: err.message });
  throw err;
}

export async function registerDirectoryControlRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { directory } = ctx;
  const route = { config: { endpoint: 'control.directory' } };

  const secretInput = (entry: Body, where: string, problems: string[]) => ({
    displayName: optionalString(entry, 'displayName', problems),
    expiresAt: expiry(entry, ctx.clock.now(), where, problems),
  });

  const createSecret = (clientId: string, input: { displayName?: string; expiresAt: string }) => {
    const { secret, value } = directory.addSecret(clientId, input);
    return { keyId: secret.keyId, displayName: secret.displayName, hint: secret.hint, value, expiresAt: secret.expiresAt };
  };

  const consentInput = (c: Body, where: string) => {
    const problems: string[] = [];
    const tenantName = requiredString(c, 'tenant', problems, 'tenant GUID or domain where consent is granted');
    const userName = optionalString(c, 'user', problems);
    const delegated = permissions(c, 'delegated', 'delegated', problems) ?? [];
    const application = permissions(c, 'application', 'application', problems) ?? [];
    const tenant = tenantName ? directory.findTenant(tenantName) : undefined;
    if (tenantName && !tenant) problems.push(`tenant: no tenant "${tenantName}"`);
    const user = userName ? directory.findUser(userName) : undefined;
    if (userName && !user) problems.push(`user: no user "${userName}"`);
    if (user && tenant && user.tenantId !== tenant.id) problems.push(`user: ${user.upn} is not in tenant ${tenant.displayName}`);
    if (user && application.length > 0) problems.push('application: application permissions are granted by an administrator for the tenant, not per user');
    if (problems.length > 0) throw new BadRequest(problems.map((p) => `${where}.${p}`));
    return { tenantId: tenant!.id, userId: user?.id, delegated, application };
  };

  app.post('/_emulator/tenants', route, async (request, reply) => {
    try {
      const body = bodyOf(request.body);
      const problems: string[] = [];
      const domains = stringList(body, 'domains', problems);
      if (!domains || domains.length === 0) problems.push('domains: a list with at least one domain, e.g. ["fabrikam.onmicrosoft.com"]');
      const input = {
        id: optionalString(body, 'id', problems),
        displayName: optionalString(body, 'displayName', problems),
        domains: domains ?? [],
        userConsentAllowed: optionalBoolean(body, 'userConsentAllowed', problems),
        usersCanRegisterApps: optionalBoolean(body, 'usersCanRegisterApps', problems),
      };
      if (problems.length > 0) throw new BadRequest(problems);
      return reply.code(201).send(directory.addTenant(input));
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.patch<{ Params: { tenant: string } }>('/_emulator/tenants/:tenant', route, async (request, reply) => {
    const tenant = directory.findTenant(request.params.tenant);
    if (!tenant) return reply.code(404).send({ error: `no tenant "${request.params.tenant}"` });
    try {
      const body = bodyOf(request.body);
      const problems: string[] = [];
      const displayName = optionalString(body, 'displayName', problems);
      const userConsentAllowed = optionalBoolean(body, 'userConsentAllowed', problems);
      const usersCanRegisterApps = optionalBoolean(body, 'usersCanRegisterApps', problems);
      for (const key of Object.keys(body)) if (!['displayName', 'userConsentAllowed', 'usersCanRegisterApps'].includes(key)) problems.push(`${key}: not a setting of a tenant`);
      if (problems.length > 0) throw new BadRequest(problems);
      if (displayName !== undefined) tenant.displayName = displayName;
      if (userConsentAllowed !== undefined) tenant.userConsentAllowed = userConsentAllowed;
      if (usersCanRegisterApps !== undefined) tenant.usersCanRegisterApps = usersCanRegisterApps;
      return tenant;
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.post('/_emulator/users', route, async (request, reply) => {
    try {
      const body = bodyOf(request.body);
      const problems: string[] = [];
      const input = {
        upn: requiredString(body, 'upn', problems, 'the user principal name, e.g. "jane@contoso.onmicrosoft.com"'),
        tenant: requiredString(body, 'tenant', problems, 'tenant GUID or domain, or "consumers" for a personal Microsoft account'),
        id: optionalString(body, 'id', problems),
        displayName: optionalString(body, 'displayName', problems),
        mailbox: optionalBoolean(body, 'mailbox', problems),
        admin: optionalBoolean(body, 'admin', problems),
        sendAs: stringList(body, 'sendAs', problems),
      };
      if (problems.length > 0) throw new BadRequest(problems);
      return reply.code(201).send(directory.addUser(input));
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.patch<{ Params: { user: string } }>('/_emulator/users/:user', route, async (request, reply) => {
    const user = directory.findUser(request.params.user);
    if (!user) return reply.code(404).send({ error: `no user "${request.params.user}"` });
    try {
      const body = bodyOf(request.body);
      const problems: string[] = [];
      const displayName = optionalString(body, 'displayName', problems);
      const mailbox = optionalBoolean(body, 'mailbox', problems);
      const admin = optionalBoolean(body, 'admin', problems);
      const sendAs = stringList(body, 'sendAs', problems);
      for (const key of Object.keys(body)) if (!['displayName', 'mailbox', 'admin', 'sendAs'].includes(key)) problems.push(`${key}: not a setting of a user`);
      if (problems.length > 0) throw new BadRequest(problems);
      if (displayName !== undefined) user.displayName = displayName;
      if (mailbox !== undefined) user.hasMailbox = mailbox;
      if (admin !== undefined) user.isAdmin = admin;
      if (sendAs !== undefined) user.sendAs = sendAs.map((s) => s.toLowerCase());
      return user;
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.post('/_emulator/apps', route, async (request, reply) => {
    try {
      const body = bodyOf(request.body);
      const problems: string[] = [];
      const input = {
        clientId: optionalString(body, 'clientId', problems),
        displayName: requiredString(body, 'displayName', problems, 'the app name, e.g. "ImageManager"'),
        tenant: requiredString(body, 'tenant', problems, 'the home tenant (GUID or domain)'),
        signInAudience: audience(body, problems, true)!,
        redirectUris: redirectUris(body, problems),
        allowPublicClientFlows: optionalBoolean(body, 'allowPublicClientFlows', problems),
        delegatedPermissions: permissions(body, 'delegatedPermissions', 'delegated', problems),
        applicationPermissions: permissions(body, 'applicationPermissions', 'application', problems),
      };
      const secrets = body.secrets ?? [];
      if (!Array.isArray(secrets) || secrets.some((s) => typeof s !== 'object' || s === null)) problems.push('secrets: a list of {displayName, expiresInDays | expiresAt}');
      const consent = body.consent ?? [];
      if (!Array.isArray(consent) || consent.some((c) => typeof c !== 'object' || c === null)) problems.push('consent: a list of {tenant, user?, delegated?, application?}');
      const secretInputs = Array.isArray(secrets) ? (secrets as Body[]).map((s, i) => secretInput(s, `secrets[${i}]`, problems)) : [];
      if (problems.length > 0) throw new BadRequest(problems);
      // Everything is checked before anything is created.
      const grants = (consent as Body[]).map((c, i) => consentInput(c, `consent[${i}]`));
      const created = directory.addApp(input);
      const values = secretInputs.map((s) => createSecret(created.clientId, s));
      for (const g of grants) directory.grantConsent({ ...g, clientId: created.clientId });
      // The secret values appear in this answer only, as the portal shows them once.
      return reply.code(201).send({ ...publicApp(created), secretValues: values });
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.patch<{ Params: { clientId: string } }>('/_emulator/apps/:clientId', route, async (request, reply) => {
    const target = directory.findApp(request.params.clientId);
    if (!target) return reply.code(404).send({ error: `no app with client id "${request.params.clientId}"` });
    try {
      const body = bodyOf(request.body);
      const problems: string[] = [];
      const known = ['displayName', 'signInAudience', 'redirectUris', 'allowPublicClientFlows', 'delegatedPermissions', 'applicationPermissions'];
      for (const key of Object.keys(body)) if (!known.includes(key)) problems.push(`${key}: not a setting of an app registration (settings: ${known.join(', ')})`);
      const displayName = optionalString(body, 'displayName', problems);
      const signInAudience = audience(body, problems, false);
      const uris = redirectUris(body, problems);
      const allowPublicClientFlows = optionalBoolean(body, 'allowPublicClientFlows', problems);
      const delegated = permissions(body, 'delegatedPermissions', 'delegated', problems);
      const application = permissions(body, 'applicationPermissions', 'application', problems);
      if (problems.length > 0) throw new BadRequest(problems);
      if (displayName !== undefined) target.displayName = displayName;
      if (signInAudience !== undefined) target.signInAudience = signInAudience;
      if (uris?.mobileAndDesktop !== undefined) target.redirectUris.mobileAndDesktop = [...uris.mobileAndDesktop];
      if (uris?.web !== undefined) target.redirectUris.web = [...uris.web];
      if (allowPublicClientFlows !== undefined) target.allowPublicClientFlows = allowPublicClientFlows;
      if (delegated !== undefined) target.delegatedPermissions = delegated;
      if (application !== undefined) target.applicationPermissions = application;
      return publicApp(target);
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.post<{ Params: { clientId: string } }>('/_emulator/apps/:clientId/secrets', route, async (request, reply) => {
    const target = directory.findApp(request.params.clientId);
    if (!target) return reply.code(404).send({ error: `no app with client id "${request.params.clientId}"` });
    try {
      const problems: string[] = [];
      const input = secretInput(request.body === undefined || request.body === null ? {} : bodyOf(request.body), 'body', problems);
      if (problems.length > 0) throw new BadRequest(problems);
      return reply.code(201).send(createSecret(target.clientId, input));
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  // The portal's Certificates & secrets > Certificates > Upload certificate: the file's content, a
  // .cer/.pem/.crt in PEM or DER (https://learn.microsoft.com/entra/identity-platform/how-to-add-credentials).
  app.post<{ Params: { clientId: string } }>('/_emulator/apps/:clientId/certificates', route, async (request, reply) => {
    const target = directory.findApp(request.params.clientId);
    if (!target) return reply.code(404).send({ error: `no app with client id "${request.params.clientId}"` });
    const body = request.body === undefined || request.body === null ? {} : bodyOf(request.body);
    const file = typeof body.certificate === 'string' ? body.certificate : '';
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(file.includes('-----BEGIN CERTIFICATE-----') ? file : Buffer.from(file, 'base64'));
    } catch {
      return reply.code(400).send({ error: 'certificate: the content of a .cer, .pem or .crt file (PEM, or DER as base64)' });
    }
    const uploaded = appCertificateOf(cert, undefined, typeof body.displayName === 'string' ? body.displayName : undefined);
    target.certificates = [...(target.certificates ?? []), uploaded];
    return reply.code(201).send({ keyId: uploaded.keyId, displayName: uploaded.displayName, endDateTime: uploaded.endDateTime });
  });

  app.delete<{ Params: { clientId: string; keyId: string } }>('/_emulator/apps/:clientId/secrets/:keyId', route, async (request, reply) => {
    const target = directory.findApp(request.params.clientId);
    const index = target?.secrets.findIndex((s) => s.keyId === request.params.keyId) ?? -1;
    if (!target || index < 0) return reply.code(404).send({ error: `no secret ${request.params.keyId} on app ${request.params.clientId}` });
    target.secrets.splice(index, 1);
    return reply.code(204).send();
  });

  app.post('/_emulator/consent', route, async (request, reply) => {
    try {
      const body = bodyOf(request.body);
      const clientId = typeof body.clientId === 'string' ? body.clientId : '';
      const target = directory.findApp(clientId);
      if (!target) throw new BadRequest([`clientId: the client id of an existing app (got "${clientId}")`]);
      const grant = consentInput(body, 'body');
      directory.grantConsent({ ...grant, clientId: target.clientId });
      return reply.code(201).send(directory.consents.filter((c) => c.clientId === target.clientId && c.tenantId === grant.tenantId));
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.delete('/_emulator/consent', route, async (request, reply) => {
    try {
      const body = bodyOf(request.body ?? request.query);
      const problems: string[] = [];
      const clientId = requiredString(body, 'clientId', problems, 'the client id of the app');
      const tenantName = requiredString(body, 'tenant', problems, 'tenant GUID or domain');
      const userName = optionalString(body, 'user', problems);
      const tenant = tenantName ? directory.findTenant(tenantName) : undefined;
      if (tenantName && !tenant) problems.push(`tenant: no tenant "${tenantName}"`);
      const user = userName ? directory.findUser(userName) : undefined;
      if (userName && !user) problems.push(`user: no user "${userName}"`);
      if (problems.length > 0) throw new BadRequest(problems);
      return { revoked: directory.revokeConsent(tenant!.id, clientId.toLowerCase(), user?.id) };
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.post('/_emulator/devicecode/approve', { config: { endpoint: 'control.devicecode' } }, async (request, reply) => {
    try {
      const body = bodyOf(request.body);
      const problems: string[] = [];
      const userCode = requiredString(body, 'userCode', problems, 'the code the device shows');
      const upn = requiredString(body, 'upn', problems, 'the account that signs in');
      const adminConsent = optionalBoolean(body, 'adminConsent', problems) ?? false;
      if (problems.length > 0) throw new BadRequest(problems);
      const result = approveFromControl(ctx, userCode, upn, adminConsent);
      if (!result.ok) return reply.code(result.status).send({ error: result.error });
      return { userCode: result.record.userCode, status: result.record.status, consentRecorded: result.consentRecorded };
    } catch (err) {
      return sendProblem(reply, err);
    }
  });

  app.post('/_emulator/devicecode/deny', { config: { endpoint: 'control.devicecode' } }, async (request, reply) => {
    try {
      const body = bodyOf(request.body);
      const problems: string[] = [];
      const userCode = requiredString(body, 'userCode', problems, 'the code the device shows');
      if (problems.length > 0) throw new BadRequest(problems);
      const result = denyFromControl(ctx, userCode);
      if (!result.ok) return reply.code(result.status).send({ error: result.error });
      return { userCode: result.record.userCode, status: result.record.status };
    } catch (err) {
      return sendProblem(reply, err);
    }
  });
}
