import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { AuthorityFamily } from './authority.js';
import type { Platform } from './redirect-uris.js';

/**
 * What Entra remembers between requests: authorization codes, refresh tokens, device codes,
 * and per user the "TokensValidFrom" date that revoking sessions moves forward. Refresh tokens
 * are kept by hash only. Refresh tokens and TokensValidFrom are durable (`durable()` /
 * `restoreDurable()`, kept in the data dir's tenant file): a restart keeps sessions, as a tenant
 * does; codes and device codes live minutes and stay in memory.
 */

/** What outlives a restart: refresh tokens by hash, and each user's TokensValidFrom. */
export interface DurableGrants {
  refreshTokens: [string, RefreshTokenRecord][];
  tokensValidFrom: [string, number][];
}

export interface AuthorityRef {
  family: AuthorityFamily;
  /** For `tenant` (and `consumers`): the tenant's id. */
  tenantId?: string;
}

export interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  platform: Platform;
  userId: string;
  /** The user's tenant: where consent and tokens live. */
  tenantId: string;
  authority: AuthorityRef;
  /** The scope parameter of the authorization request. */
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  authTimeMs: number;
  expiresAtMs: number;
  redeemedAtMs?: number;
}

/** Public clients (Mobile and desktop redirect, device code) must not present credentials later. */
export type ClientKind = 'public' | 'confidential';

export interface RefreshTokenRecord {
  clientId: string;
  userId: string;
  tenantId: string;
  clientKind: ClientKind;
  scope: string;
  /** When the user signed in; rotation keeps it, revocation compares against it. */
  authTimeMs: number;
  issuedAtMs: number;
  lastUsedAtMs: number;
}

export type DeviceCodeStatus = 'pending' | 'approved' | 'declined' | 'redeemed';

export interface DeviceCodeRecord {
  deviceCode: string;
  userCode: string;
  clientId: string;
  authority: AuthorityRef;
  scope: string;
  createdAtMs: number;
  expiresAtMs: number;
  intervalSeconds: number;
  lastPollAtMs?: number;
  status: DeviceCodeStatus;
  userId?: string;
  tenantId?: string;
  authTimeMs?: number;
  /** AADSTS code reported to the polling device after a decline (65004 cancel, 90094 admin approval). */
  declineCode?: 65004 | 90094;
}

const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function hash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

function normalizeUserCode(value: string): string {
  return value.replace(/[\s-]/g, '').toUpperCase();
}

export class GrantStore {
  private codes = new Map<string, AuthorizationCode>();
  private refreshTokens = new Map<string, RefreshTokenRecord>();
  private deviceCodes = new Map<string, DeviceCodeRecord>();
  private userCodes = new Map<string, string>();
  private tokensValidFrom = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  durable(): DurableGrants {
    return { refreshTokens: [...this.refreshTokens], tokensValidFrom: [...this.tokensValidFrom] };
  }

  restoreDurable(state: DurableGrants): void {
    this.refreshTokens = new Map(state.refreshTokens);
    this.tokensValidFrom = new Map(state.tokensValidFrom);
  }

  issueCode(grant: AuthorizationCode): string {
    this.prune();
    const code = `1.A${randomBytes(48).toString('base64url')}`;
    this.codes.set(code, grant);
    return code;
  }

  findCode(code: string): AuthorizationCode | undefined {
    return this.codes.get(code);
  }

  issueRefreshToken(record: Omit<RefreshTokenRecord, 'issuedAtMs' | 'lastUsedAtMs'>): string {
    const value = `1.AQ${randomBytes(96).toString('base64url')}`;
    const now = this.clock.now();
    this.refreshTokens.set(hash(value), { ...record, issuedAtMs: now, lastUsedAtMs: now });
    return value;
  }

  findRefreshToken(value: string): RefreshTokenRecord | undefined {
    return this.refreshTokens.get(hash(value));
  }

  /** "Revoke sessions": every grant from a sign-in before now stops working (AADSTS50173). */
  revokeUser(userId: string): number {
    const now = this.clock.now();
    this.tokensValidFrom.set(userId, now);
    let count = 0;
    for (const rt of this.refreshTokens.values()) if (rt.userId === userId && rt.authTimeMs < now) count += 1;
    return count;
  }

  validFrom(userId: string): number | undefined {
    return this.tokensValidFrom.get(userId);
  }

  isRevoked(userId: string, authTimeMs: number): boolean {
    const from = this.tokensValidFrom.get(userId);
    return from !== undefined && authTimeMs < from;
  }

  createDeviceCode(input: { clientId: string; authority: AuthorityRef; scope: string; lifetimeSeconds: number; intervalSeconds: number }): DeviceCodeRecord {
    this.prune();
    let userCode: string;
    do {
      userCode = Array.from({ length: 9 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join('');
    } while (this.userCodes.has(userCode));
    const now = this.clock.now();
    const record: DeviceCodeRecord = {
      deviceCode: `DAQABIQEAAAD${randomBytes(96).toString('base64url')}`,
      userCode,
      clientId: input.clientId,
      authority: input.authority,
      scope: input.scope,
      createdAtMs: now,
      expiresAtMs: now + input.lifetimeSeconds * 1000,
      intervalSeconds: input.intervalSeconds,
      status: 'pending',
    };
    this.deviceCodes.set(record.deviceCode, record);
    this.userCodes.set(userCode, record.deviceCode);
    return record;
  }

  findDeviceCode(deviceCode: string): DeviceCodeRecord | undefined {
    return this.deviceCodes.get(deviceCode);
  }

  findByUserCode(userCode: string): DeviceCodeRecord | undefined {
    const deviceCode = this.userCodes.get(normalizeUserCode(userCode));
    return deviceCode ? this.deviceCodes.get(deviceCode) : undefined;
  }

  /** Forgets what can no longer be used (expired codes); refresh tokens stay for their 700082 answer. */
  private prune(): void {
    const now = this.clock.now();
    const grace = 3600_000;
    for (const [code, grant] of this.codes) if (grant.expiresAtMs + grace < now) this.codes.delete(code);
    for (const [deviceCode, record] of this.deviceCodes) {
      if (record.expiresAtMs + grace < now) {
        this.deviceCodes.delete(deviceCode);
        this.userCodes.delete(record.userCode);
      }
    }
  }
}
