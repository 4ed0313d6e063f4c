import { graphBaseUrl, type Settings } from '../config/index.js';
import { createHttpsTransport, grantedPermissions, type AccessTokenResult } from '../graph/index.js';
import { DirectoryClient, RegistrationError } from './directory-client.js';
import { rotateOnDirectory, type RotateResult } from './rotate.js';

/**
 * The service renews its own client secret before it expires (app-only). Graph lets an app add a
 * password to an app it owns with the application permission Application.ReadWrite.OwnedBy
 * (https://learn.microsoft.com/graph/api/application-addpassword,
 * https://learn.microsoft.com/graph/permissions-reference#applicationreadwriteownedby): `register
 * --self-rotate` grants it and makes the app an owner of itself. Without it, the service warns.
 */
export const DEFAULT_ROTATE_DAYS = 30;
/** The new secret's lifetime: Microsoft's portal recommends 180 days. */
export const SELF_ROTATED_LIFETIME_MS = 180 * 86_400_000;
const DAY_MS = 86_400_000;
const MAY_ROTATE = ['application.readwrite.ownedby', 'application.readwrite.all'];

export type SelfRotation =
  | { kind: 'not-due' }
  | { kind: 'not-allowed'; message: string }
  | { kind: 'rotated'; result: RotateResult }
  | { kind: 'failed'; message: string };

export function rotationDue(settings: Settings, now: number): boolean {
  const { auth, secretExpires, secretRotateDays } = settings.account;
  if (auth !== 'app-only' || !secretExpires) return false;
  return Date.parse(`${secretExpires}T00:00:00Z`) - now <= (secretRotateDays ?? DEFAULT_ROTATE_DAYS) * DAY_MS;
}

export async function rotateOwnSecretIfDue(options: {
  settings: Settings;
  now: number;
  /** The app's own app-only token (with the secret in use). */
  accessToken(): Promise<AccessTokenResult>;
  ca?: string;
  tryNewSecret(value: string): Promise<string | undefined>;
  restoreOldSecret(): Promise<void>;
  propagationMs?: number;
  onProgress(line: string): void;
}): Promise<SelfRotation> {
  const { settings } = options;
  if (!rotationDue(settings, options.now) || !settings.account.clientId) return { kind: 'not-due' };
  const expires = settings.account.secretExpires!;
  let token: AccessTokenResult;
  try {
    token = await options.accessToken();
  } catch (err) {
    return { kind: 'failed', message: `The client secret expires on ${expires}; renewing it needs a token first, and that failed: ${(err as Error).message}` };
  }
  const granted = grantedPermissions(token);
  if (!MAY_ROTATE.some((p) => granted?.has(p))) {
    return {
      kind: 'not-allowed',
      message:
        `The client secret expires on ${expires} and o365-notify cannot renew it by itself: the app lacks the application permission ` +
        'Application.ReadWrite.OwnedBy (API permissions > Add a permission > Microsoft Graph > Application permissions, then Grant admin consent) ' +
        'and ownership of itself (App registrations > Owners). Run `o365-notify secret rotate` (an administrator signs in once), or ' +
        `\`o365-notify register --client-id ${settings.account.clientId} --auth app-only --self-rotate --grant-admin-consent\` so the service renews it from now on.`,
    };
  }
  const transport = createHttpsTransport({ ca: options.ca });
  try {
    const directory = new DirectoryClient(graphBaseUrl(settings), token.accessToken, transport);
    const result = await rotateOnDirectory(directory, {
      appId: settings.account.clientId,
      lifetimeMs: SELF_ROTATED_LIFETIME_MS,
      tryNewSecret: options.tryNewSecret,
      restoreOldSecret: options.restoreOldSecret,
      propagationMs: options.propagationMs,
      readBy: 'the service (secret renewal)',
      onProgress: options.onProgress,
    });
    return { kind: 'rotated', result };
  } catch (err) {
    if (err instanceof RegistrationError) return { kind: 'failed', message: `Renewing the client secret (it expires on ${expires}) failed: ${err.message}` };
    throw err;
  } finally {
    transport.close();
  }
}
