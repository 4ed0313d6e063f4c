import { parseStoreUrl, type StoreLocation } from '../shared/index.js';
import type { Problem } from './problems.js';
import type { StoreSettings } from './settings.js';

/** Where the settings put the store; an unparsable URL counts as SQLite here (config check reports it). */
export function storeLocation(store: StoreSettings | undefined): StoreLocation {
  const parsed = parseStoreUrl(store?.url ?? '');
  return parsed.ok ? parsed.location : { kind: 'sqlite' };
}

/**
 * What `config check` says about store.url beyond its syntax (which parseFieldValue checks):
 * nothing here; whether the database answers is checked by `config check` itself (a connection).
 */
export function checkStore(store: StoreSettings | undefined): Problem[] {
  void store;
  return [];
}
