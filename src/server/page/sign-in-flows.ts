import { createHash } from 'node:crypto';
import {
  completeBrowserSignIn,
  createBrowserSignInRequest,
  probePublicClientFlows,
  signInAppOnly,
  signInWithDeviceCode,
  SignInError,
  type AuthorizationResponse,
  type AuthSession,
  type BrowserSignInRequest,
  type SignInResult,
} from '../../auth/index.js';
import type { Diagnosis } from '../../diagnose/index.js';
import { updateEvidence, type SignInMethod } from './evidence.js';

/**
 * The sign-ins the page runs for the administrator. Browser: the authorize request names the
 * service itself (`http://localhost:PORT`) as redirect URI, and Entra's form_post comes back to
 * `POST /`, matched by `state`. Device code: one at a time, its code shown on the page, which
 * polls for the outcome. Every success is recorded as checklist evidence.
 */

/** A browser sign-in answers within this time, or its state is forgotten. */
const BROWSER_SIGN_IN_LIFETIME_MS = 10 * 60_000;
const DEVICE_CODE_TIMEOUT_SECONDS = 15 * 60;

export type DeviceCodeView =
  | { state: 'idle' }
  | { state: 'waiting'; userCode: string; verificationUri: string; expiresAt: string }
  | { state: 'signed-in'; account: string; at: string }
  | { state: 'failed'; error: string; diagnosis?: Diagnosis; at: string };

interface PendingBrowserSignIn {
  request: BrowserSignInRequest;
  session: AuthSession;
  createdAt: number;
  /** Origin of the page that started it, to return to. */
  returnTo: string;
}

export interface SignInHooks {
  session(): Promise<AuthSession>;
  /** After a sign-in succeeded and its evidence was recorded. */
  signedIn(): Promise<void>;
}

function stateKey(state: string): string {
  return createHash('sha256').update(state).digest('base64url');
}

export class SignInFlows {
  private readonly browser = new Map<string, PendingBrowserSignIn>();
  private device: { abort: AbortController; view: DeviceCodeView } | undefined;

  constructor(
    private readonly home: string,
    private readonly hooks: SignInHooks,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Starts a browser sign-in; returns the authorize URL to open. */
  async startBrowser(redirectUri: string, returnTo: string): Promise<string> {
    const now = this.clock();
    for (const [key, p] of this.browser) if (now - p.createdAt > BROWSER_SIGN_IN_LIFETIME_MS) this.browser.delete(key);
    const session = await this.hooks.session();
    session.errors.clear();
    const request = await createBrowserSignInRequest(session, redirectUri);
    this.browser.set(stateKey(request.state), { request, session, createdAt: now, returnTo });
    return request.url;
  }

  /** Whether `state` belongs to a browser sign-in in progress (it is then taken: answers work once). */
  takeBrowser(state: string | undefined): PendingBrowserSignIn | undefined {
    if (!state) return undefined;
    const key = stateKey(state);
    const pending = this.browser.get(key);
    this.browser.delete(key);
    if (!pending || this.clock() - pending.createdAt > BROWSER_SIGN_IN_LIFETIME_MS) return undefined;
    return pending;
  }

  /** Redeems Entra's answer; throws SignInError with the diagnosis. */
  async completeBrowser(pending: PendingBrowserSignIn, response: AuthorizationResponse): Promise<SignInResult> {
    const result = await completeBrowserSignIn(pending.session, pending.request, response);
    await this.recordSuccess(pending.session, 'browser', result);
    return result;
  }

  /** App-only: checks the secret and the Mail.Send application permission. */
  async signInAppOnly(): Promise<SignInResult> {
    const session = await this.hooks.session();
    const result = await signInAppOnly(session);
    await this.recordSuccess(session, 'app-only', result);
    return result;
  }

  /** Starts a device-code sign-in (ending one in progress); resolves once the code is known, or the start failed. */
  async startDeviceCode(): Promise<DeviceCodeView> {
    this.cancelDeviceCode();
    const session = await this.hooks.session();
    const abort = new AbortController();
    const flow: { abort: AbortController; view: DeviceCodeView } = { abort, view: { state: 'idle' } };
    this.device = flow;
    let shown!: () => void;
    const codeShown = new Promise<void>((resolve) => (shown = resolve));
    const done = signInWithDeviceCode(session, {
      signal: abort.signal,
      timeoutSeconds: DEVICE_CODE_TIMEOUT_SECONDS,
      onCode: (info) => {
        flow.view = {
          state: 'waiting',
          userCode: info.userCode,
          verificationUri: info.verificationUri,
          expiresAt: new Date(this.clock() + info.expiresIn * 1000).toISOString(),
        };
        shown();
      },
    }).then(
      async (result) => {
        if (abort.signal.aborted) return;
        await this.recordSuccess(session, 'device-code', result);
        flow.view = { state: 'signed-in', account: result.account.username, at: new Date(this.clock()).toISOString() };
      },
      async (err: unknown) => {
        if (abort.signal.aborted) return;
        const diagnosis = err instanceof SignInError ? (err.diagnosis ?? undefined) : undefined;
        flow.view = { state: 'failed', error: err instanceof Error ? err.message : String(err), diagnosis, at: new Date(this.clock()).toISOString() };
        if (diagnosis?.guideStep === 'public-client-flows') await this.recordPublicClientFlows(session, false, 'device-code sign-in', diagnosis);
      },
    );
    await Promise.race([codeShown, done]);
    return flow.view;
  }

  deviceCodeStatus(): DeviceCodeView {
    return this.device?.view ?? { state: 'idle' };
  }

  cancelDeviceCode(): void {
    const flow = this.device;
    this.device = undefined;
    if (flow && flow.view.state === 'waiting') flow.abort.abort();
  }

  /** Asks Entra ID whether public client flows are allowed and records the answer. */
  async probe(session: AuthSession): Promise<void> {
    // Unreachable or unreadable: the step simply stays unchecked.
    const outcome = await probePublicClientFlows(session.settings).catch(() => ({ allowed: null, diagnosis: undefined }));
    await this.recordPublicClientFlows(session, outcome.allowed, 'probe', outcome.diagnosis);
  }

  private async recordPublicClientFlows(session: AuthSession, allowed: boolean | null, how: 'device-code sign-in' | 'probe', diagnosis?: Diagnosis): Promise<void> {
    const clientId = session.settings.account.clientId ?? '';
    await updateEvidence(this.home, (e) => ({
      ...e,
      publicClientFlows: { clientId, at: new Date(this.clock()).toISOString(), allowed, how, ...(diagnosis ? { diagnosis } : {}) },
    }));
  }

  private async recordSuccess(session: AuthSession, method: SignInMethod, result: SignInResult): Promise<void> {
    const clientId = session.settings.account.clientId ?? '';
    await updateEvidence(this.home, (e) => ({
      ...e,
      lastSignIn: { clientId, method, at: new Date(this.clock()).toISOString(), account: result.account.username, scopes: result.scopes },
    }));
    if (method === 'device-code') await this.recordPublicClientFlows(session, true, 'device-code sign-in');
    // The browser flow does not show whether public client flows are on: ask Entra directly.
    if (method === 'browser') await this.probe(session);
    await this.hooks.signedIn();
  }
}
