import type { Logger } from 'pino';
import { trustedCa } from '../auth/index.js';
import { loadSettings, saveSettings, type Settings } from '../config/index.js';
import type { AccessTokenResult } from '../graph/index.js';
import { appOnlyAnswer, ownCertificate, ownSecret, renewOwnCredentialIfDue, saveRegistrationRecord, type OwnCredential } from '../registration/index.js';
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

/**
 * App-only: account.secretRotateDays before the credential in use expires (account.secretExpires for
 * a client secret, the certificate's own end date for a certificate, which wins when both are stored),
 * the service adds a new one to its app, switches once it gets a token and removes the old one; when
 * Graph refuses, it warns with the fix and nothing changes.
 */
export async function renewCredentialIfDue(ctx: CredentialRenewalContext): Promise<void> {
  const settings = ctx.settings();
  if (settings.account.auth !== 'app-only' || !settings.account.clientId) return;
  const secrets = ctx.secrets();
  const { home, env } = ctx;
  const tryWith = (store: () => Promise<void>) => async () => {
    await store();
    return appOnlyAnswer(home, env, settings, secrets);
  };
  const certificate = await secrets.getClientCertificate().catch(() => undefined);
  let credential: OwnCredential<string> | OwnCredential<ClientCertificate>;
  if (certificate) {
    credential = ownCertificate(settings.account.clientId, certificate, {
      tryNew: (next) => tryWith(() => secrets.setClientCertificate(next))(),
      restorePrevious: () => secrets.setClientCertificate(certificate),
    });
  } else {
    const previous = await secrets.getClientSecret();
    credential = ownSecret(settings, {
      tryNew: (value) => tryWith(() => secrets.setClientSecret(value))(),
      restorePrevious: async () => (previous === undefined ? secrets.clearClientSecret() : secrets.setClientSecret(previous)),
    });
  }
  const log = ctx.logger.child({ component: `${credential.noun === 'certificate' ? 'certificate' : 'secret'}-renewal` });
  const outcome = await renewOwnCredentialIfDue<string | ClientCertificate>({
    settings,
    now: Date.now(),
    credential: credential as OwnCredential<string | ClientCertificate>,
    accessToken: ctx.accessToken,
    ca: await trustedCa(settings),
    onProgress: (line) => log.info(line),
  });
  if (outcome.kind === 'not-allowed' || outcome.kind === 'failed') log.warn(outcome.message);
  if (outcome.kind !== 'rotated') return;
  const endsOn = outcome.result.endDateTime.slice(0, 10);
  if (credential.noun === 'client secret') {
    const file = await loadSettings(home, env);
    file.account.secretExpires = endsOn;
    await saveSettings(home, file, env);
  }
  if (outcome.result.record) await saveRegistrationRecord(home, outcome.result.record);
  await ctx.switched();
  log.info({ expires: endsOn, removed: outcome.result.removed }, `renewed the ${credential.noun}: the new one is in use, the old one removed from the app`);
}
