import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';

/** Entra ID v2 endpoints under /{tenant}/... */
export async function registerEntraRoutes(_app: FastifyInstance, _ctx: EmulatorContext): Promise<void> {
  // Filled by the Entra ID work.
}
