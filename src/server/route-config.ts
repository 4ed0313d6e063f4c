/**
 * What our routes say in their `config` (Fastify's route options), typed once so that hooks read
 * `request.routeOptions.config` without casts.
 */
export interface JsonBody {
  /** The largest body the route reads (bytes); default the service's maxBodyBytes. */
  limit?: number;
  /** The route may come without a body (the test e-mail: no body is `{}`); otherwise 415. */
  optional?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Other servers' own route settings (the emulator's `endpoint`). */
    [name: string]: unknown;
    /** How the API route takes its JSON body (api-routes.ts). */
    json?: JsonBody;
    /** The settings page: `api` needs the session cookie, and for changes the CSRF token and our origin (page/index.ts). */
    access?: 'api';
  }
}
