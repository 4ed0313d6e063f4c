import type { GraphApplication } from './desired.js';
import { DirectoryClient, RegistrationError } from './directory-client.js';
import { PROPAGATION_WAIT_MS, waitForTokenService } from './propagation.js';
import { readRegistration, type RegistrationRecord } from './record.js';

/**
 * One kind of app credential o365-notify rolls (a client secret, a certificate) and how it is added
 * to and removed from the app. Secrets and certificates, by an administrator or by the service
 * itself, differ only in this; the order of the roll is rollCredential's.
 */
export interface CredentialKind<New> {
  /** In the portal's words: "client secret", "certificate". */
  noun: string;
  /** The short word after "o365-notify" in "Removed 1 previous o365-notify secret(s)". */
  short: string;
  /** Adds the new credential; `value` is what tryNew gets (the secret's value, the certificate); `said` words the progress line. */
  add(app: GraphApplication): Promise<{ keyId: string | undefined; endDateTime: string; value: New; said?: string }>;
  remove(app: GraphApplication, keyId: string): Promise<void>;
  /** Puts the app back as it was when the new credential never worked (default: remove it). */
  undo?(app: GraphApplication, keyId: string | undefined): Promise<void>;
  /** The credentials of this kind o365-notify added before: the roll removes these, no others. */
  previous(app: GraphApplication): { keyId: string }[];
}

/** What a roll needs besides Graph access: the credential store's side, and the wait. */
export interface RollSteps<New> {
  appId: string;
  /** Makes the new credential the one in use and asks for a token: undefined when it got one, else Entra's error code. */
  tryNew(value: New): Promise<string | undefined>;
  /** Puts the previous credential back (after the new one never worked). */
  restorePrevious(): Promise<void>;
  /** How long a new credential may take to reach the token service (Entra replicates it). */
  propagationMs?: number;
  readBy: string;
  /** The command to run again later, for the message when the new credential never worked. */
  retry: string;
  now?: () => number;
  onProgress(line: string): void;
}

export interface RollResult {
  endDateTime: string;
  removed: number;
  /** The registration after the roll, for doctor and the page. */
  record?: RegistrationRecord;
}

/**
 * A credential roll without a gap: add the new credential, switch to it only once it gets a token,
 * then remove the ones o365-notify added before. When the new one never works, it is removed again
 * and the previous one stays in use.
 */
export async function rollCredential<New>(directory: DirectoryClient, kind: CredentialKind<New>, steps: RollSteps<New>): Promise<RollResult> {
  const now = steps.now ?? Date.now;
  const app = await directory.applicationByAppId(steps.appId);
  if (!app) throw new RegistrationError(`No app registration with the Application (client) ID ${steps.appId} in this tenant: check account.clientId.`);
  const added = await kind.add(app);
  steps.onProgress(added.said ?? `Added a new ${kind.noun}, valid until ${added.endDateTime.slice(0, 10)}.`);
  const outcome = await waitForTokenService({
    check: () => steps.tryNew(added.value),
    waitMs: steps.propagationMs ?? PROPAGATION_WAIT_MS,
    what: `the new ${kind.noun}`,
    now,
    onProgress: steps.onProgress,
  });
  if (outcome.code !== undefined) {
    await steps.restorePrevious();
    if (kind.undo) await kind.undo(app, added.keyId);
    else if (added.keyId) await kind.remove(app, added.keyId);
    const why = outcome.gaveUp ? `still ${outcome.code} after ${Math.round(outcome.waitedMs / 1000)} s` : outcome.code;
    throw new RegistrationError(
      `The new ${kind.noun} did not get a token (${why}), so it was removed from the app again and the previous credential stays in use. Run \`${steps.retry}\` again later.`,
    );
  }
  const old = kind.previous(app).filter((c) => c.keyId !== added.keyId);
  for (const c of old) await kind.remove(app, c.keyId);
  steps.onProgress(old.length > 0 ? `Removed ${old.length} previous o365-notify ${kind.short}(s) from the app.` : `No previous o365-notify ${kind.short} to remove.`);
  const record = await readRegistration(directory, app.appId, steps.readBy, { withConsent: false, now: now() });
  return { endDateTime: added.endDateTime, removed: old.length, record };
}
