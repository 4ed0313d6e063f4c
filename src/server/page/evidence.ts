import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnosis } from '../../diagnose/index.js';
import type { SecretStore } from '../../secrets/index.js';
import { ensureHomeDir, writeFileAtomic } from '../../infra/index.js';

/**
 * What the page learnt by doing, for the checklist: how the last sign-in from the page went and
 * whether Entra ID lets this app use public client flows. Each finding names the Client ID it was
 * made for, so changing the app registration in the settings starts the checks afresh.
 */
export interface PageEvidence {
  lastSignIn?: { clientId: string; method: SignInMethod; at: string; account: string; scopes: string[] };
  /** From a device-code sign-in, or from asking Entra ID for a device code and polling once. */
  publicClientFlows?: { clientId: string; at: string; allowed: boolean | null; how: 'device-code sign-in' | 'probe'; diagnosis?: Diagnosis };
}

export type SignInMethod = 'browser' | 'device-code' | 'app-only';

const PAGE_EVIDENCE_FILE = 'page-checks.json';

export async function readEvidence(home: string): Promise<PageEvidence> {
  try {
    return JSON.parse(await readFile(join(home, PAGE_EVIDENCE_FILE), 'utf8')) as PageEvidence;
  } catch {
    // Missing or damaged: the checks are simply run again.
    return {};
  }
}

export async function updateEvidence(home: string, change: (e: PageEvidence) => PageEvidence): Promise<PageEvidence> {
  const next = change(await readEvidence(home));
  await ensureHomeDir(home);
  await writeFileAtomic(join(home, PAGE_EVIDENCE_FILE), JSON.stringify(next, null, 2) + '\n');
  return next;
}

/** Evidence about another app registration does not count. */
export function evidenceFor(evidence: PageEvidence, clientId: string | undefined): PageEvidence {
  const same = (c: string | undefined) => clientId !== undefined && c?.toLowerCase() === clientId.toLowerCase();
  return {
    lastSignIn: same(evidence.lastSignIn?.clientId) ? evidence.lastSignIn : undefined,
    publicClientFlows: same(evidence.publicClientFlows?.clientId) ? evidence.publicClientFlows : undefined,
  };
}

interface CachedAccessToken {
  home_account_id?: string;
  client_id?: string;
  target?: string;
}

/**
 * The scopes of the access tokens msal-node holds for the account, read from the encrypted
 * token cache: the token's own `scp`, as Entra ID granted it (also after a `login` in the CLI).
 * Only the `target` fields are read; no token leaves this function.
 */
export async function cachedTokenScopes(secrets: SecretStore, homeAccountId: string | undefined, clientId: string | undefined): Promise<string[] | undefined> {
  if (!homeAccountId || !clientId) return undefined;
  let json: string | undefined;
  try {
    json = await secrets.readTokenCache();
  } catch {
    return undefined;
  }
  if (!json) return undefined;
  try {
    const cache = JSON.parse(json) as { AccessToken?: Record<string, CachedAccessToken> };
    const scopes = new Set<string>();
    for (const entry of Object.values(cache.AccessToken ?? {})) {
      if (entry.home_account_id !== homeAccountId || entry.client_id?.toLowerCase() !== clientId.toLowerCase()) continue;
      for (const scope of (entry.target ?? '').split(/\s+/)) if (scope) scopes.add(scope.replace(/^https:\/\/graph\.microsoft\.com\//i, ''));
    }
    return scopes.size > 0 ? [...scopes] : undefined;
  } catch {
    return undefined;
  }
}
