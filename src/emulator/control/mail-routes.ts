import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';

/** GET /_emulator/mailboxes/{upn}/messages and the /_emulator/ page. */
export async function registerMailControlRoutes(_app: FastifyInstance, _ctx: EmulatorContext): Promise<void> {
  // Filled by the Graph mail work.
}
