import { parseStoreUrl, type StoreLocation } from '../shared/index.js';
import type { Problem } from './problems.js';
import type { StoreSettings } from './settings.js';

/** Where the settings put the store; an unparsable URL counts as SQLite here (config check reports it). */
export function storeLocation(store: StoreSettings | undefined): StoreLocation {
  const parsed = parseStoreUrl(store?.url ?? '');
  return parsed.ok ? parsed.location : { kind: 'sqlite' };
}

/**
 * The service cannot run on PostgreSQL yet (issue 16: src/notify uses the store synchronously
 * until the store is an async port). Said plainly, never by falling back to the SQLite file: an
 * operator who set store.url expects the shared database, and a second instance on a private
 * SQLite file would send everything again.
 */
export class StoreNotAvailableError extends Error {
  constructor(display: string) {
    super(
      `store.url points to PostgreSQL (${display}), but running the service on PostgreSQL is not available yet in this version of o365-notify. ` +
        'The service did not start (it does not fall back to the SQLite file, which would hold none of that database\'s e-mails). ' +
        'Unset store.url (and O365_NOTIFY_STORE_URL) to run on SQLite in the home directory; `o365-notify store migrate` and `store copy` already work with PostgreSQL.',
    );
    this.name = 'StoreNotAvailableError';
  }
}

/** Throws StoreNotAvailableError when the settings ask for a store the service cannot use yet. */
export function assertServiceStoreAvailable(store: StoreSettings | undefined): void {
  const location = storeLocation(store);
  if (location.kind === 'postgres') throw new StoreNotAvailableError(location.display);
}

/** What `config check` says about store.url beyond its syntax (which parseFieldValue checks). */
export function checkStore(store: StoreSettings | undefined): Problem[] {
  const location = storeLocation(store);
  if (location.kind !== 'postgres') return [];
  return [
    {
      field: 'store.url',
      severity: 'warning',
      message: `store.url points to PostgreSQL (${location.display}): \`o365-notify store migrate\` and \`store copy\` use it, but \`serve\` cannot run on PostgreSQL yet in this version and refuses to start. Unset store.url to serve from SQLite.`,
      guideStep: null,
    },
  ];
}
