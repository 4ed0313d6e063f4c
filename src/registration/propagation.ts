import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A new app or secret reaches Entra ID's token service some time after Graph created it; until then
 * sign-in answers as if it did not exist: AADSTS700016 (application not found in the directory),
 * AADSTS7000215 (invalid client secret), or `unauthorized_client`. Microsoft gives no figure ("no
 * documented replication SLAs", https://github.com/microsoftgraph/msgraph-bicep-types/issues/193);
 * support answers "within 3~5 minutes" (https://github.com/MicrosoftDocs/SupportArticles-docs/issues/795).
 */
export const NOT_YET_PROPAGATED = new Set(['AADSTS700016', 'AADSTS7000215', 'unauthorized_client']);

/** How long register and secret rotate wait for it by default. */
export const PROPAGATION_WAIT_MS = 5 * 60_000;
const RETRY_EVERY_MS = 3000;

/** `code`: Entra's last answer (undefined: it worked); `gaveUp`: still "not yet" when the wait ended. */
export interface PropagationOutcome {
  code: string | undefined;
  gaveUp: boolean;
  waitedMs: number;
}

/**
 * Asks `check` (one sign-in attempt; it returns the error code Entra answered, or undefined when it
 * knew the app and credential) until the answer is no longer a "not yet" code or `waitMs` has passed,
 * saying each time that it waits. Any other error means the token service knows them: that error is
 * for the next step (login, test) to diagnose.
 */
export async function waitForTokenService(options: {
  check: () => Promise<string | undefined>;
  waitMs: number;
  what: string;
  now?: () => number;
  onProgress(line: string): void;
}): Promise<PropagationOutcome> {
  const now = options.now ?? Date.now;
  const start = now();
  for (let attempt = 1; ; attempt++) {
    const code = await options.check();
    const waitedMs = now() - start;
    if (code === undefined || !NOT_YET_PROPAGATED.has(code)) return { code, gaveUp: false, waitedMs };
    if (waitedMs + RETRY_EVERY_MS > options.waitMs) return { code, gaveUp: true, waitedMs };
    options.onProgress(
      `Waiting for Entra ID to know ${options.what} (it answered ${code}: new apps and secrets take a while to reach the sign-in service; ` +
        `attempt ${attempt}, giving up after ${Math.round(options.waitMs / 1000)} s)...`,
    );
    await sleep(RETRY_EVERY_MS);
  }
}
