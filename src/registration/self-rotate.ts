import { SignInError } from '../auth/index.js';
import { graphBaseUrl, type Settings } from '../config/index.js';
import { createHttpsTransport, type AccessTokenResult } from '../graph/index.js';
import type { ClientCertificate } from '../secrets/index.js';
import { certificateFacts, newClientCertificate } from './certificate.js';
import { selfRolledCertificateKind } from './certificate-kinds.js';
import { rollCredential, type CredentialKind, type RollResult } from './credential-roll.js';
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
 */
export const DEFAULT_ROTATE_DAYS = 30;
/** The new credential's lifetime: Microsoft's portal recommends 180 days for secrets. */
export const SELF_ROTATED_LIFETIME_MS = 180 * 86_400_000;
const DAY_MS = 86_400_000;

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
  return expiresAt - now <= (settings.account.secretRotateDays ?? DEFAULT_ROTATE_DAYS) * DAY_MS;
}

/** The client secret, due by account.secretExpires (the day it expires, UTC). */
export function ownSecret(settings: Settings, steps: Pick<OwnCredential<string>, 'tryNew' | 'restorePrevious'>): OwnCredential<string> {
  const expires = settings.account.secretExpires;
  return {
    noun: 'client secret',
    expiresAt: expires ? Date.parse(`${expires}T00:00:00Z`) : undefined,
    kind: (directory) => secretKind(directory, SELF_ROTATED_LIFETIME_MS),
    byHand: 'o365-notify secret rotate',
    ...steps,
  };
}

/** The certificate, due by its own end date (notAfter): nobody types it. */
export function ownCertificate(appId: string, current: ClientCertificate, steps: Pick<OwnCredential<ClientCertificate>, 'tryNew' | 'restorePrevious'>): OwnCredential<ClientCertificate> {
  return {
    noun: 'certificate',
    expiresAt: Date.parse(certificateFacts(current.certificatePem).endDateTime),
    kind: (directory) => selfRolledCertificateKind(directory, current, newClientCertificate(appId, SELF_ROTATED_LIFETIME_MS)),
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
