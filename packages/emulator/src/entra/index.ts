import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { registerAdminConsentRoutes } from './admin-consent.js';
import { registerAuthorizeRoutes } from './authorize.js';
import { registerDeviceCodeRoutes } from './device-code.js';
import { registerDiscoveryRoutes } from './discovery.js';
import { registerLogoutRoutes } from './logout.js';
import { registerSignInRoutes } from './signin.js';
import { entraState } from './state.js';
import { registerTokenRoutes } from './token.js';

/**
 * Entra ID v2 endpoints under /{tenant}/...: discovery and keys, authorize with its sign-in
 * and consent pages, token (authorization code + PKCE, refresh, device code, client
 * credentials), devicecode and /devicelogin, logout, adminconsent.
 */
export async function registerEntraRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { grants } = entraState(ctx);
  ctx.hooks.revokeRefreshTokens = (userId) => grants.revokeUser(userId);

  await registerDiscoveryRoutes(app, ctx);
  await registerAuthorizeRoutes(app, ctx);
  await registerSignInRoutes(app, ctx);
  await registerTokenRoutes(app, ctx);
  await registerDeviceCodeRoutes(app, ctx);
  await registerLogoutRoutes(app, ctx);
  await registerAdminConsentRoutes(app, ctx);
}

export { entraState } from './state.js';
export { approveFromControl, denyFromControl } from './device-approval.js';
