import type { EmulatorContext } from '../context.js';
import type { User } from '../directory.js';
import { checkAccount, type Authority } from './authority.js';
import { decideConsent, recordConsent } from './consent.js';
import type { AuthorityRef, DeviceCodeRecord } from './grants.js';
import { parseScopes } from './scopes.js';
import { entraState } from './state.js';
import { EntraError } from './errors.js';

/** Completing a device code: from the /devicelogin pages, or from the control API in tests. */

export function authorityRef(authority: Authority): AuthorityRef {
  return { family: authority.family, tenantId: authority.tenant?.id };
}

export function authorityFromRef(ctx: EmulatorContext, ref: AuthorityRef): Authority {
  const tenant = ref.tenantId ? ctx.directory.tenants.get(ref.tenantId) : undefined;
  return { segment: ref.family === 'tenant' ? ref.tenantId! : ref.family, family: ref.family, tenant };
}

export type DeviceCodeState = 'usable' | 'unknown' | 'expired' | 'used';

export function deviceCodeState(ctx: EmulatorContext, record: DeviceCodeRecord | undefined): DeviceCodeState {
  if (!record) return 'unknown';
  if (record.expiresAtMs <= ctx.clock.now()) return 'expired';
  return record.status === 'pending' ? 'usable' : 'used';
}

export function approveDeviceCode(ctx: EmulatorContext, record: DeviceCodeRecord, user: User): void {
  record.status = 'approved';
  record.userId = user.id;
  record.tenantId = user.tenantId;
  record.authTimeMs = ctx.clock.now();
}

export function declineDeviceCode(record: DeviceCodeRecord, code: 65004 | 90094): void {
  record.status = 'declined';
  record.declineCode = code;
}

export type ControlApproval =
  | { ok: true; record: DeviceCodeRecord; consentRecorded: 'none' | 'user' | 'organization' }
  | { ok: false; status: number; error: string };

/**
 * POST /_emulator/devicecode/approve: what a person does on /devicelogin, in one call. Account
 * rules apply as on the page. Missing consent is given as the person would by clicking Accept
 * (for themselves); when they may not consent (AADSTS90094) the approval is refused unless
 * `adminConsent` asks to grant it for the organization, as an administrator would.
 */
export function approveFromControl(ctx: EmulatorContext, userCode: string, upn: string, adminConsent: boolean): ControlApproval {
  const record = entraState(ctx).grants.findByUserCode(userCode);
  const state = deviceCodeState(ctx, record);
  if (state === 'unknown') return { ok: false, status: 404, error: `no device code with user code "${userCode}"` };
  if (state === 'expired') return { ok: false, status: 409, error: `user code "${userCode}" has expired` };
  if (state === 'used') return { ok: false, status: 409, error: `user code "${userCode}" was already ${record!.status}` };
  const user = ctx.directory.findUser(upn);
  if (!user) return { ok: false, status: 400, error: `upn: no user "${upn}"` };
  const app = ctx.directory.findApp(record!.clientId);
  if (!app) return { ok: false, status: 409, error: `the app ${record!.clientId} no longer exists` };
  const refusal = checkAccount(ctx.directory, app, authorityFromRef(ctx, record!.authority), user);
  if (refusal) {
    return { ok: false, status: 403, error: refusal.kind === 'page' ? refusal.message : `AADSTS${refusal.error.code}: ${refusal.error.text}` };
  }
  const scopes = parseScopes(record!.scope, '');
  if (scopes instanceof EntraError) return { ok: false, status: 409, error: scopes.message };
  const decision = decideConsent(ctx, app, user, scopes, false);
  let consentRecorded: 'none' | 'user' | 'organization' = 'none';
  if (decision.kind === 'admin-approval' || (adminConsent && decision.kind === 'prompt')) {
    if (!adminConsent) {
      return {
        ok: false,
        status: 403,
        error: `AADSTS90094: The grant requires admin permission. ${user.upn} may not consent to ${decision.permissions.join(', ')} for ${app.displayName}; send "adminConsent": true to grant it for the organization as an administrator would.`,
      };
    }
    ctx.directory.grantConsent({ tenantId: user.tenantId, clientId: app.clientId, delegated: decision.permissions, application: [] });
    consentRecorded = 'organization';
  } else if (decision.kind === 'prompt') {
    recordConsent(ctx, app, user, decision.permissions, false);
    consentRecorded = 'user';
  }
  approveDeviceCode(ctx, record!, user);
  return { ok: true, record: record!, consentRecorded };
}

export function denyFromControl(ctx: EmulatorContext, userCode: string): ControlApproval {
  const record = entraState(ctx).grants.findByUserCode(userCode);
  const state = deviceCodeState(ctx, record);
  if (state === 'unknown') return { ok: false, status: 404, error: `no device code with user code "${userCode}"` };
  if (state !== 'usable') return { ok: false, status: 409, error: `user code "${userCode}" is ${state === 'expired' ? 'expired' : `already ${record!.status}`}` };
  declineDeviceCode(record!, 65004);
  return { ok: true, record: record!, consentRecorded: 'none' };
}
