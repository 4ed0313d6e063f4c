import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  ACCOUNT_TYPES,
  AUTH_MODES,
  isDomainName,
  isEmailAddress,
  isGuid,
  PERSONAL_ACCOUNTS_REFUSAL,
  REFUSED_ACCOUNT_TYPE,
  type AccountType,
  type AuthMode,
  type Problem,
} from '../../config/index.js';
import { GRAPH_CLI_TOOLS_APP_ID, PROPAGATION_WAIT_MS } from '../../registration/index.js';
import { pageProblems } from './page-words.js';
import type { PageRegistration } from './register-flow.js';
import { RegisterFormBody } from './schemas.js';

/** The secret lifetime the portal recommends, as `register --secret-expires` defaults to. */
const SECRET_LIFETIME_MS = 180 * 86_400_000;

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function problem(field: string, message: string): Problem {
  return { field, severity: 'error', message, guideStep: field === 'account.type' ? 'account-type' : null };
}

/**
 * "Register for me" (issue 15.1): POST /ui/api/register starts `register` with what the Account form
 * shows (account type, sign-in method, Tenant ID, sender); GET /ui/api/register/status is polled.
 * Same guard as the page's other API routes (session, CSRF, same origin).
 */
export async function registerRegistrationRoutes(scope: FastifyInstance, registration: PageRegistration): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const api = { config: { access: 'api' as const } };

  const refuse = (reply: FastifyReply, error: string, problems: Problem[]) => reply.code(400).send({ ok: false, error, problems: pageProblems(problems) });

  app.post('/ui/api/register', { ...api, schema: { body: RegisterFormBody } }, async (request, reply) => {
    if (registration.busy()) return reply.code(409).send({ ok: false, error: 'A registration is already running: finish its sign-in first.' });
    const body = request.body;
    const type = text(body.type) || 'single-tenant';
    const auth = text(body.auth) || 'device-code';
    const tenant = text(body.tenantId) || undefined;
    const sender = text(body.sender) || undefined;
    const problems: Problem[] = [];
    if (type === REFUSED_ACCOUNT_TYPE) problems.push(problem('account.type', PERSONAL_ACCOUNTS_REFUSAL));
    else if (!(ACCOUNT_TYPES as readonly string[]).includes(type)) problems.push(problem('account.type', 'Choose one of the supported account types.'));
    if (!(AUTH_MODES as readonly string[]).includes(auth)) problems.push(problem('account.auth', 'Choose a sign-in method.'));
    if (tenant !== undefined && !isGuid(tenant) && !isDomainName(tenant)) problems.push(problem('account.tenantId', 'Tenant ID must be the Directory (tenant) ID or a verified domain.'));
    if (auth === 'app-only' && tenant === undefined) problems.push(problem('account.tenantId', 'App-only needs the Tenant ID: an app-only sign-in is always to one tenant.'));
    if (auth === 'app-only' && (sender === undefined || !isEmailAddress(sender))) problems.push(problem('account.sender', 'App-only needs the mailbox to send as (Send as).'));
    if (problems.length > 0) return refuse(reply, `Not started: ${problems.map((p) => p.message).join(' ')}`, problems);
    const view = await registration.start({
      accountType: type as AccountType,
      auth: auth as AuthMode,
      displayName: 'ImageManager',
      tenant,
      grantAdminConsent: body.grantAdminConsent !== false && body.grantAdminConsent !== 'false',
      secretLifetimeMs: SECRET_LIFETIME_MS,
      propagationMs: PROPAGATION_WAIT_MS,
      sender,
      bootstrapClientId: GRAPH_CLI_TOOLS_APP_ID,
    });
    return view.state === 'failed' ? reply.code(400).send({ ok: false, ...view }) : { ok: true, ...view };
  });

  app.get('/ui/api/register/status', api, async () => registration.status());
}
