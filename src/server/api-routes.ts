import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuthStatus } from '../auth/index.js';
import { isEmailAddress, secretExpiryThreshold, type NotificationService } from '../notify/index.js';
import { parseEventPayload, alertmanagerToEvents } from '../intake/index.js';
import { AlertsBody, DEFAULT_PAGE, DeliveriesQuery, EventsBody, SilenceBody, SilenceParams, SilencesQuery, TestEmailBody } from './api-schemas.js';
import type { ApiTokenVerifier } from './api-token.js';
import type { JsonBody } from './route-config.js';
import { requireApiToken } from './auth-hook.js';
import { HttpError, UNSUPPORTED_MEDIA_TYPE, isoTimes, saturated, sendError, tooLarge } from './http.js';

export interface ApiDeps {
  service: NotificationService;
  tokens: ApiTokenVerifier;
  /** The sign-in's health (src/auth readAuthStatus) for the current settings. */
  authStatus(): Promise<AuthStatus>;
  logger: Logger;
  /** Largest request body for events and alerts (bytes). */
  maxBodyBytes: number;
  clock?: () => number;
}

const SMALL_BODY_BYTES = 64 * 1024;
const RETRY_AFTER_SECONDS = 30;

/** How a route takes its JSON body (route `config.json`); without it a route needs one. */
function jsonConfig(request: FastifyRequest): JsonBody {
  return request.routeOptions.config?.json ?? {};
}

/** Strict UTF-8 JSON (invalid bytes are an error, not U+FFFD), or a 400/413. */
function decodeJson(bytes: Buffer, limit: number): unknown {
  const parsed = parseEventPayload(bytes, limit);
  if (parsed.ok) return parsed.value;
  if (parsed.tooLarge) throw tooLarge(limit);
  throw new HttpError(400, 'invalid-json', parsed.errors[0]?.message ?? 'The request body is not valid JSON.', parsed.errors);
}

/** `<createdAt>_<id>` of the last delivery on a page: where the next page starts. */
function encodeCursor(n: { createdAt: number; id: string }): string {
  return `${n.createdAt}_${n.id}`;
}

function decodeCursor(value: string): { createdAt: number; id: string } {
  const m = /^(\d{1,16})_([A-Za-z0-9-]{1,64})$/.exec(value);
  if (!m) throw new HttpError(400, 'bad-request', '"before" must be the "next" value of a previous page');
  return { createdAt: Number(m[1]), id: m[2]! };
}

/**
 * `/api/v1/*`: events in (one or an array, or Alertmanager's webhook), and status, delivery
 * history, test e-mail and silences out. Every route needs the API token. Bodies are read as
 * bytes and decoded strictly by our parser (Fastify's own would turn invalid UTF-8 into U+FFFD);
 * the request shapes are in api-schemas.ts.
 */
