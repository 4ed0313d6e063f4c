import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthSession } from '../../auth/index.js';
import { SettingsError, SettingsFileError } from '../../config/index.js';
import type { NotificationService } from '../../notify/index.js';
import { pageAccessFor, ADMIN_LINK_LIFETIME_MS } from './access.js';
import { addLinkToken } from './link-file.js';
import { isSameOrigin, isStateChanging, setSecurityHeaders } from './guard.js';
import { registerAccessRoutes } from './routes-access.js';
import { registerApiRoutes } from './routes-api.js';
import { PageRegistration } from './register-flow.js';
import { registerRegistrationRoutes } from './routes-register.js';
import { PageRuntime } from './runtime.js';
import { SignInFlows } from './sign-in-flows.js';
import { errorPage } from './view-layout.js';
import type {} from '../route-config.js';
import type { PageStoreReads } from './page-data.js';

/**
 * The seam between the service (src/server) and the settings page (src/server/page):
 * what the page may use of the running service. The service builds one and calls
 * registerSettingsPage(app, context) on its Fastify instance.
 */
export interface PageContext {
  home: string;
  env: NodeJS.ProcessEnv;
  /** The service's own base URL as it listens, e.g. http://127.0.0.1:8025. */
  baseUrl(): string;
  /** The running pipeline: status, deliveries, test e-mail, silences, rules. */
  service: NotificationService;
  /** What the page reads beyond the port, on SQLite or PostgreSQL: an event's text, the relay's queue. */
  store: PageStoreReads;
  /** The sign-in session of the current settings (re-created after settings change). */
  authSession(): Promise<AuthSession>;
  /** Call after the settings file changed: the service re-reads settings (rules, mailer, sign-in). */
  reloadSettings(): Promise<void>;
  /** Call after a sign-in completed: e-mails waiting for a sign-in go out. */
  signedIn(): Promise<void>;
}

export { ADMIN_LINK_LIFETIME_MS } from './access.js';
export { CONTENT_SECURITY_POLICY } from './guard.js';

/** How a route is guarded: `api` needs the session cookie, and for changes the CSRF token and our origin. */
type RouteAccess = 'api' | undefined;

const CSRF_HEADER = 'x-csrf-token';

/**
 * The origin the administrator should use. A loopback service is reached as `localhost`, the host
 * the browser sign-in's redirect URI (`http://localhost:PORT`) returns to, so the page, the
 * sign-in's return and the session cookie all share one site.
 */
function adminOrigin(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (['127.0.0.1', '[::1]', '0.0.0.0', '[::]', 'localhost'].includes(url.hostname)) url.hostname = 'localhost';
  return url.origin;
}

/**
 * A one-time sign-in link to the settings page, for `serve` and `demo` to print: it works once,
 * within 15 minutes, and is exchanged for a session cookie. Only the token's hash is kept.
 */
export function createAdminLink(context: Pick<PageContext, 'home' | 'baseUrl'>, options: { lifetimeMs?: number } = {}): string {
  const token = pageAccessFor(context.home).createLinkToken(options.lifetimeMs ?? ADMIN_LINK_LIFETIME_MS);
  return `${adminOrigin(context.baseUrl())}/?login=${token}`;
}

/**
 * A one-time sign-in link made outside the service (`o365-notify page link`): the token goes into
 * the home dir for the running service to spend; `baseUrl` is where that service listens.
 */
export async function createStoredAdminLink(home: string, baseUrl: string, options: { lifetimeMs?: number } = {}): Promise<string> {
  const token = await addLinkToken(home, options.lifetimeMs ?? ADMIN_LINK_LIFETIME_MS);
  return `${adminOrigin(baseUrl)}/?login=${token}`;
}

function wantsJson(request: FastifyRequest): boolean {
  return request.url.startsWith('/ui/api/') || request.url.startsWith('/ui/logout');
}

/** Registers `/` (the settings page), its assets and its own API under `/ui/`. */
export async function registerSettingsPage(app: FastifyInstance, context: PageContext): Promise<void> {
  // An encapsulated plugin: the form parser, hooks and error handler apply to the page's routes only.
  await app.register(async (scope) => {
    const access = pageAccessFor(context.home);
    const flows = new SignInFlows(context.home, { session: () => context.authSession(), signedIn: () => context.signedIn() });
    const page = new PageRuntime(context, access, flows);

    if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) {
      // Entra's form_post answer and the password form; small by nature.
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
    }

    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      setSecurityHeaders(reply);
      const routeAccess: RouteAccess = request.routeOptions.config?.access;
      if (routeAccess !== 'api') return;
      const changes = isStateChanging(request.method);
      // A cross-site request is refused whatever it carries.
      if (changes && !isSameOrigin(request)) {
        return reply.code(403).send({ ok: false, error: 'Refused: the request does not come from this service\'s own page (Origin check).' });
      }
      const sessionId = page.sessionId(request);
      if (!sessionId) {
        return reply.code(401).send({ ok: false, error: 'Not signed in to the settings page: open the sign-in link the service printed.' });
      }
      const token = request.headers[CSRF_HEADER];
      if (changes && !access.checkCsrfToken(sessionId, typeof token === 'string' ? token : undefined)) {
        return reply.code(403).send({ ok: false, error: 'Refused: the request carries no valid CSRF token. Reload the page and try again.' });
      }
    });

    // The page's forms read a missing or non-object body as an empty form (schemas.ts): the fields'
    // own checks then say what is missing, in the page's words.
    scope.addHook('preValidation', async (request) => {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      const body: unknown = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) request.body = {};
    });

    scope.setErrorHandler(async (err, request, reply) => {
      const status = (err as { statusCode?: number }).statusCode;
      let code = 500;
      let message = 'Something went wrong on the service; see its log.';
      if (err instanceof SettingsFileError || err instanceof SettingsError) {
        code = 400;
        message = err.message.split('\n')[0]!;
      } else if (status !== undefined && status >= 400 && status < 500) {
        code = status;
        message = (err as Error).message;
      } else {
        request.log.error({ err }, 'settings page request failed');
      }
      if (wantsJson(request)) return reply.code(code).send({ ok: false, error: message, problems: err instanceof SettingsError ? err.problems : [] });
      return reply.code(code).type('text/html; charset=utf-8').send(errorPage('Error', message));
    });

    await registerAccessRoutes(scope, page);
    await registerApiRoutes(scope, page);
    await registerRegistrationRoutes(scope, new PageRegistration(context.home, context.env, () => context.reloadSettings()));
  });
}
