import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { signOut, SignInError, diagnoseContext } from '../../auth/index.js';
import {
  authorityFor,
  isEmailAddress,
  readSettingsFile,
  redirectUri,
  saveSettings,
  SettingsError,
  type Problem,
} from '../../config/index.js';
import { adminConsentUrl, GUIDE_STEP_INFO, isGuideStep, type ShownDiagnosis, type StoredDiagnosis } from '../../diagnose/index.js';
import { SilenceValidationError } from '../../notify/index.js';
import { cleanText, emailAddressProblem } from '../../shared/index.js';
import { openSecretStore } from '../../secrets/index.js';
import { PasswordError } from './access.js';
import { applyAccountForm, checkAccount, copySettings, isAccountField, readAccountForm } from './account-form.js';
import { isLoopbackPeer, requestOrigin } from './guard.js';
import { applyNotificationsForm } from './notifications-form.js';
import type { PageRuntime } from './runtime.js';
import { pageProblems } from './page-words.js';
import { AccountFormBody, NotificationsFormBody, PasswordFormBody, SilenceFormBody, SilenceIdParams, StateQuery, TestEmailFormBody } from './schemas.js';
import { liveFragments } from './view-page.js';

/**
 * The page's own API under /ui/api (session cookie + CSRF token + same origin, see index.ts):
 * live checks, saving the Account and Notifications forms to settings.yaml, sign-in, test e-mail,
 * silences, the admin password.
 */

