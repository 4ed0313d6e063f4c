import type { FastifyRequest } from 'fastify';
import type { Clock } from './clock.js';
import type { Directory } from './directory.js';
import type { Faults } from './faults.js';
import type { TokenSigner } from './signer.js';
import type { Stats } from './stats.js';

/** Graph service limits the emulator enforces per app and mailbox (configurable for benchmarks). */
export interface GraphLimits {
  /** Concurrent Outlook requests (Graph: 4), counted per `concurrencyScope`. */
  concurrentRequestsPerMailbox: number;
  /**
   * What the concurrency limit counts: `app` (default), every request of the app ID whichever mailbox
   * it reaches, as the newer revision of Graph's throttling limits and Microsoft's answer on Q&A say
   * ("irrespective of the target mailboxes"); `app+mailbox` the older reading, per app and mailbox.
   */
  concurrencyScope: 'app' | 'app+mailbox';
  /** Messages sent per mailbox per minute (Exchange Online: 30). */
  messagesPerMinute: number;
  /** Requests per app and mailbox per 10 minutes (Graph: 10,000). */
  requestsPer10Minutes: number;
  /**
   * Largest request body Graph accepts: "4 MB", read as 4,000,000 (the stricter of 4,000,000 and
   * 4,194,304 bytes, issue 13.14; PUT 4194304 for the binary reading).
   */
  maxRequestBytes: number;
  /** Largest range one PUT to an upload URL may carry (4 MiB; Outlook's upload host, not Graph's gateway). */
  maxUploadChunkBytes: number;
  /**
   * Smallest attachment an upload session takes: 2 MiB as measured on the wire (msgraph-sdk-java#52,
   * "Minimum UploadSession byte size is exactly 2097152 bytes"); Microsoft's page says to use one
   * "between 3MB and 150MB". PUT 3145728 to test the documented minimum.
   */
  minUploadSessionBytes: number;
  /** Recipients per mailbox per day (Exchange Online: 10,000). */
  recipientsPerDay: number;
  /**
   * What a message over messagesPerMinute or recipientsPerDay gets: `ndr` (default), accepted (202)
   * and not delivered, a non-delivery report in the sender's Inbox, as Exchange Online answers
   * after acceptance; `delay`, over the per-minute limit accepted and delivered once the minute has
   * room (over the daily one still the NDR); `throttle`, 429 at submission (before issue 13.7).
   */
  sendingLimitAnswer: 'ndr' | 'delay' | 'throttle';
  /** Attachment bytes uploaded per app and mailbox per 5 minutes (Graph: 150 MB). */
  uploadBytesPer5Minutes: number;
}

export const DEFAULT_LIMITS: GraphLimits = {
  concurrentRequestsPerMailbox: 4,
  concurrencyScope: 'app',
  messagesPerMinute: 30,
  requestsPer10Minutes: 10_000,
  maxRequestBytes: 4_000_000,
  maxUploadChunkBytes: 4 * 1024 * 1024,
  minUploadSessionBytes: 2 * 1024 * 1024,
  recipientsPerDay: 10_000,
  sendingLimitAnswer: 'ndr',
  uploadBytesPer5Minutes: 150 * 1024 * 1024,
};

/** Entra ID behaviour the tests may tune (PUT /_emulator/behaviour). */
export interface EntraBehaviour {
  /** Polling interval the device-code response asks for (Entra: 5 s). */
  deviceCodeIntervalSeconds: number;
  deviceCodeLifetimeSeconds: number;
  /** Access token lifetime (Entra: 60-90 minutes). */
  accessTokenLifetimeSeconds: number;
  /** A refresh token unused this long stops working (AADSTS700082; Entra: 90 days). */
  refreshTokenInactivityDays: number;
  /** Authorization codes are short-lived (Entra: about 10 minutes). */
  authorizationCodeLifetimeSeconds: number;
  /**
   * How long an app made through Graph (POST /applications) and a secret added with addPassword stay
   * unknown to the sign-in endpoints (AADSTS700016 / AADSTS7000215): Entra replicates them first.
   * 0 by default (docs/emulator.md: Microsoft gives no figure).
   */
  propagationDelaySeconds: number;
  /**
   * 0 (default): client credentials on an app with "Allow public client flows" = Yes get AADSTS700025
   * (the app falls back to a public client); 1: they are allowed (issue 13.13, to confirm).
   */
  clientCredentialsOnPublicClientApps: number;
  /** HTTP status of /devicecode errors: 400 (Microsoft's documentation) or 200 (as MSAL.NET's maintainers saw it). */
  deviceCodeErrorStatus: number;
  /**
   * How the token response's `scope` names Graph permissions: `as-requested` (default; prefixed
   * "https://graph.microsoft.com/Mail.Send" when the request was prefixed, short otherwise), or
   * always `uri` / `short`, so a test runs a client under either form (issue 13.12).
   */
  scopeEcho: 'as-requested' | 'uri' | 'short';
  /**
   * The Graph access token's `aud`: `as-requested` (default; "https://graph.microsoft.com" when the
   * request named Graph by its URI, the app id 00000003-0000-0000-c000-000000000000 otherwise), or
   * always `uri` / `app-id`.
   */
  graphAudience: 'as-requested' | 'uri' | 'app-id';
}

export const DEFAULT_BEHAVIOUR: EntraBehaviour = {
  deviceCodeIntervalSeconds: 5,
  deviceCodeLifetimeSeconds: 900,
  accessTokenLifetimeSeconds: 3600,
  refreshTokenInactivityDays: 90,
  authorizationCodeLifetimeSeconds: 600,
  propagationDelaySeconds: 0,
  clientCredentialsOnPublicClientApps: 0,
  deviceCodeErrorStatus: 400,
  scopeEcho: 'as-requested',
  graphAudience: 'as-requested',
};

/** What the emulator's route modules share. */
export interface EmulatorContext {
  clock: Clock;
  directory: Directory;
  signer: TokenSigner;
  stats: Stats;
  faults: Faults;
  limits: GraphLimits;
  behaviour: EntraBehaviour;
  /** Filled by the Entra routes: forget a user's refresh tokens ("Revoke sessions"). */
  hooks: { revokeRefreshTokens(userId: string): number };
}

/** Route config every emulator route carries: the endpoint name used by stats and faults. */
export interface EndpointConfig {
  endpoint: string;
}

/**
 * The base URL as the client reached us (Host header), so one emulator can be reached as
 * https://127.0.0.1:PORT or, through name mapping, as https://login.microsoftonline.com.
 */
export function publicBaseUrl(request: FastifyRequest): string {
  const host = request.headers.host ?? `${request.hostname}`;
  return `https://${host}`;
}
