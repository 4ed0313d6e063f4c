import { trustedCa } from '../auth/index.js';
import { authorityHost, graphBaseUrl, redirectUri, saveSettings, usesEmulator, type AccountType, type AuthMode, type Settings } from '../config/index.js';
import type { SecretStore } from '../secrets/index.js';
import type { DeviceCodeInfo } from './admin-sign-in.js';
import { waitForTokenService, type PropagationOutcome } from './propagation.js';
import { saveRegistrationRecord } from './record.js';
import { register, type RegisterResult } from './register.js';
import { appOnlyAnswer, delegatedAnswer } from './token-service-answer.js';

/** What `register` and the page's "Register for me" ask for. */
export interface RegistrationRequest {
  accountType: AccountType;
  auth: AuthMode;
  displayName: string;
  tenant?: string;
  clientId?: string;
  grantAdminConsent: boolean;
  checkOnly?: boolean;
  largeAttachments?: boolean;
  selfRotate?: boolean;
  /** App-only: the lifetime of a new client secret (added when the app has none stored here). */
  secretLifetimeMs: number;
  propagationMs: number;
  sender?: string;
  to?: string[];
  bootstrapClientId: string;
}

export interface RegistrationOutcome {
  result: RegisterResult;
  /** The settings file written (undefined for --check). */
  settingsFile?: string;
  /** Whether Entra's sign-in service knew the new app or secret at the end (undefined: nothing new). */
  propagation?: PropagationOutcome;
}

/**
 * The whole `register` flow, shared by the command and the settings page: the administrator's
 * device-code sign-in, the app made or fixed through Graph, the record for doctor and the page, the
 * new secret into the encrypted store (never returned to a caller's output), the settings written as
 * `setup` does, then the bounded wait until Entra's sign-in service knows the new app or secret.
 * `fileSettings` is what gets written; `endpoints` where Entra and Graph are (file + environment).
 */
export async function registerAndSave(options: {
  home: string;
  env: NodeJS.ProcessEnv;
  fileSettings: Settings;
  endpoints: Settings['endpoints'];
  secrets: SecretStore;
  request: RegistrationRequest;
  onCode(message: string, info?: DeviceCodeInfo): void;
  onProgress(line: string): void;
}): Promise<RegistrationOutcome> {
  const { home, env, secrets, request } = options;
  const target: Settings = { ...options.fileSettings, endpoints: options.endpoints };
  const needSecret = request.auth === 'app-only' && (request.clientId === undefined || !(await secrets.hasClientSecret()));
  const result = await register({
    wanted: {
      displayName: request.displayName,
      accountType: request.accountType,
      auth: request.auth,
      redirectUri: redirectUri(target),
      largeAttachments: request.largeAttachments ?? false,
      selfRotate: request.selfRotate,
    },
    clientId: request.clientId,
    tenant: request.tenant,
    grantAdminConsent: request.grantAdminConsent && !request.checkOnly,
    checkOnly: request.checkOnly,
    newSecretLifetimeMs: needSecret && !request.checkOnly ? request.secretLifetimeMs : undefined,
    bootstrapClientId: request.bootstrapClientId,
    loginHost: authorityHost(target),
    graphBase: graphBaseUrl(target),
    ca: await trustedCa(target),
    emulator: usesEmulator(target),
    onCode: options.onCode,
    onProgress: options.onProgress,
  });
  if (result.record) await saveRegistrationRecord(home, result.record);
  if (request.checkOnly) return { result };
  if (result.secret) await secrets.setClientSecret(result.secret.value);
  const settings = options.fileSettings;
  settings.account = {
    ...settings.account,
    type: request.accountType,
    clientId: result.appId,
    tenantId: result.tenantId,
    auth: request.auth,
    ...(request.auth === 'app-only' ? { sender: request.sender } : {}),
    ...(result.secret ? { secretExpires: result.secret.endDateTime.slice(0, 10) } : {}),
  };
  if (request.to) settings.mail.to = request.to;
  const settingsFile = await saveSettings(home, settings, env);
  options.onProgress(`Settings written to ${settingsFile}.`);
  if (!result.created && !result.secret) return { result, settingsFile };
  const saved: Settings = { ...settings, endpoints: options.endpoints };
  const what = result.created ? 'the new app' : 'the new client secret';
  const propagation = await waitForTokenService({
    check: () => (request.auth === 'app-only' ? appOnlyAnswer(home, env, saved, secrets) : delegatedAnswer(saved)),
    waitMs: request.propagationMs,
    what,
    onProgress: options.onProgress,
  });
  options.onProgress(
    propagation.gaveUp
      ? `Entra ID's sign-in service does not know ${what} yet (still ${propagation.code} after ${Math.round(propagation.waitedMs / 1000)} s). ` +
          'That happens for a while after App registrations changes; wait a few minutes before the next step (or run register again with a longer --propagation-wait).'
      : `Entra ID's sign-in service knows ${what}.`,
  );
  return { result, settingsFile, propagation };
}
