import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';

/** POST /_emulator/tenants, /users, /apps, PATCH /apps/{clientId}, device-code approve/deny. */
export async function registerDirectoryControlRoutes(_app: FastifyInstance, _ctx: EmulatorContext): Promise<void> {
  // Filled by the Entra ID work.
}
