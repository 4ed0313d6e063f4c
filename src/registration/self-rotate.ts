import { SignInError } from '../auth/index.js';
import { DAY_MS, graphBaseUrl, rotateDays, type Settings } from '../config/index.js';
import { createHttpsTransport, type AccessTokenResult } from '../graph/index.js';
import type { ClientCertificate } from '../secrets/index.js';
import { CERTIFICATE_BACKDATE_MS, certificateFacts, newClientCertificate } from './certificate.js';
import { selfRolledCertificateKind } from './certificate-kinds.js';
import { rollCredential, type CredentialKind, type RollResult } from './credential-roll.js';
import type { GraphApplication } from './desired.js';
import { DirectoryClient, RegistrationError } from './directory-client.js';
import { secretKind } from './rotate.js';

/**
 * The service renews its own credential (client secret or certificate) before it expires (app-only).
 * Graph lets an app add a password to an app it owns with the application permission
 * Application.ReadWrite.OwnedBy (https://learn.microsoft.com/graph/api/application-addpassword,
 * https://learn.microsoft.com/graph/permissions-reference#applicationreadwriteownedby), and add a
 * certificate to itself with addKey and a proof signed by its valid certificate
 * (https://learn.microsoft.com/graph/api/application-addkey). `register --self-rotate` grants the
 * permission and makes the app an owner of itself. When Graph refuses, the service warns with the fix.
 * When: config's rotateDays (account.secretRotateDays, default 30) before the credential expires.
 */

/** The new credential's lifetime when the old one's is unknown: Microsoft's portal recommends 180 days for secrets. */
export const SELF_ROTATED_LIFETIME_MS = 180 * DAY_MS;
/** A renewed credential lasts at least this long past the day its own renewal is due. */
export const MIN_RENEWED_DAYS = 30;

/**
 * The renewed credential keeps the lifetime of the one it replaces (what the administrator chose,
 * e.g. `certificate create --expires 365d`): never longer, but at least MIN_RENEWED_DAYS past its own
 * renewal (account.secretRotateDays before its end; with the default, 60 days) - a shorter one would
 * be due again at once. Unknown (or nonsense): SELF_ROTATED_LIFETIME_MS.
 */
export function renewedLifetimeMs(settings: Settings, previousMs: number | undefined): number {
  if (previousMs === undefined || !Number.isFinite(previousMs) || previousMs <= 0) return SELF_ROTATED_LIFETIME_MS;
  const floor = (rotateDays(settings) + MIN_RENEWED_DAYS) * DAY_MS;
  return Math.max(previousMs, floor);
}

/**
 * The secret in use as the app lists it (Graph's passwordCredential startDateTime and endDateTime,
 * https://learn.microsoft.com/graph/api/resources/passwordcredential): its hint (the value's first
 * three characters) and the Expires date recorded in account.secretExpires pick it. Its lifetime,
 * or undefined when the app does not say.
 */
export function secretLifetimeOnApp(app: GraphApplication, hint: string | undefined, expiresOn: string | undefined): number | undefined {
  const dated = (app.passwordCredentials ?? []).filter((c) => c.startDateTime && c.endDateTime);
  const byHint = hint ? dated.filter((c) => c.hint === hint) : [];
  const candidates = byHint.length > 0 ? byHint : dated;
  const inUse = candidates.find((c) => expiresOn !== undefined && c.endDateTime!.slice(0, 10) === expiresOn) ?? (byHint.length === 1 ? byHint[0] : undefined);
  return inUse ? Date.parse(inUse.endDateTime!) - Date.parse(inUse.startDateTime!) : undefined;
}

export type SelfRotation =
  | { kind: 'not-due' }
  | { kind: 'not-allowed'; message: string }
  | { kind: 'rotated'; result: RollResult }
  | { kind: 'failed'; message: string };

/** The credential in use, as the renewal sees it. */
export interface OwnCredential<New> {
  noun: 'client secret' | 'certificate';
  /** When it expires (ms), from account.secretExpires or from the stored certificate itself. */
  expiresAt: number | undefined;
  kind(directory: DirectoryClient): CredentialKind<New>;
  tryNew(value: New): Promise<string | undefined>;
  restorePrevious(): Promise<void>;
  /** What an administrator runs instead. */
  byHand: string;
}

/** Due account.secretRotateDays (default 30) before the credential in use expires. */
export function rotationDue(settings: Settings, expiresAt: number | undefined, now: number): boolean {
  if (settings.account.auth !== 'app-only' || expiresAt === undefined) return false;
  return expiresAt - now <= rotateDays(settings) * DAY_MS;
}

/**
 * The client secret, due by account.secretExpires (the day it expires, UTC); the new one keeps the
 * old one's lifetime when the app lists its dates. `hint`: the stored secret's first three characters.
 */
