import { entraEntries } from './catalog-entra.js';
import { graphEntries } from './catalog-graph.js';
import { networkEntries } from './catalog-network.js';
import { oauthEntries } from './catalog-oauth.js';
import type { CatalogEntry, ErrorSource } from './catalog-types.js';

export type { AccountTypeName, CatalogEntry, ErrorSource } from './catalog-types.js';
export { ADMIN_CONSENT_URL_PLACEHOLDER } from './catalog-types.js';

/** Every error o365-notify can explain: the data behind `diagnose`, `explain` and docs/troubleshooting.md. */
export const catalog: readonly CatalogEntry[] = [...entraEntries, ...oauthEntries, ...graphEntries, ...networkEntries];

function keyOf(source: ErrorSource, code: string): string {
  // AADSTS numbers and OAuth names are matched exactly; Graph codes are case-insensitive in practice.
  return `${source === 'http' ? 'graph' : source}:${source === 'graph' || source === 'http' ? code.toLowerCase() : code}`;
}

const index = new Map<string, CatalogEntry>();
for (const entry of catalog) {
  for (const code of [entry.code, ...(entry.aliases ?? [])]) index.set(keyOf(entry.source, code), entry);
}

/** The entry for `AADSTS7000218` (or `7000218`). */
export function findAadsts(code: string | number): CatalogEntry | undefined {
  const digits = String(code).replace(/^AADSTS/i, '');
  return index.get(keyOf('entra', `AADSTS${digits}`));
}

export function findOAuthError(error: string): CatalogEntry | undefined {
  return index.get(keyOf('oauth', error.toLowerCase()));
}

/** Graph `error.code` values and the HTTP aliases (`TooManyRequests`, `RequestBodyTooLarge`). */
export function findGraphCode(code: string): CatalogEntry | undefined {
  return index.get(keyOf('graph', code));
}

/** `ETIMEDOUT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, ... (catalog-network.ts). */
export function findNetworkCode(code: string): CatalogEntry | undefined {
  return index.get(keyOf('network', code));
}

export function findHttpStatus(status: number): CatalogEntry | undefined {
  return index.get(keyOf('http', `HTTP${status}`));
}

/** Every Graph code and alias in the catalog, to look for in free text. */
export function graphCodeNames(): string[] {
  return catalog
    .filter((e) => e.source === 'graph' || e.source === 'http')
    .flatMap((e) => [e.code, ...(e.aliases ?? [])])
    .filter((name) => !/^HTTP\d+$/.test(name));
}

/** Every OAuth `error` value in the catalog, to look for in free text. */
export function oauthErrorNames(): string[] {
  return catalog.filter((e) => e.source === 'oauth').flatMap((e) => [e.code, ...(e.aliases ?? [])]);
}
