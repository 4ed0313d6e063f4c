import type { FastifyInstance } from 'fastify';
import { publicBaseUrl, type EmulatorContext } from '../context.js';
import { checkAppAuthority, directoryName, parseAuthority } from './authority.js';
import { authorityFromRef, authorityRef, deviceCodeState } from './device-approval.js';
import { aadsts, EntraError, sendJsonError, setTokenHeaders, traceIds } from './errors.js';
import { sendPage } from './html.js';
import { DEVICE_LOGIN_PATH, deviceCodePage } from './pages.js';
import { params } from './params.js';
import { parseScopes } from './scopes.js';
import { showAccountStep } from './signin.js';
import { entraState } from './state.js';

/**
 * The device authorization grant: POST /{tenant}/oauth2/v2.0/devicecode hands out a user code,
 * the person enters it at /devicelogin on any browser, signs in and consents; the device polls
 * /token meanwhile. Whether the app may use public client flows is checked when it polls, as
 * Entra does.
 */
export async function registerDeviceCodeRoutes(server: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { grants, flows } = entraState(ctx);

  server.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/devicecode', { config: { endpoint: 'entra.devicecode' } }, async (request, reply) => {
    const form = params(request.body);
    // MSAL.NET's maintainers found /devicecode errors sent with 200 OK (AzureAD/microsoft-authentication-
    // library-for-dotnet#1466, "/devicecode endpoint sends errors with 200 OK status"): the switch
    // deviceCodeErrorStatus 200 answers so (issue 13.4); 400 by default, as Microsoft documents.
    const fail = (err: EntraError) =>
      sendJsonError(reply, request, ctx.clock.now(), ctx.behaviour.deviceCodeErrorStatus === 200 ? new EntraError(err.code, err.error, err.text, 200, err.suberror, err.claims) : err);
    const authority = parseAuthority(ctx.directory, request.params.tenant);
    if (authority instanceof EntraError) return fail(authority);
    const clientId = form('client_id');
    if (!clientId) return fail(aadsts(900144, { name: 'client_id' }));
    const app = ctx.directory.findAppForSignIn(clientId, ctx.clock.now());
    if (!app) return fail(aadsts(700016, { clientId, directory: directoryName(authority) }));
    const wrongAuthority = checkAppAuthority(app, authority);
    if (wrongAuthority) return fail(wrongAuthority);
    const scope = form('scope');
    if (scope === undefined) return fail(aadsts(900144, { name: 'scope' }));
    const scopes = parseScopes(scope, directoryName(authority));
    if (scopes instanceof EntraError) return fail(scopes);

    const record = grants.createDeviceCode({
      clientId: app.clientId,
      authority: authorityRef(authority),
      scope: scopes.raw,
      lifetimeSeconds: ctx.behaviour.deviceCodeLifetimeSeconds,
      intervalSeconds: ctx.behaviour.deviceCodeIntervalSeconds,
    });
    const verificationUri = `${publicBaseUrl(request)}${DEVICE_LOGIN_PATH}`;
    setTokenHeaders(reply, request, traceIds(request, ctx.clock.now()));
    return reply.code(200).send({
      user_code: record.userCode,
      device_code: record.deviceCode,
      verification_uri: verificationUri,
      expires_in: ctx.behaviour.deviceCodeLifetimeSeconds,
      interval: record.intervalSeconds,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${record.userCode} to authenticate.`,
    });
  });

  server.get(DEVICE_LOGIN_PATH, { config: { endpoint: 'entra.devicelogin' } }, async (request, reply) =>
    sendPage(reply, 200, 'Enter code', deviceCodePage({ prefill: params(request.query)('otc') })),
  );

  server.post(DEVICE_LOGIN_PATH, { config: { endpoint: 'entra.devicelogin' } }, async (request, reply) => {
    const typed = (params(request.body)('otc') ?? '').trim();
    if (typed === '') return sendPage(reply, 200, 'Enter code', deviceCodePage({ error: 'Enter the code displayed on your app or device.' }));
    const record = grants.findByUserCode(typed);
    const state = deviceCodeState(ctx, record);
    if (state !== 'usable') {
      const error =
        state === 'expired'
          ? "The code you entered has expired. Get a new code from the device you're trying to sign in to and try again."
          : state === 'used'
            ? "This code has already been used. Get a new code from the device you're trying to sign in to and try again."
            : "That code didn't work. Check the code and try again.";
      return sendPage(reply, 200, 'Enter code', deviceCodePage({ error, prefill: typed }));
    }
    const app = ctx.directory.findApp(record!.clientId);
    const scopes = parseScopes(record!.scope, '');
    if (!app || scopes instanceof EntraError) {
      return sendPage(reply, 200, 'Enter code', deviceCodePage({ error: "That code didn't work. Check the code and try again." }));
    }
    const authority = authorityFromRef(ctx, record!.authority);
    const flow = flows.create({ kind: 'device', clientId: app.clientId, authority, scopes, deviceCode: record!.deviceCode });
    return showAccountStep(reply, ctx, flow, app);
  });
}

