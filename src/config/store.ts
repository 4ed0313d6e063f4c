import { parseStoreUrl, type StoreLocation } from '../shared/index.js';
import type { StoreSettings } from './settings.js';

/** Where the settings put the store; an unparsable URL counts as SQLite here (config check reports it). */
export function storeLocation(store: StoreSettings | undefined): StoreLocation {
  const parsed = parseStoreUrl(store?.url ?? '');
  return parsed.ok ? parsed.location : { kind: 'sqlite' };
}
