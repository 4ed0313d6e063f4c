import { TOKEN_ENDPOINT_THROTTLED } from '../diagnose/index.js';
import { SignInError } from './errors.js';
import type { RawErrorResponse } from './network-client.js';

/**
 * Backing off the token endpoint (issue 13.11). Entra answers an app that asks too often with 429 and
 * Retry-After (60 s in Microsoft's example) or, on user grants, invalid_grant AADSTS50196 (a loop), and
 * a throttled tenant with AADSTS90055; MSAL.NET then stops calling for the Retry-After time, or a minute
 * when there is none (https://learn.microsoft.com/entra/msal/dotnet/advanced/client-and-server-throttling).
 * msal-node replays a 429 only for the identical request, and never sees a 429 whose body is not JSON,
 * so the provider keeps one pause itself: while it lasts no call reaches the token endpoint and every
 * caller (each queued e-mail, the keep-alive) gets the same error with the seconds left.
 */

export const DEFAULT_PAUSE_SECONDS = 60;
/** msal's own ceiling for a throttling entry. */
const MAX_PAUSE_SECONDS = 3600;

function isTokenEndpoint(raw: RawErrorResponse | undefined): raw is RawErrorResponse {
  return raw !== undefined && /\/oauth2\/v2\.0\/token$/.test(raw.url);
}

export class TokenEndpointPause {
  private until = 0;
  private cause: SignInError | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * After a failed token request: a throttling answer starts the pause. Returns the error to throw,
   * with Retry-After (and, for a bare 429 from the token endpoint, a diagnosis in Entra's terms).
   */
  afterFailure(error: SignInError, latest: RawErrorResponse | undefined): SignInError {
    if (error.diagnosis?.guideStep !== 'throttling') return error;
    const wire = isTokenEndpoint(latest) ? latest : undefined;
    const asked = error.diagnosis.retryAfterSeconds ?? wire?.retryAfterSeconds;
    const seconds = Math.min(Math.max(1, asked ?? DEFAULT_PAUSE_SECONDS), MAX_PAUSE_SECONDS);
    const bare = wire?.status === 429 && wire.aadsts.length === 0;
    const diagnosis = { ...error.diagnosis, ...(bare ? TOKEN_ENDPOINT_THROTTLED : {}), retryAfterSeconds: seconds };
    this.until = this.now() + seconds * 1000;
    this.cause = new SignInError(bare ? `Could not get an access token. ${TOKEN_ENDPOINT_THROTTLED.title}` : error.message, diagnosis, seconds);
    return this.cause;
  }

  /** The error to throw instead of calling the token endpoint, while the pause lasts. */
  blocked(): SignInError | undefined {
    const leftMs = this.until - this.now();
    if (!this.cause || leftMs <= 0) return undefined;
    const seconds = Math.ceil(leftMs / 1000);
    return new SignInError(this.cause.message, this.cause.diagnosis && { ...this.cause.diagnosis, retryAfterSeconds: seconds }, seconds);
  }

  clear(): void {
    this.until = 0;
    this.cause = undefined;
  }
}
