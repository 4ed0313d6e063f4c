import type { Logger } from 'pino';
import { trustedCa } from '../auth/index.js';
import { loadSettings, saveSettings, type Settings } from '../config/index.js';
import type { AccessTokenResult } from '../graph/index.js';
import { appOnlyAnswer, certificateFacts, ownCertificate, ownSecret, renewOwnCredentialIfDue, saveRegistrationRecord, type OwnCredential, type SelfRotation } from '../registration/index.js';
import type { ClientCertificate, SecretStore } from '../secrets/index.js';

export interface CredentialRenewalContext {
  home: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  settings(): Settings;
  secrets(): SecretStore;
  /** The service's own app-only token, with the credential in use. */
  accessToken(): Promise<AccessTokenResult>;
  /** After a switch: the settings read again and a fresh mailer on the new credential. */
  switched(): Promise<void>;
}

/** What the health check of the certificate needs to know after a renewal check. */
export interface RenewalReport {
  /** The certificate in use after the check (undefined: none, a client secret or a delegated sign-in). */
  certificate?: { thumbprint: string; endDateTime: string };
  /**
   * True when no certificate notice is due from this check: the renewal is still ahead (not due yet)
   * or just renewed it. False when it was due and could not be done (not allowed, failed).
   */
  renewalAhead: boolean;
}

/** The stored certificate as the notices name it: the portal's Thumbprint (SHA-1) and its end. */
export async function certificateInUse(secrets: SecretStore): Promise<RenewalReport['certificate']> {
  const certificate = await secrets.getClientCertificate().catch(() => undefined);
  if (!certificate) return undefined;
  const facts = certificateFacts(certificate.certificatePem);
  return { thumbprint: facts.thumbprintSha1, endDateTime: facts.endDateTime };
}

/**
 * App-only: account.secretRotateDays before the credential in use expires (account.secretExpires for
 * a client secret, the certificate's own end date for a certificate, which wins when both are stored),
 * the service adds a new one to its app, switches once it gets a token and removes the old one; when
 * Graph refuses, it warns with the fix and nothing changes. The report says whether the certificate's
 * health notice is due (runtime.ts feeds it to the notices).
 */
export async function renewCredentialIfDue(ctx: CredentialRenewalContext): Promise<RenewalReport> {
  const settings = ctx.settings();
  if (settings.account.auth !== 'app-only') return { renewalAhead: true };
  if (!settings.account.clientId) return { certificate: await certificateInUse(ctx.secrets()), renewalAhead: false };
  const secrets = ctx.secrets();
  const { home, env } = ctx;
  const tryWith = (store: () => Promise<void>) => async () => {
    await store();
    return appOnlyAnswer(home, env, settings, secrets);
  };
  const certificate = await secrets.getClientCertificate().catch(() => undefined);
  let credential: OwnCredential<string> | OwnCredential<ClientCertificate>;
  if (certificate) {
    credential = ownCertificate(settings, settings.account.clientId, certificate, {
      tryNew: (next) => tryWith(() => secrets.setClientCertificate(next))(),
      restorePrevious: () => secrets.setClientCertificate(certificate),
    });
  } else {
    const previous = await secrets.getClientSecret();
    // The hint (first three characters, as Graph lists it) finds the secret in use on the app.
    credential = ownSecret(settings, previous?.slice(0, 3), {
      tryNew: (value) => tryWith(() => secrets.setClientSecret(value))(),
      restorePrevious: async () => (previous === undefined ? secrets.clearClientSecret() : secrets.setClientSecret(previous)),
    });
  }
  const log = ctx.logger.child({ component: `${credential.noun === 'certificate' ? 'certificate' : 'secret'}-renewal` });
  const inUse = certificate && (await certificateInUse(secrets));
  let outcome: SelfRotation;
  try {
    outcome = await renewOwnCredentialIfDue<string | ClientCertificate>({
      settings,
      now: Date.now(),
      credential: credential as OwnCredential<string | ClientCertificate>,
      accessToken: ctx.accessToken,
      ca: await trustedCa(settings),
      onProgress: (line) => log.info(line),
    });
  } catch (err) {
    // Unexpected (not Graph's answer): the credential in use stays, and its notice is due as if refused.
    log.error({ err }, 'renewing the app-only credential failed');
    return { certificate: inUse, renewalAhead: false };
  }
  if (outcome.kind === 'not-allowed' || outcome.kind === 'failed') log.warn(outcome.message);
  if (outcome.kind !== 'rotated') return { certificate: inUse, renewalAhead: outcome.kind === 'not-due' };
  const endsOn = outcome.result.endDateTime.slice(0, 10);
  if (credential.noun === 'client secret') {
    const file = await loadSettings(home, env);
    file.account.secretExpires = endsOn;
    await saveSettings(home, file, env);
  }
  if (outcome.result.record) await saveRegistrationRecord(home, outcome.result.record);
  await ctx.switched();
  log.info({ expires: endsOn, removed: outcome.result.removed }, `renewed the ${credential.noun}: the new one is in use, the old one removed from the app`);
  return { certificate: certificate && (await certificateInUse(ctx.secrets())), renewalAhead: true };
}