export async function apiRoutes(scope: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { service } = deps;
  const clock = deps.clock ?? Date.now;

  api.removeAllContentTypeParsers();
  api.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(new HttpError(415, 'unsupported-media-type', `The body must be UTF-8 JSON, not ${charset.slice(0, 40)}.`), undefined);
      return;
    }
    const json = jsonConfig(request);
    if (json.optional && body.length === 0) return done(null, {});
    try {
      done(null, decodeJson(body as Buffer, json.limit ?? deps.maxBodyBytes));
    } catch (err) {
      done(err as HttpError, undefined);
    }
  });
  api.addContentTypeParser('*', (_request, _payload, done) => done(new HttpError(415, 'unsupported-media-type', UNSUPPORTED_MEDIA_TYPE), undefined));

  api.addHook('onRequest', requireApiToken(deps.tokens));
  // A request that came without a body (nothing for the parser to read): 415 where one is needed.
  api.addHook('preValidation', async (request) => {
    if (request.body !== undefined || !['POST', 'PUT', 'PATCH'].includes(request.method)) return;
    if (!jsonConfig(request).optional) throw new HttpError(415, 'unsupported-media-type', UNSUPPORTED_MEDIA_TYPE);
    request.body = {};
  });
  api.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not-found', `No API route ${request.method} ${request.url.split('?')[0]}. See GET /api/v1/status, POST /api/v1/events.`));

  // Backpressure before the body is read: a saturated store costs the client one round trip, not an upload.
  const roomForEvents = async (_request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (service.hasRoomFor(1)) return;
    const err = saturated(RETRY_AFTER_SECONDS);
    reply.header('retry-after', err.headers['retry-after']!);
    await sendError(reply, 429, err.code, err.message);
  };

  api.post('/events', { onRequest: roomForEvents, schema: { body: EventsBody } }, async (request, reply) => {
    const ids = await service.submit(request.body);
    return reply.code(202).send({ ids });
  });

  api.post('/alerts', { onRequest: roomForEvents, schema: { body: AlertsBody } }, async (request, reply) => {
    const mapped = alertmanagerToEvents(request.body, clock());
    if (!mapped.ok) {
      return sendError(reply, 400, 'invalid-alertmanager-payload', 'This is not an Alertmanager webhook payload (version 4) the service can use; nothing was stored.', mapped.errors);
    }
    try {
      const ids = await service.submit(mapped.events);
      return await reply.code(202).send({ ids });
    } catch (err) {
      if (err instanceof Error && 'errors' in err && Array.isArray(err.errors)) {
        // Name the alert the problem came from: `[2].summary` -> `alerts[2] summary`.
        const errors = (err.errors as { path: string; message: string }[]).map((e) => ({
          path: e.path.replace(/^\[(\d+)\]\.?/, 'alerts[$1] ').trim(),
          message: e.message,
        }));
        return sendError(reply, 400, 'invalid-events', 'Alerts in this payload cannot be used as events; nothing was stored.', errors);
      }
      throw err;
    }
  });

  api.get('/status', async () => {
    const signIn = await deps.authStatus();
    const expiresOn = signIn.secret.expiresOn;
    return {
      service: isoTimes(await service.status()),
      signIn,
      secretExpiry: expiresOn
        ? { expiresOn, daysLeft: signIn.secret.daysLeft ?? null, warning: secretExpiryThreshold(expiresOn, clock()) }
        : null,
    };
  });

  api.get('/deliveries', { schema: { querystring: DeliveriesQuery } }, async (request) => {
    const { limit = DEFAULT_PAGE, status, bodies } = request.query;
    const before = request.query.before === undefined ? undefined : decodeCursor(request.query.before);
    const includeBodies = bodies === '1' || bodies === 'true';
    const page = await service.deliveries({ limit, before, status, includeBodies });
    const last = page[page.length - 1];
    return { deliveries: isoTimes(page), next: page.length === limit && last ? encodeCursor(last.notification) : null };
  });

  const small = { json: { limit: SMALL_BODY_BYTES } };
  api.post('/test-email', { config: { json: { limit: SMALL_BODY_BYTES, optional: true } }, schema: { body: TestEmailBody } }, async (request, reply) => {
    const toInput = request.body.to;
    const to = toInput === undefined || toInput === null ? [] : Array.isArray(toInput) ? toInput : [toInput];
    if (!to.every((a) => isEmailAddress(a.trim()))) {
      throw new HttpError(400, 'bad-request', TestEmailBody.properties.to.errorMessage!);
    }
    if (to.length === 0 && service.rules.adminRecipients.length === 0) {
      throw new HttpError(400, 'no-recipient', 'No recipient: pass {"to": "..."}, or set recipients with `o365-notify setup --to ...`.');
    }
    const result = await service.sendTestEmail({ to: to.map((a) => a.trim()) });
    const answer = { ok: result.status === 'sent', id: result.id, status: result.status, error: result.failure?.message ?? null, diagnosis: result.failure?.diagnosis ?? null };
    return reply.code(result.status === 'sent' ? 200 : 502).send(answer);
  });

  // Active silences; `?all=1` adds those that ended or were removed.
  api.get('/silences', { schema: { querystring: SilencesQuery } }, async (request) => {
    const { all } = request.query;
    const { store, settings } = await service.listSilences();
    const now = clock();
    const shown = all === '1' || all === 'true' ? store : store.filter((s) => s.removedAt === null && s.endsAt > now);
    return { silences: isoTimes(shown), fromSettings: isoTimes(settings.filter((s) => s.endsAt > now)) };
  });

  api.post('/silences', { config: small, schema: { body: SilenceBody } }, async (request, reply) => {
    const body = request.body;
    // null is "not given", as before the schema.
    const endsAt = body.endsAt ?? undefined;
    if (endsAt === undefined) throw new HttpError(400, 'invalid-silence', '"endsAt" is required: when the silence ends (ISO 8601, e.g. 2026-12-01T00:00:00Z)');
    const silence = await service.addSilence({
      matchers: body.matchers,
      endsAt,
      startsAt: body.startsAt ?? undefined,
      comment: body.comment ?? undefined,
      createdBy: body.createdBy ?? 'api',
    });
    return reply.code(201).send(isoTimes(silence));
  });

  api.delete('/silences/:id', { schema: { params: SilenceParams } }, async (request, reply) => {
    const { id } = request.params;
    if (!(await service.removeSilence(id))) return sendError(reply, 404, 'not-found', `No active silence with id ${id.slice(0, 64)}.`);
    return reply.code(204).send();
  });
}