function textOf(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function errorsIn(problems: Problem[]): Problem[] {
  return problems.filter((p) => p.severity === 'error');
}

function refuse(reply: FastifyReply, status: number, error: string, problems: Problem[] = []): FastifyReply {
  return reply.code(status).send({ ok: false, error, problems: pageProblems(problems) });
}

/** The Silences form's labels for what the service refused (the same check, in the page's words). */
const SILENCE_LABELS: Record<string, string> = { agent: 'Agent', folder: 'Folder', type: 'Event type', severity: 'Severity' };

function silenceProblem(err: SilenceValidationError, noEnd: boolean): Problem {
  const label = SILENCE_LABELS[err.field];
  const message =
    err.field === 'matchers'
      ? 'fill in at least one of Agent, Folder or Event type: a silence of everything would hide every alert.'
      : err.field === 'endsAt'
        ? noEnd
          ? 'choose when the silence ends (Ends at).'
          : 'Ends at must be in the future.'
        : label
          ? `${label} must be one line of text (* matches anything).`
          : `${err.message}.`;
  return { field: err.field === 'matchers' ? 'agent' : err.field, severity: 'error', message, guideStep: null };
}

/** A stored diagnosis with its guide step's place in the portal, as the page shows it. */
function shownDiagnosis(d: StoredDiagnosis | null | undefined, consentUrl: string | undefined): ShownDiagnosis | undefined {
  if (!d) return undefined;
  const where = isGuideStep(d.guideStep) ? GUIDE_STEP_INFO[d.guideStep].where : undefined;
  return { ...d, where, ...(d.guideStep === 'admin-consent' && consentUrl ? { adminConsentUrl: consentUrl } : {}) };
}

export async function registerApiRoutes(scope: FastifyInstance, page: PageRuntime): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { context } = page;
  const api = { config: { access: 'api' as const } };

  async function fileAndSecret() {
    const file = await readSettingsFile(context.home, context.env);
    const store = await openSecretStore(context.home, context.env);
    return { file, store };
  }

  /** The Account form applied to the file's settings, checked as `config check` would. */
  async function accountCandidate(body: unknown) {
    const form = readAccountForm(body);
    const { file, store } = await fileAndSecret();
    const settings = copySettings(file.settings);
    const unreadable = [...file.problems, ...applyAccountForm(settings, form)];
    const secret = form.clearSecret ? undefined : (form.secret ?? (await store.getClientSecret()));
    return { form, settings, store, problems: checkAccount(settings, unreadable, secret) };
  }

  app.get('/ui/api/state', { ...api, schema: { querystring: StateQuery } }, async (request) => {
    const data = await page.gather(request);
    const withFragments = request.query.fragments !== undefined;
    return {
      checklist: data.checklist,
      banner: data.banner,
      queue: data.status.queue,
      waitingForSignIn: data.status.waitingForSignIn,
      auth: {
        mode: data.auth.mode,
        signedIn: data.auth.signedIn,
        account: data.auth.account,
        signInRequired: data.auth.signInRequired,
        secret: data.auth.secret,
      },
      deviceCode: data.deviceCode,
      ...(withFragments ? { fragments: liveFragments(data) } : {}),
    };
  });

  app.post('/ui/api/check', { ...api, schema: { body: AccountFormBody } }, async (request) => {
    const { settings, problems } = await accountCandidate(request.body);
    return { ok: errorsIn(problems).length === 0, problems: pageProblems(problems), redirectUri: redirectUri(settings) };
  });

  app.post('/ui/api/account', { ...api, schema: { body: AccountFormBody } }, async (request, reply) => {
    const { form, settings, store, problems } = await accountCandidate(request.body);
    const blocking = errorsIn(problems).filter((p) => isAccountField(p.field));
    if (blocking.length > 0) return refuse(reply, 400, `Not saved: ${blocking.length} setting(s) do not follow the guide.`, problems);
    await saveSettings(context.home, settings, context.env);
    if (form.clearSecret) await store.clearClientSecret();
    if (form.secret) await store.setClientSecret(form.secret);
    await context.reloadSettings();
    const secretNote = form.secret ? ' The client secret is stored encrypted.' : form.clearSecret ? ' The client secret was removed.' : '';
    return { ok: true, message: `Account settings saved.${secretNote}`, problems: pageProblems(problems) };
  });

  app.post('/ui/api/notifications', { ...api, schema: { body: NotificationsFormBody } }, async (request, reply) => {
    const file = await readSettingsFile(context.home, context.env);
    const { settings, problems } = applyNotificationsForm(file.settings, request.body);
    if (errorsIn(problems).length > 0) return refuse(reply, 400, 'Not saved: some notification settings cannot be used.', problems);
    await saveSettings(context.home, settings, context.env);
    await context.reloadSettings();
    return { ok: true, message: 'Notification settings saved.', problems: pageProblems(problems) };
  });

  app.post('/ui/api/silences', { ...api, schema: { body: SilenceFormBody } }, async (request, reply) => {
    const body = request.body;
    const matchers: Record<string, string> = {};
    for (const label of ['type', 'agent', 'folder', 'severity'] as const) if (textOf(body[label])) matchers[label] = textOf(body[label]);
    try {
      await context.service.addSilence({ matchers, endsAt: textOf(body.endsAt), comment: textOf(body.comment), createdBy: 'settings page' });
    } catch (err) {
      if (err instanceof SilenceValidationError) {
        const problem = silenceProblem(err, textOf(body.endsAt) === '');
        return refuse(reply, 400, `Not added: ${problem.message}`, [problem]);
      }
      throw err;
    }
    return { ok: true, message: 'Silence added.' };
  });

  app.delete('/ui/api/silences/:id', { ...api, schema: { params: SilenceIdParams } }, async (request, reply) => {
    if (!(await context.service.removeSilence(request.params.id))) return refuse(reply, 404, 'No such silence (it may have ended already).');
    return { ok: true, message: 'Silence ended.' };
  });

  async function sessionOrRefuse(reply: FastifyReply) {
    try {
      return await context.authSession();
    } catch (err) {
      const problems = err instanceof SettingsError ? err.problems : [];
      refuse(reply, 400, `The settings cannot be used to sign in yet: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, problems);
      return undefined;
    }
  }

  app.post('/ui/api/signin/browser', api, async (request, reply) => {
    if (!isLoopbackPeer(request)) {
      return refuse(reply, 400, 'The browser sign-in returns to http://localhost on the machine that runs the service; from another machine, sign in with a code.');
    }
    try {
      const url = await page.flows.startBrowser(page.pageRedirectUri(), requestOrigin(request));
      return { ok: true, url };
    } catch (err) {
      const problems = err instanceof SettingsError ? err.problems : [];
      return refuse(reply, 400, err instanceof Error ? err.message.split('\n')[0]! : String(err), problems);
    }
  });

  app.post('/ui/api/signin/device-code', api, async (_request, reply) => {
    try {
      return await page.flows.startDeviceCode();
    } catch (err) {
      const problems = err instanceof SettingsError ? err.problems : [];
      return refuse(reply, 400, err instanceof Error ? err.message.split('\n')[0]! : String(err), problems);
    }
  });

  app.get('/ui/api/signin/status', api, async () => page.flows.deviceCodeStatus());

  app.post('/ui/api/signin/cancel', api, async () => {
    page.flows.cancelDeviceCode();
    return { ok: true, message: 'Sign-in cancelled.' };
  });

  app.post('/ui/api/signin/app-only', api, async (_request, reply) => {
    try {
      const result = await page.flows.signInAppOnly();
      return { ok: true, message: `App-only sign-in works: Mail.Send is granted; mail is sent as ${result.account.username}.` };
    } catch (err) {
      if (err instanceof SignInError) return reply.code(400).send({ ok: false, error: err.message, diagnosis: err.diagnosis ? shownDiagnosis(err.diagnosis, err.diagnosis.adminConsentUrl) : undefined });
      const problems = err instanceof SettingsError ? err.problems : [];
      return refuse(reply, 400, err instanceof Error ? err.message.split('\n')[0]! : String(err), problems);
    }
  });

  app.post('/ui/api/signout', api, async (_request, reply) => {
    const session = await sessionOrRefuse(reply);
    if (!session) return reply;
    page.flows.cancelDeviceCode();
    await signOut(session);
    return { ok: true, message: 'Signed out: the tokens were removed. E-mails wait until someone signs in again.' };
  });

  app.post('/ui/api/checks', api, async (_request, reply) => {
    const session = await sessionOrRefuse(reply);
    if (!session) return reply;
    try {
      authorityFor(session.settings);
    } catch (err) {
      return refuse(reply, 400, 'Fix the account settings first.', err instanceof SettingsError ? err.problems : []);
    }
    if (session.settings.account.auth !== 'app-only') await page.flows.probe(session);
    return { ok: true, message: 'Checked again with Microsoft Entra ID.' };
  });

  app.post('/ui/api/test-email', { ...api, schema: { body: TestEmailFormBody } }, async (request, reply) => {
    const to = textOf(request.body.to)
      .split(/[,;\s]+/)
      .filter((a) => a !== '');
    const bad = to.filter((a) => !isEmailAddress(a));
    if (bad.length > 0) {
      const why = bad.map((a) => `"${cleanText(a.slice(0, 100))}" is not an e-mail address (${emailAddressProblem(a)})`);
      return refuse(reply, 400, `Not sent: ${why.join('; ')}.`, [{ field: 'to', severity: 'error', message: `${why.join('; ')}.`, guideStep: 'recipients' }]);
    }
    let result;
    try {
      result = await context.service.sendTestEmail({ to });
    } catch (err) {
      return refuse(reply, 400, err instanceof Error ? err.message : String(err));
    }
    const record = await context.service.store.outbox.get(result.id);
    const recipients = record?.to.join(', ') ?? to.join(', ');
    if (result.status === 'sent') {
      return { ok: true, status: result.status, message: `Sent: Microsoft Graph accepted the test e-mail to ${recipients}.` };
    }
    const file = await readSettingsFile(context.home, context.env).catch(() => undefined);
    const consentUrl = file ? adminConsentUrl(diagnoseContext(file.settings)) : undefined;
    const failure = result.failure;
    const what =
      result.status === 'waiting-sign-in'
        ? 'Not sent: it waits until the sign-in works again.'
        : result.status === 'queued'
          ? 'Not sent yet: it will be tried again.'
          : 'Not sent.';
    return { ok: false, status: result.status, error: `${what} ${failure?.message ?? ''}`.trim(), diagnosis: shownDiagnosis(failure?.diagnosis, consentUrl) };
  });

  app.post('/ui/api/password', { ...api, schema: { body: PasswordFormBody } }, async (request, reply) => {
    const body = request.body;
    const current = typeof body.currentPassword === 'string' ? body.currentPassword : '';
    const next = typeof body.password === 'string' ? body.password : '';
    const isSet = Boolean(await page.access.passwordSetAt());
    if (isSet) {
      if (page.access.loginsBlocked()) return refuse(reply, 429, 'Too many wrong passwords: wait ten minutes.');
      if (!(await page.access.verifyPassword(current))) {
        return refuse(reply, 403, 'Not changed: the current password is wrong.', [{ field: 'currentPassword', severity: 'error', message: 'The current password is wrong.', guideStep: null }]);
      }
      if (next === '') {
        await page.access.clearPassword();
        return { ok: true, message: 'The admin password was removed: the page opens only with a sign-in link.' };
      }
    }
    try {
      await page.access.setPassword(next);
    } catch (err) {
      if (err instanceof PasswordError) return refuse(reply, 400, err.message, [{ field: 'password', severity: 'error', message: err.message, guideStep: null }]);
      throw err;
    }
    // Anyone else signed in with the old password is signed out.
    page.access.endAllSessions(page.sessionId(request));
    return { ok: true, message: isSet ? 'The admin password was changed.' : 'The admin password is set.' };
  });
}
