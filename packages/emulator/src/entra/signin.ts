import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import type { AppRegistration, User } from '../directory.js';
import { checkAccount, personalOnlyOnCommon, type Authority } from './authority.js';
import { decideConsent, recordConsent } from './consent.js';
import { approveDeviceCode, authorityRef, declineDeviceCode, deviceCodeState } from './device-approval.js';
import { aadsts, traceIds, USER_AUDIENCE_CONSUMER_ON_COMMON, type EntraError } from './errors.js';
import type { AdminConsentFlow, AuthorizeFlow, SignInFlow } from './flows.js';
import { html, sendErrorPage, sendPage } from './html.js';
import {
  accountPage,
  CONSENT_PATH,
  CONSENT_RETURN_PATH,
  consentPage,
  deviceDeclinedPage,
  deviceDonePage,
  LOGIN_CANCEL_PATH,
  LOGIN_PATH,
  needAdminApprovalPage,
} from './pages.js';
import { params } from './params.js';
import { errorFields, respondToRedirectUri } from './redirect.js';
import type { OidcScope } from './scopes.js';
import { entraState } from './state.js';
import { clientInfo } from './tokens.js';

/**
 * The interactive steps shared by /authorize, /devicelogin and /adminconsent: pick or type an
 * account, consent (or "Need admin approval"), then finish the way the flow started: a code
 * to the redirect URI, an approved device code, or admin consent recorded.
 */

const TITLE = 'Sign in to your account';

/** The accounts offered as tiles: those that could sign in through this authority. */
function usersFor(ctx: EmulatorContext, authority: Authority): User[] {
  const users = [...ctx.directory.users.values()];
  switch (authority.family) {
    case 'tenant':
      return users.filter((u) => u.tenantId === authority.tenant!.id);
    case 'organizations':
      return users.filter((u) => u.kind === 'work');
    case 'consumers':
      return users.filter((u) => u.kind === 'personal');
    default:
      return users;
  }
}

export function showAccountStep(
  reply: FastifyReply,
  ctx: EmulatorContext,
  flow: SignInFlow,
  app: AppRegistration,
  options: { error?: string; prefill?: string } = {},
): FastifyReply {
  return sendPage(reply, 200, TITLE, accountPage(flow, app, usersFor(ctx, flow.authority), { prefill: flow.loginHint, ...options }));
}

function requestedOidc(flow: SignInFlow): OidcScope[] {
  return (['openid', 'profile', 'email', 'offline_access'] as const).filter((s) => flow.scopes.oidc.has(s));
}

function adminConsentPermissions(flow: AdminConsentFlow, app: AppRegistration): { delegated: string[]; application: string[] } {
  // "/.default" (and the v1 endpoint) stand for the configured list, application permissions included.
  const all = !flow.v2 || flow.scopes.graphDefault;
  return { delegated: all ? [...app.delegatedPermissions] : [...flow.scopes.graph], application: all ? [...app.applicationPermissions] : [] };
}

