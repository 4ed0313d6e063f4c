import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SignInError } from '../../auth/index.js';
import { PAGE_SCRIPT } from './client-script.js';
import { FAVICON_PATH, FAVICON_SVG } from './favicon.js';
import { isLoopbackPeer, isSameOrigin } from './guard.js';
import { html } from './html.js';
import { takeLinkToken } from './link-file.js';
import type { PageRuntime } from './runtime.js';
import { LoginForm, PageQuery, SignInAnswer } from './schemas.js';
import { PAGE_CSS } from './style.js';
import { documentPage, errorPage, lockedPage, signInFinishedPage } from './view-layout.js';
import { settingsPage } from './view-page.js';

/**
 * The page itself and the ways in: `GET /` (with `?login=TOKEN`, the one-time link), the password
 * form, locking the page, the assets, and `POST /` where Entra's form_post answer of a browser
 * sign-in arrives.
 */

function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

function text(value: unknown): string | undefined {
  if (Array.isArray(value)) return text(value[0]);
  return typeof value === 'string' ? value : undefined;
}

export async function registerAccessRoutes(scope: FastifyInstance, page: PageRuntime): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/ui/page.js', async (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(PAGE_SCRIPT),
  );
  app.get('/ui/page.css', async (_request, reply) => reply.header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(PAGE_CSS));
  for (const path of [FAVICON_PATH, '/favicon.ico']) {
    app.get(path, async (_request, reply) => reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON_SVG));
  }

  app.get('/', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const query = request.query;
    const token = text(query.login);
    if (token !== undefined) {
      // A link the service printed (in memory), or one `o365-notify page link` wrote to the home dir.
      if (!page.access.redeemLinkToken(token) && !(await takeLinkToken(page.access.home, token))) {
        return sendHtml(reply, 401, lockedPage({ passwordSet: Boolean(await page.access.passwordSetAt()), message: 'This sign-in link was already used or has expired.' }));
      }
      page.startSession(request, reply);
      // Drop the token from the address bar and the history.
      return reply.code(303).header('location', '/').send();
    }
    const sessionId = page.sessionId(request);
    if (!sessionId) {
      if (text(query.resume) !== undefined) {
        // Back from Microsoft's sign-in (a cross-site navigation, without our SameSite=Strict
        // cookie): one same-site reload brings the cookie along.
        return sendHtml(reply, 200, documentPage({ title: 'o365-notify', body: html`<main id="main"><p><a href="/">Continue to the settings page</a></p></main>`, refreshTo: '/', refreshSeconds: 0 }));
      }
      return sendHtml(reply, 401, lockedPage({ passwordSet: Boolean(await page.access.passwordSetAt()) }));
    }
    const data = await page.gather(request);
    return sendHtml(reply, 200, settingsPage(data, page.access.csrfToken(sessionId)));
  });

  app.post('/ui/login', { schema: { body: LoginForm } }, async (request, reply) => {
    if (!isSameOrigin(request)) return sendHtml(reply, 403, errorPage('Refused', 'The sign-in form must be sent from this service\'s own page.'));
    const passwordSet = Boolean(await page.access.passwordSetAt());
    if (page.access.loginsBlocked()) {
      return sendHtml(reply, 429, lockedPage({ passwordSet, message: 'Too many wrong passwords: wait ten minutes, or use a sign-in link.' }));
    }
    const password = text(request.body.password) ?? '';
    if (!passwordSet || !(await page.access.verifyPassword(password))) {
      return sendHtml(reply, 401, lockedPage({ passwordSet, message: 'Wrong password.' }));
    }
    page.startSession(request, reply);
    return reply.code(303).header('location', '/').send();
  });

  app.post('/ui/logout', { config: { access: 'api' as const } }, async (request, reply) => {
    page.endSession(request, reply);
    return { ok: true, message: 'The page is locked.' };
  });

  /**
   * Entra ID's answer to a browser sign-in started from the page (response_mode=form_post to
   * redirect_uri http://localhost:PORT). It is cross-site, so it carries no session cookie: it is
   * trusted through `state`, which only the sign-in this page started knows.
   */
  app.post('/', { schema: { body: SignInAnswer } }, async (request, reply) => {
    const body = request.body;
    if (!isLoopbackPeer(request)) {
      return sendHtml(reply, 403, errorPage('Refused', 'Sign-in answers are accepted only from this machine (redirect URI http://localhost).'));
    }
    const pending = page.flows.takeBrowser(text(body.state));
    if (!pending) {
      return sendHtml(
        reply,
        400,
        errorPage('Sign-in not in progress', 'This answer does not belong to a sign-in started on this page, or it came too late. Start the sign-in again from the settings page.'),
      );
    }
    const returnTo = `${pending.returnTo}/?resume=1`;
    try {
      const result = await page.flows.completeBrowser(pending, {
        code: text(body.code),
        state: text(body.state),
        clientInfo: text(body.client_info),
        error: text(body.error),
        errorDescription: text(body.error_description),
      });
      return sendHtml(reply, 200, signInFinishedPage({ ok: true, title: 'Signed in', lines: [`Signed in as ${result.account.username}.`, ...result.notes], returnTo }));
    } catch (err) {
      const lines = [err instanceof Error ? err.message : String(err)];
      if (err instanceof SignInError && err.diagnosis) lines.push(`How to fix: ${err.diagnosis.fix}`);
      return sendHtml(reply, 200, signInFinishedPage({ ok: false, title: 'Sign-in failed', lines, returnTo }));
    }
  });
}
