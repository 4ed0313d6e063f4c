import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { policyProblems, policyStore, type AccessPolicy } from '../entra/conditional-access.js';
import { validateFaultSpec, type FaultSpec } from '../faults.js';
import { registerDirectoryControlRoutes } from './directory-routes.js';
import { registerMailControlRoutes } from './mail-routes.js';

/**
 * The control API under /_emulator/ (ours, not Microsoft's): state, stats, faults, clock,
 * plus the directory and mailbox routes of their own modules.
 */
export async function registerControlRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  app.get('/_emulator/state', { config: { endpoint: 'control.state' } }, async () => ({
    ...ctx.directory.snapshot(),
    clockOffsetMs: ctx.clock.offset,
    limits: ctx.limits,
    behaviour: ctx.behaviour,
  }));

  app.get('/_emulator/stats', { config: { endpoint: 'control.stats' } }, async () => ctx.stats.snapshot());
  app.delete('/_emulator/stats', { config: { endpoint: 'control.stats' } }, async (_req, reply) => {
    ctx.stats.reset();
    return reply.code(204).send();
  });

  // Request faults, or one-off actions that break a guide step at run time.
  app.post('/_emulator/faults', { config: { endpoint: 'control.faults' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.action === 'revoke-refresh-tokens') {
      const user = typeof body.user === 'string' ? ctx.directory.findUser(body.user) : undefined;
      if (!user) return reply.code(400).send({ error: 'user: the UPN or object id of an existing user' });
      return { revoked: ctx.hooks.revokeRefreshTokens(user.id) };
    }
    if (body.action === 'expire-secret') {
      const app_ = typeof body.clientId === 'string' ? ctx.directory.findApp(body.clientId) : undefined;
      if (!app_) return reply.code(400).send({ error: 'clientId: the client id of an existing app' });
      return { expired: ctx.directory.expireSecrets(app_.clientId, ctx.clock.now()) };
    }
    if (body.action !== undefined) {
      return reply.code(400).send({ error: 'action: one of revoke-refresh-tokens, expire-secret' });
    }
    const problems = validateFaultSpec(body);
    if (problems.length > 0) return reply.code(400).send({ error: 'invalid fault', problems });
    return reply.code(201).send({ id: ctx.faults.add(body as unknown as FaultSpec) });
  });
  app.get('/_emulator/faults', { config: { endpoint: 'control.faults' } }, async () => ctx.faults.list());
  app.delete('/_emulator/faults', { config: { endpoint: 'control.faults' } }, async (_req, reply) => {
    ctx.faults.clear();
    return reply.code(204).send();
  });

  // Moves the emulator's clock forward (refresh-token inactivity, secret expiry, code expiry).
  app.post('/_emulator/clock', { config: { endpoint: 'control.clock' } }, async (request, reply) => {
    const body = (request.body ?? {}) as { advanceSeconds?: unknown; reset?: unknown };
    if (body.reset === true) ctx.clock.reset();
    else if (typeof body.advanceSeconds === 'number' && Number.isFinite(body.advanceSeconds) && body.advanceSeconds >= 0) {
      ctx.clock.advance(body.advanceSeconds * 1000);
    } else return reply.code(400).send({ error: 'advanceSeconds: a non-negative number, or reset: true' });
    return { now: new Date(ctx.clock.now()).toISOString(), offsetMs: ctx.clock.offset };
  });

  // Settings (numbers, the concurrency scope and the answer over the sending limits): Graph limits and Entra behaviour (e.g. a 1 s device-code interval for tests).
  for (const [path, target] of [['/_emulator/limits', ctx.limits], ['/_emulator/behaviour', ctx.behaviour]] as const) {
    app.get(path, { config: { endpoint: 'control.settings' } }, async () => target);
    app.put(path, { config: { endpoint: 'control.settings' } }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(body)) {
        if (!(key in target)) return reply.code(400).send({ error: `unknown setting "${key}"; known: ${Object.keys(target).join(', ')}` });
        if (key === 'concurrencyScope') {
          if (value !== 'app' && value !== 'app+mailbox') return reply.code(400).send({ error: 'concurrencyScope: "app" or "app+mailbox"' });
          continue;
        }
        const choices = ({ scopeEcho: ['as-requested', 'uri', 'short'], graphAudience: ['as-requested', 'uri', 'app-id'] } as Record<string, string[]>)[key];
        if (choices) {
          if (typeof value !== 'string' || !choices.includes(value)) return reply.code(400).send({ error: `${key}: one of ${choices.map((c) => `"${c}"`).join(', ')}` });
          continue;
        }
        if (key === 'sendingLimitAnswer') {
          if (value !== 'ndr' && value !== 'delay' && value !== 'throttle') {
            return reply.code(400).send({ error: 'sendingLimitAnswer: "ndr" (a non-delivery report after 202), "delay" (delivered once the minute has room) or "throttle" (429 at submission)' });
          }
          continue;
        }
        // A delay may be switched off (0); every other setting must be positive.
        const least = key === 'propagationDelaySeconds' || key === 'clientCredentialsOnPublicClientApps' ? 0 : Number.MIN_VALUE;
        if (typeof value !== 'number' || !(value >= least)) return reply.code(400).send({ error: `${key}: a ${least === 0 ? 'non-negative' : 'positive'} number` });
      }
      Object.assign(target, body);
      return target;
    });
  }

  // Conditional Access switches (entra/conditional-access.ts), per tenant or per user; null clears one.
  app.get('/_emulator/conditional-access', { config: { endpoint: 'control.settings' } }, async () => Object.fromEntries(policyStore(ctx)));
  app.put('/_emulator/conditional-access', { config: { endpoint: 'control.settings' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const user = typeof body.user === 'string' ? ctx.directory.findUser(body.user) : undefined;
    const tenant = typeof body.tenant === 'string' ? ctx.directory.findTenant(body.tenant) : undefined;
    if (!user && !tenant) return reply.code(400).send({ error: 'user (UPN or object id) or tenant (id or domain) of the directory' });
    const problems = policyProblems(body);
    if (problems.length > 0) return reply.code(400).send({ error: 'invalid policy', problems });
    const key = user ? user.id : tenant!.id;
    const store = policyStore(ctx);
    const next: Record<string, unknown> = { ...store.get(key) };
    for (const [k, v] of Object.entries(body)) {
      if (k === 'user' || k === 'tenant') continue;
      if (v === null || v === false) delete next[k];
      else next[k] = v;
    }
    store.set(key, next as AccessPolicy);
    return { [key]: next };
  });

  await registerDirectoryControlRoutes(app, ctx);
  await registerMailControlRoutes(app, ctx);
}
