import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuthStatus } from '../auth/index.js';
import { isEmailAddress, secretExpiryThreshold, type NotificationService } from '../notify/index.js';
import { parseEventPayload, alertmanagerToEvents } from '../intake/index.js';
import { NOTIFICATION_STATUSES, type NotificationStatus } from '../store/index.js';
import type { ApiTokenVerifier } from './api-token.js';
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
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/** The raw body as bytes (our JSON parser keeps it so), or 415 when it was not sent as JSON. */
function jsonBytes(request: FastifyRequest, required: boolean): Buffer | undefined {
  if (Buffer.isBuffer(request.body)) return request.body;
  if (request.body === undefined && !required) return undefined;
  throw new HttpError(415, 'unsupported-media-type', UNSUPPORTED_MEDIA_TYPE);
}

/** Strict UTF-8 JSON (invalid bytes are an error, not U+FFFD), or a 400/413. */
function decodeJson(bytes: Buffer, limit: number): unknown {
  const parsed = parseEventPayload(bytes, limit);
  if (parsed.ok) return parsed.value;
  if (parsed.tooLarge) throw tooLarge(limit);
  throw new HttpError(400, 'invalid-json', parsed.errors[0]?.message ?? 'The request body is not valid JSON.', parsed.errors);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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
 * bytes and decoded strictly here (Fastify's own JSON parser would turn invalid UTF-8 into U+FFFD).
 */
export async function apiRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { service } = deps;
  const clock = deps.clock ?? Date.now;

  api.removeAllContentTypeParsers();
  api.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(new HttpError(415, 'unsupported-media-type', `The body must be UTF-8 JSON, not ${charset.slice(0, 40)}.`), undefined);
      return;
    }
    done(null, body);
  });
  api.addContentTypeParser('*', (_request, _payload, done) => done(new HttpError(415, 'unsupported-media-type', UNSUPPORTED_MEDIA_TYPE), undefined));

  api.addHook('onRequest', requireApiToken(deps.tokens));
  api.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not-found', `No API route ${request.method} ${request.url.split('?')[0]}. See GET /api/v1/status, POST /api/v1/events.`));

  // Backpressure before the body is read: a saturated store costs the client one round trip, not an upload.
  const roomForEvents = async (_request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (service.hasRoomFor(1)) return;
    const err = saturated(RETRY_AFTER_SECONDS);
    reply.header('retry-after', err.headers['retry-after']!);
    await sendError(reply, 429, err.code, err.message);
  };

  api.post('/events', { onRequest: roomForEvents }, async (request, reply) => {
    const input = decodeJson(jsonBytes(request, true)!, deps.maxBodyBytes);
    const ids = await service.submit(input);
    return reply.code(202).send({ ids });
  });

  api.post('/alerts', { onRequest: roomForEvents }, async (request, reply) => {
    const payload = decodeJson(jsonBytes(request, true)!, deps.maxBodyBytes);
    const mapped = alertmanagerToEvents(payload, clock());
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
      service: isoTimes(service.status()),
      signIn,
      secretExpiry: expiresOn
        ? { expiresOn, daysLeft: signIn.secret.daysLeft ?? null, warning: secretExpiryThreshold(expiresOn, clock()) }
        : null,
    };
  });

  api.get('/deliveries', async (request) => {
    const query = request.query as Record<string, string | undefined>;
    let limit = DEFAULT_PAGE;
    if (query.limit !== undefined) {
      limit = Number(query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new HttpError(400, 'bad-request', `"limit" must be a whole number from 1 to ${MAX_PAGE}`);
    }
    let status: NotificationStatus | undefined;
    if (query.status !== undefined) {
      if (!(NOTIFICATION_STATUSES as readonly string[]).includes(query.status)) {
        throw new HttpError(400, 'bad-request', `"status" must be one of ${NOTIFICATION_STATUSES.join(', ')}`);
      }
      status = query.status as NotificationStatus;
    }
    const before = query.before === undefined ? undefined : decodeCursor(query.before);
    const includeBodies = query.bodies === '1' || query.bodies === 'true';
    const page = service.deliveries({ limit, before, status, includeBodies });
    const last = page[page.length - 1];
    return { deliveries: isoTimes(page), next: page.length === limit && last ? encodeCursor(last.notification) : null };
  });

  api.post('/test-email', async (request, reply) => {
    const bytes = jsonBytes(request, false);
    const body = bytes && bytes.length > 0 ? decodeJson(bytes, SMALL_BODY_BYTES) : {};
    if (!isObject(body)) throw new HttpError(400, 'bad-request', 'The body must be a JSON object such as {"to": "admin@contoso.com"}');
    const toInput = body.to;
    const to = toInput === undefined || toInput === null ? [] : Array.isArray(toInput) ? toInput : [toInput];
    if (to.length > 20 || !to.every((a): a is string => typeof a === 'string' && isEmailAddress(a.trim()))) {
      throw new HttpError(400, 'bad-request', '"to" must be an e-mail address (or a list of at most 20), such as admin@contoso.com');
    }
    if (to.length === 0 && service.rules.adminRecipients.length === 0) {
      throw new HttpError(400, 'no-recipient', 'No recipient: pass {"to": "..."}, or set recipients with `o365-notify setup --to ...`.');
    }
    const result = await service.sendTestEmail({ to: to.map((a) => a.trim()) });
    const answer = { ok: result.status === 'sent', id: result.id, status: result.status, error: result.failure?.message ?? null, diagnosis: result.failure?.diagnosis ?? null };
    return reply.code(result.status === 'sent' ? 200 : 502).send(answer);
  });

  // Active silences; `?all=1` adds those that ended or were removed.
  api.get('/silences', async (request) => {
    const all = (request.query as Record<string, string | undefined>).all;
    const { store, settings } = service.listSilences();
    const now = clock();
    const shown = all === '1' || all === 'true' ? store : store.filter((s) => s.removedAt === null && s.endsAt > now);
    return { silences: isoTimes(shown), fromSettings: isoTimes(settings.filter((s) => s.endsAt > now)) };
  });

  api.post('/silences', async (request, reply) => {
    const body = decodeJson(jsonBytes(request, true)!, SMALL_BODY_BYTES);
    if (!isObject(body) || !isObject(body.matchers)) {
      throw new HttpError(400, 'invalid-silence', 'Send {"matchers": {"type": "imagemanager.*", "agent": "SRV1"}, "endsAt": "2026-12-01T00:00:00Z", "comment": "..."}');
    }
    const str = (v: unknown, name: string): string | undefined => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw new HttpError(400, 'invalid-silence', `"${name}" must be a string`);
      return v;
    };
    const endsAt = str(body.endsAt, 'endsAt');
    if (endsAt === undefined) throw new HttpError(400, 'invalid-silence', '"endsAt" is required: when the silence ends (ISO 8601, e.g. 2026-12-01T00:00:00Z)');
    const silence = service.addSilence({
      matchers: body.matchers as Record<string, string>,
      endsAt,
      startsAt: str(body.startsAt, 'startsAt'),
      comment: str(body.comment, 'comment'),
      createdBy: str(body.createdBy, 'createdBy') ?? 'api',
    });
    return reply.code(201).send(isoTimes(silence));
  });

  api.delete('/silences/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!service.removeSilence(id)) return sendError(reply, 404, 'not-found', `No active silence with id ${id.slice(0, 64)}.`);
    return reply.code(204).send();
  });
}

