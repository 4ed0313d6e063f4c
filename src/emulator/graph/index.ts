import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';

/** Graph v1.0 mail endpoints under /v1.0/... */
export async function registerGraphRoutes(_app: FastifyInstance, _ctx: EmulatorContext): Promise<void> {
  // Filled by the Graph mail work.
}
