import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Authority } from './authority.js';
import type { Platform } from './redirect-uris.js';
import type { RequestedScopes } from './scopes.js';

/**
 * An interactive sign-in in progress (Entra's "flowToken"): started by /authorize, by a code
 * entered on /devicelogin, or by /adminconsent, and carried through the account and consent
 * pages as a hidden form field.
 */

export type ResponseMode = 'query' | 'fragment' | 'form_post';

interface FlowBase {
  id: string;
  clientId: string;
  authority: Authority;
  scopes: RequestedScopes;
  loginHint?: string;
  expiresAtMs: number;
  /** Set once an account was accepted; the consent step reads it. */
  userId?: string;
}

export interface AuthorizeFlow extends FlowBase {
  kind: 'authorize';
  redirectUri: string;
  platform: Platform;
  responseMode: ResponseMode;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  clientInfo: boolean;
  forceConsent: boolean;
}

export interface DeviceFlow extends FlowBase {
  kind: 'device';
  deviceCode: string;
}

export interface AdminConsentFlow extends FlowBase {
  kind: 'adminconsent';
  redirectUri: string;
  state?: string;
  /** v2.0 endpoint (echoes `scope`) or the v1 /{tenant}/adminconsent. */
  v2: boolean;
}

export type SignInFlow = AuthorizeFlow | DeviceFlow | AdminConsentFlow;

type NewFlow = Omit<AuthorizeFlow, 'id' | 'expiresAtMs'> | Omit<DeviceFlow, 'id' | 'expiresAtMs'> | Omit<AdminConsentFlow, 'id' | 'expiresAtMs'>;

const FLOW_LIFETIME_MS = 60 * 60 * 1000;

export class FlowStore {
  private flows = new Map<string, SignInFlow>();

  constructor(private readonly clock: Clock) {}

  create(flow: NewFlow): SignInFlow {
    const now = this.clock.now();
    for (const [id, f] of this.flows) if (f.expiresAtMs < now) this.flows.delete(id);
    const created = { ...flow, id: randomBytes(24).toString('base64url'), expiresAtMs: now + FLOW_LIFETIME_MS } as SignInFlow;
    this.flows.set(created.id, created);
    return created;
  }

  get(id: string | undefined): SignInFlow | undefined {
    if (!id) return undefined;
    const flow = this.flows.get(id);
    if (!flow || flow.expiresAtMs < this.clock.now()) return undefined;
    return flow;
  }

  end(id: string): void {
    this.flows.delete(id);
  }
}