export async function registerSignInRoutes(server: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { flows, grants } = entraState(ctx);

  const errorPage = (request: FastifyRequest, reply: FastifyReply, err: EntraError, retryFlow?: SignInFlow) =>
    sendErrorPage(
      reply,
      err,
      traceIds(request, ctx.clock.now()),
      retryFlow ? html`<p><a href="${LOGIN_PATH}?flowToken=${encodeURIComponent(retryFlow.id)}">Sign in with a different account</a></p>` : undefined,
    );

  /** Loads the flow and its app, or answers with the page Entra shows for a stale flow. */
  const load = (request: FastifyRequest, reply: FastifyReply, flowToken: string | undefined) => {
    const flow = flows.get(flowToken);
    if (!flow) {
      errorPage(request, reply, aadsts(50089));
      return undefined;
    }
    const app = ctx.directory.findApp(flow.clientId);
    if (!app) {
      errorPage(request, reply, aadsts(700016, { clientId: flow.clientId, directory: flow.authority.segment }));
      return undefined;
    }
    return { flow, app };
  };

  const deviceCodeGone = (reply: FastifyReply, expired: boolean) =>
    sendPage(
      reply,
      400,
      TITLE,
      html`<h1>Sign in</h1><p class="error" role="alert">${
        expired
          ? "The code you entered has expired. Get a new code from the device you're trying to sign in to and try again."
          : 'This code has already been used. Get a new code from the device you’re trying to sign in to and try again.'
      }</p>`,
    );

  const finishAuthorize = (reply: FastifyReply, flow: AuthorizeFlow, user: User) => {
    const now = ctx.clock.now();
    const code = grants.issueCode({
      clientId: flow.clientId,
      redirectUri: flow.redirectUri,
      platform: flow.platform,
      userId: user.id,
      tenantId: user.tenantId,
      authority: authorityRef(flow.authority),
      scope: flow.scopes.raw,
      nonce: flow.nonce,
      codeChallenge: flow.codeChallenge,
      codeChallengeMethod: flow.codeChallengeMethod,
      authTimeMs: now,
      expiresAtMs: now + ctx.behaviour.authorizationCodeLifetimeSeconds * 1000,
    });
    flows.end(flow.id);
    return respondToRedirectUri(reply, flow.redirectUri, flow.responseMode, {
      code,
      client_info: flow.clientInfo ? clientInfo(user) : undefined,
      state: flow.state,
      session_state: randomUUID(),
    });
  };

  const finish = (reply: FastifyReply, flow: SignInFlow, app: AppRegistration, user: User) => {
    if (flow.kind === 'authorize') return finishAuthorize(reply, flow, user);
    if (flow.kind === 'device') {
      const record = grants.findDeviceCode(flow.deviceCode);
      const state = deviceCodeState(ctx, record);
      if (state !== 'usable') return deviceCodeGone(reply, state !== 'used');
      approveDeviceCode(ctx, record!, user);
      flows.end(flow.id);
      return sendPage(reply, 200, app.displayName, deviceDonePage(app));
    }
    const granted = adminConsentPermissions(flow, app);
    ctx.directory.grantConsent({ tenantId: user.tenantId, clientId: app.clientId, delegated: granted.delegated, application: granted.application });
    flows.end(flow.id);
    return respondToRedirectUri(reply, flow.redirectUri, 'query', {
      admin_consent: 'True',
      tenant: user.tenantId,
      scope: flow.v2 ? flow.scopes.raw : undefined,
      state: flow.state,
    });
  };

  /** The user said no (Cancel: 65004) or could not consent (90094). */
  const cancel = (request: FastifyRequest, reply: FastifyReply, flow: SignInFlow, app: AppRegistration, code: 65004 | 90094) => {
    flows.end(flow.id);
    if (flow.kind === 'device') {
      const record = grants.findDeviceCode(flow.deviceCode);
      if (record && deviceCodeState(ctx, record) === 'usable') declineDeviceCode(record, code);
      return sendPage(reply, 200, app.displayName, deviceDeclinedPage(app));
    }
    const ids = traceIds(request, ctx.clock.now());
    if (flow.kind === 'adminconsent' && code === 65004) {
      return respondToRedirectUri(reply, flow.redirectUri, 'query', {
        error: 'permission_denied',
        error_description: 'The admin canceled the request',
        state: flow.state,
      });
    }
    const mode = flow.kind === 'authorize' ? flow.responseMode : 'query';
    return respondToRedirectUri(reply, flow.redirectUri, mode, errorFields(aadsts(code), ids, flow.state, code === 65004 ? { error_subcode: 'cancel' } : {}));
  };

  /** After an account is accepted: the consent step, or straight on. */
  const afterAccount = (reply: FastifyReply, flow: SignInFlow, app: AppRegistration, user: User) => {
    if (flow.kind === 'adminconsent') {
      if (!(user.kind === 'work' && user.isAdmin)) return sendPage(reply, 200, TITLE, needAdminApprovalPage(flow, app, user));
      return sendPage(reply, 200, TITLE, consentPage(flow, app, user, { ...adminConsentPermissions(flow, app), oidc: [] }, 'always'));
    }
    const decision = decideConsent(ctx, app, user, flow.scopes, flow.kind === 'authorize' && flow.forceConsent);
    if (decision.kind === 'none') return finish(reply, flow, app, user);
    if (decision.kind === 'admin-approval') return sendPage(reply, 200, TITLE, needAdminApprovalPage(flow, app, user));
    return sendPage(
      reply,
      200,
      TITLE,
      consentPage(flow, app, user, { delegated: decision.permissions, oidc: requestedOidc(flow) }, decision.forOrganizationAllowed ? 'optional' : 'never'),
    );
  };

  server.get(LOGIN_PATH, { config: { endpoint: 'entra.login' } }, async (request, reply) => {
    const loaded = load(request, reply, params(request.query)('flowToken'));
    if (!loaded) return reply;
    loaded.flow.userId = undefined;
    return showAccountStep(reply, ctx, loaded.flow, loaded.app);
  });

  server.post(LOGIN_PATH, { config: { endpoint: 'entra.login' } }, async (request, reply) => {
    const form = params(request.body);
    const loaded = load(request, reply, form('flowToken'));
    if (!loaded) return reply;
    const { flow, app } = loaded;
    const typed = (form('loginfmt') ?? '').trim();
    if (typed === '') return showAccountStep(reply, ctx, flow, app, { error: 'Enter a valid email address, phone number, or Skype name.' });
    const user = ctx.directory.findUser(typed);
    if (!user) {
      const error =
        flow.authority.family === 'consumers'
          ? "That Microsoft account doesn't exist. Enter a different account or get a new one."
          : 'This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.';
      return showAccountStep(reply, ctx, flow, app, { error, prefill: typed });
    }
    if (flow.kind === 'authorize' && personalOnlyOnCommon(app, flow.authority)) {
      return respondToRedirectUri(reply, flow.redirectUri, flow.responseMode, {
        error: 'invalid_request',
        error_description: USER_AUDIENCE_CONSUMER_ON_COMMON,
        state: flow.state,
      });
    }
    const refusal = checkAccount(ctx.directory, app, flow.authority, user);
    if (refusal?.kind === 'page') return showAccountStep(reply, ctx, flow, app, { error: refusal.message, prefill: typed });
    if (refusal) return errorPage(request, reply, refusal.error, flow);
    if (flow.kind === 'device') {
      const record = grants.findDeviceCode(flow.deviceCode);
      const state = deviceCodeState(ctx, record);
      if (state !== 'usable') return deviceCodeGone(reply, state !== 'used');
    }
    flow.userId = user.id;
    return afterAccount(reply, flow, app, user);
  });

  server.post(LOGIN_CANCEL_PATH, { config: { endpoint: 'entra.login' } }, async (request, reply) => {
    const loaded = load(request, reply, params(request.body)('flowToken'));
    if (!loaded) return reply;
    return cancel(request, reply, loaded.flow, loaded.app, 65004);
  });

  server.post(CONSENT_PATH, { config: { endpoint: 'entra.consent' } }, async (request, reply) => {
    const form = params(request.body);
    const loaded = load(request, reply, form('flowToken'));
    if (!loaded) return reply;
    const { flow, app } = loaded;
    const user = flow.userId ? ctx.directory.findUser(flow.userId) : undefined;
    if (!user) return showAccountStep(reply, ctx, flow, app);
    if (form('action') !== 'accept') return cancel(request, reply, flow, app, 65004);
    if (flow.kind === 'adminconsent') {
      if (!(user.kind === 'work' && user.isAdmin)) return sendPage(reply, 200, TITLE, needAdminApprovalPage(flow, app, user));
      return finish(reply, flow, app, user);
    }
    // Decided again: consent may have changed while the page was open.
    const decision = decideConsent(ctx, app, user, flow.scopes, false);
    if (decision.kind === 'admin-approval') return sendPage(reply, 200, TITLE, needAdminApprovalPage(flow, app, user));
    if (decision.kind === 'prompt') {
      const forOrganization = form('consentOnBehalf') === 'true' && decision.forOrganizationAllowed;
      recordConsent(ctx, app, user, decision.permissions, forOrganization);
    }
    return finish(reply, flow, app, user);
  });

  server.post(CONSENT_RETURN_PATH, { config: { endpoint: 'entra.consent' } }, async (request, reply) => {
    const loaded = load(request, reply, params(request.body)('flowToken'));
    if (!loaded) return reply;
    return cancel(request, reply, loaded.flow, loaded.app, 90094);
  });
}
