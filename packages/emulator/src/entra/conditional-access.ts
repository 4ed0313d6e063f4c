import type { EmulatorContext } from '../context.js';
import type { User } from '../directory.js';
import { aadsts, type EntraError } from './errors.js';

/**
 * Conditional Access as the token endpoint answers it (issue 13.1). Switches per tenant or per
 * user, set through PUT /_emulator/conditional-access; checked whenever a user token is issued
 * (authorization code, device code, refresh). Codes and shapes after Microsoft's AADSTS reference
 * (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes) and bodies
 * people pasted (70043 with `suberror: token_expired`: simonrob/email-oauth2-proxy#181):
 *   requireMfa             50076 interaction_required, suberror basic_action, claims challenge
 *   requireMfaRegistration 50079 interaction_required, suberror basic_action
 *   block                  53003 interaction_required, suberror message_only (blocked by CA)
 *   requireCompliantDevice 530003 interaction_required (device must be managed)
 *   blockDeviceCode        530033 interaction_required on the device-code grant only
 *   signInFrequencyHours   70043 invalid_grant, suberror token_expired, once the sign-in is older
 */
export interface AccessPolicy {
  requireMfa?: boolean;
  requireMfaRegistration?: boolean;
  block?: boolean;
  requireCompliantDevice?: boolean;
  blockDeviceCode?: boolean;
  signInFrequencyHours?: number;
}

export const POLICY_KEYS: (keyof AccessPolicy)[] = ['requireMfa', 'requireMfaRegistration', 'block', 'requireCompliantDevice', 'blockDeviceCode', 'signInFrequencyHours'];

const policies = new WeakMap<EmulatorContext, Map<string, AccessPolicy>>();

export function policyStore(ctx: EmulatorContext): Map<string, AccessPolicy> {
  let map = policies.get(ctx);
  if (!map) {
    map = new Map();
    policies.set(ctx, map);
  }
  return map;
}

/** The user's own switches over the tenant's. */
function effective(ctx: EmulatorContext, user: User): AccessPolicy {
  const store = policyStore(ctx);
  return { ...store.get(user.tenantId), ...store.get(user.id) };
}

/** A stable-looking policy id for the claims challenge (capolids). */
const POLICY_ID = '8e7f0d3a-6c1b-4f2e-9a5d-3b2c1d0e4f6a';

const GRAPH = '00000003-0000-0000-c000-000000000000';

export function conditionalAccessError(
  ctx: EmulatorContext,
  user: User,
  grant: 'authorization_code' | 'device_code' | 'refresh_token',
  authTimeMs: number,
): EntraError | undefined {
  const p = effective(ctx, user);
  if (p.block) return aadsts(53003);
  if (p.blockDeviceCode && grant === 'device_code') return aadsts(530033);
  if (p.requireCompliantDevice) return aadsts(530003);
  if (p.requireMfaRegistration) return aadsts(50079, { resource: GRAPH });
  if (p.requireMfa) return aadsts(50076, { resource: GRAPH }).withClaims(JSON.stringify({ access_token: { capolids: { essential: true, values: [POLICY_ID] } } }));
  if (p.signInFrequencyHours !== undefined && grant === 'refresh_token') {
    const maxSeconds = Math.round(p.signInFrequencyHours * 3600);
    if (ctx.clock.now() - authTimeMs > maxSeconds * 1000) return aadsts(70043, { issued: new Date(authTimeMs).toISOString(), seconds: String(maxSeconds) });
  }
  return undefined;
}

/** Validates a PUT /_emulator/conditional-access body: the problems, or none. */
export function policyProblems(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === 'user' || key === 'tenant') continue;
    if (!POLICY_KEYS.includes(key as keyof AccessPolicy)) problems.push(`unknown switch "${key}"; known: ${POLICY_KEYS.join(', ')}`);
    else if (value !== null && (key === 'signInFrequencyHours' ? !(typeof value === 'number' && value > 0) : typeof value !== 'boolean')) {
      problems.push(key === 'signInFrequencyHours' ? `${key}: a positive number of hours, or null to clear` : `${key}: true, false or null`);
    }
  }
  return problems;
}
