import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { EVENT_LIMITS } from '../intake/index.js';
import { apiRoutes, type ApiDeps } from './api-routes.js';
import { requireApiToken } from './auth-hook.js';
import { SERVICE_NAME } from './client.js';
import { installErrorHandler, sendError } from './http.js';
import { processMetrics, withInstanceLabel } from './metrics.js';
import { schemaErrorFormatter, typeBoxCompiler } from './schema.js';
import { registerSettingsPage, type PageContext } from './page/index.js';

export interface AppOptions extends Omit<ApiDeps, 'maxBodyBytes'> {
  maxBodyBytes?: number;
  /** Token refreshes so far (the token provider's calls to the token endpoint), for /metrics. */
  tokenEndpointCalls(): number;
  /** Whether the store is open and the delivery worker running (for /readyz). */
  readiness(): { ready: boolean; reasons: string[] };
  /** On PostgreSQL, this instance's id: every /metrics sample carries it as the `instance` label. */
  instance?: string;
  /** The settings page's view of the service; undefined leaves `/` and `/ui/*` out (tests). */
  page?: PageContext;
  /** HTTPS (service-tls.ts): the certificate and key, PEM. */
  https?: { cert: string; key: string };
  logger: Logger;
}

export { SERVICE_NAME };

/**
 * The HTTP side of `serve`: `/healthz`, `/readyz` and `/metrics`, the API under `/api/v1`, and the
 * settings page at `/` and `/ui/*`.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const maxBodyBytes = options.maxBodyBytes ?? EVENT_LIMITS.maxPayloadBytes;
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    logger: false,
    bodyLimit: maxBodyBytes,
    // A slow client may not hold a connection forever.
    requestTimeout: 60_000,
    return503OnClosing: true,
    // Route schemas are TypeBox (api-schemas.ts, page/schemas.ts); a request that does not fit gets
    // the words its shape declares, in the usual answer (http.ts, the page's error handler).
    schemaErrorFormatter,
  });
  app.setValidatorCompiler(typeBoxCompiler);
  installErrorHandler(app, options.logger);
  // Fastify's own 404 body is { message, error: 'Not Found', statusCode }: answer in the documented
  // { error, message } form outside /api/v1 too (issue 10.8; the API sets its own, with its routes).
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not-found', `Nothing at ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}. The settings page is at /, the API under /api/v1 (GET /api/v1/status, POST /api/v1/events).`),
  );

  app.get('/healthz', async () => ({ status: 'ok', service: SERVICE_NAME }));

  app.get('/readyz', async (_request, reply) => {
    const { ready, reasons } = options.readiness();
    return reply.code(ready ? 200 : 503).send({ ready, reasons });
  });

  // Metrics show queue sizes and failure reasons: they need the token too (Prometheus: `authorization` in the scrape config).
  const processRegistry = processMetrics(options.tokenEndpointCalls);
  app.get('/metrics', { onRequest: requireApiToken(options.tokens) }, async (_request, reply) => {
    const all = (await options.service.metricsText()) + '\n' + (await processRegistry.metrics());
    const text = options.instance ? withInstanceLabel(all, options.instance) : all;
    return reply.type(processRegistry.contentType).send(text);
  });

  await app.register(async (api) => apiRoutes(api, { ...options, maxBodyBytes }), { prefix: '/api/v1' });
  if (options.page) await registerSettingsPage(app, options.page);
  return app;
}