export function ownSecret(settings: Settings, hint: string | undefined, steps: Pick<OwnCredential<string>, 'tryNew' | 'restorePrevious'>): OwnCredential<string> {
  const expires = settings.account.secretExpires;
  return {
    noun: 'client secret',
    expiresAt: expires ? Date.parse(`${expires}T00:00:00Z`) : undefined,
    kind: (directory) => secretKind(directory, (app) => renewedLifetimeMs(settings, secretLifetimeOnApp(app, hint, expires))),
    byHand: 'o365-notify secret rotate',
    ...steps,
  };
}

/**
 * The new certificate of a renewal: it keeps the old one's validity period (notBefore..notAfter),
 * bounded by renewedLifetimeMs.
 */
export function renewedCertificate(settings: Settings, appId: string, current: ClientCertificate, now = Date.now()): ClientCertificate {
  const facts = certificateFacts(current.certificatePem);
  const period = renewedLifetimeMs(settings, Date.parse(facts.endDateTime) - Date.parse(facts.startDateTime));
  // newClientCertificate backdates notBefore: the lifetime it is given is the period less that.
  return newClientCertificate(appId, period - CERTIFICATE_BACKDATE_MS, now);
}

/** The certificate, due by its own end date (notAfter): nobody types it. */
export function ownCertificate(
  settings: Settings,
  appId: string,
  current: ClientCertificate,
  steps: Pick<OwnCredential<ClientCertificate>, 'tryNew' | 'restorePrevious'>,
): OwnCredential<ClientCertificate> {
  return {
    noun: 'certificate',
    expiresAt: Date.parse(certificateFacts(current.certificatePem).endDateTime),
    kind: (directory) => selfRolledCertificateKind(directory, current, renewedCertificate(settings, appId, current)),
    byHand: 'o365-notify certificate create',
    ...steps,
  };
}

export async function renewOwnCredentialIfDue<New>(options: {
  settings: Settings;
  now: number;
  credential: OwnCredential<New>;
  /** The app's own app-only token (with the credential in use). */
  accessToken(): Promise<AccessTokenResult>;
  ca?: string;
  propagationMs?: number;
  onProgress(line: string): void;
}): Promise<SelfRotation> {
  const { settings, credential } = options;
  const clientId = settings.account.clientId;
  if (!rotationDue(settings, credential.expiresAt, options.now) || !clientId) return { kind: 'not-due' };
  const expires = new Date(credential.expiresAt!).toISOString().slice(0, 10);
  const when = `${credential.expiresAt! <= options.now ? 'expired' : 'expires'} on ${expires}`;
  const what = `The ${credential.noun} ${when}`;
  const byHand = `Nothing was changed; an administrator can replace it: run \`${credential.byHand}\` (they sign in once).`;
  let token: AccessTokenResult;
  try {
    token = await options.accessToken();
  } catch (err) {
    // Entra's code and fix (a SignInError's diagnosis) say more than msal's message.
    const d = err instanceof SignInError ? err.diagnosis : null;
    const why = d ? `${d.code} (${d.title}). ${d.fix}` : (err as Error).message;
    return { kind: 'failed', message: `${what}; renewing it needs a token with it first, and Entra ID refused one: ${why.replace(/\.?$/, '.')} ${byHand}` };
  }
  const transport = createHttpsTransport({ ca: options.ca });
  try {
    const directory = new DirectoryClient(graphBaseUrl(settings), token.accessToken, transport);
    const result = await rollCredential(directory, credential.kind(directory), {
      appId: clientId,
      tryNew: credential.tryNew,
      restorePrevious: credential.restorePrevious,
      propagationMs: options.propagationMs,
      readBy: `the service (${credential.noun} renewal)`,
      retry: credential.byHand,
      onProgress: options.onProgress,
    });
    return { kind: 'rotated', result };
  } catch (err) {
    if (!(err instanceof RegistrationError)) throw err;
    // Graph refused the app's own token: nothing was added, the credential in use stays.
    if (err.code === 'Authorization_RequestDenied') {
      return {
        kind: 'not-allowed',
        message:
          `${what} and o365-notify cannot renew it by itself: Microsoft Graph refused the app's own request (403 Authorization_RequestDenied), ` +
          'because the app lacks the application permission Application.ReadWrite.OwnedBy (API permissions > Add a permission > Microsoft Graph > ' +
          'Application permissions, then Grant admin consent) or ownership of itself (App registrations > Owners). Nothing was changed. ' +
          `Run \`${credential.byHand}\` (an administrator signs in once), or ` +
          `\`o365-notify register --client-id ${clientId} --auth app-only --self-rotate --grant-admin-consent\` so the service renews it from now on.`,
      };
    }
    return { kind: 'failed', message: `Renewing the ${credential.noun} (it ${when}) failed: ${err.message} ${byHand}` };
  } finally {
    transport.close();
  }
}
