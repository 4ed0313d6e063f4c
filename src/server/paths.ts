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
