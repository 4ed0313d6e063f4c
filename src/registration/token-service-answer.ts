import { openAuthSession, probePublicClientFlows, SignInError, signInAppOnly } from '../auth/index.js';
import type { Settings } from '../config/index.js';
import type { SecretStore } from '../secrets/index.js';

/**
 * One sign-in attempt, reduced to what Entra ID answered: undefined when it issued a token (app-only)
 * or started a device-code sign-in (delegated), else the error code. `register` and `secret rotate`
 * ask it until a new app or secret has reached the token service.
 */
export async function appOnlyAnswer(home: string, env: NodeJS.ProcessEnv, settings: Settings, secrets: SecretStore): Promise<string | undefined> {
  try {
    await signInAppOnly(await openAuthSession({ home, env, settings, secrets }));
    return undefined;
  } catch (err) {
    if (err instanceof SignInError) return err.diagnosis?.code ?? err.message;
    throw err;
  }
}

/** Asking for a device code names the app without signing anyone in (the page's public-client probe). */
export async function delegatedAnswer(settings: Settings): Promise<string | undefined> {
  const probe = await probePublicClientFlows(settings);
  return probe.allowed === true ? undefined : (probe.diagnosis?.code ?? 'no answer');
}
