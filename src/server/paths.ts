import path from 'node:path';
import { STORE_FILE_NAME } from '../store/index.js';

/** Where the running service keeps its files inside the home directory. */

/** The SQLite store (events, alert state, outbox, delivery log): `<home>/data/o365-notify.db`. */
export function serviceStorePath(home: string): string {
  return path.join(home, 'data', STORE_FILE_NAME);
}

/** The API token's salted hash (never the token itself). */
export function apiTokenPath(home: string): string {
  return path.join(home, 'api-token.json');
}

/**
 * Where the running service records its address (issue 9.4): written once it listens, removed at
 * shutdown, so `event` and `silence` find it on any port and never write the store behind its back.
 */
export function serviceRecordPath(home: string): string {
  return path.join(home, 'service.json');
}
