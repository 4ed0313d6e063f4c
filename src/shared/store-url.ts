/**
 * `store.url` (O365_NOTIFY_STORE_URL): where the store lives. Absent or `sqlite:` is the embedded
 * SQLite file in the home directory; `postgres://` (or `postgresql://`) is a PostgreSQL database
 * that several instances can share (issue 16). The one parser and the one way to show such a URL:
 * a password in it is never printed, logged or put in an error.
 */
export type StoreLocation =
  | { kind: 'sqlite' }
  | {
      kind: 'postgres';
      /** The URL as given, password included: for the driver only. */
      url: string;
      /** The same URL with the password replaced by `***`: for every message and display. */
      display: string;
      host: string;
      port: number;
      database: string;
      user: string;
    };

export type ParsedStoreUrl = { ok: true; location: StoreLocation } | { ok: false; problem: string };

const EXAMPLE = 'postgres://USER@HOST:5432/DATABASE (the password in PGPASSWORD or ~/.pgpass, or postgres://USER:PASSWORD@HOST/DATABASE)';

/** The URL with its password (if any) masked; text that is not a URL is not shown at all. */
export function redactStoreUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    return url.href;
  } catch {
    return '(a value that is not a URL)';
  }
}

export function parseStoreUrl(raw: string): ParsedStoreUrl {
  const text = raw.trim();
  if (text === '' || text === 'sqlite:' || text === 'sqlite') return { ok: true, location: { kind: 'sqlite' } };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not echoed: a mistyped URL can still hold a password.
    return { ok: false, problem: `is not a URL. Use sqlite: (the default, a file in the home directory) or ${EXAMPLE}.` };
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  if (scheme === 'sqlite') {
    return { ok: false, problem: 'names a SQLite path, but the SQLite store is always o365-notify.db in the home directory: write just sqlite: (or leave it unset) and choose the file with --home.' };
  }
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    return { ok: false, problem: `uses ${scheme}:, which is not a store this version can use. Use sqlite: (the default) or ${EXAMPLE}.` };
  }
  const display = redactStoreUrl(text);
  if (url.hostname === '') return { ok: false, problem: `(${display}) has no host. Write it as ${EXAMPLE}.` };
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    return { ok: false, problem: `(${display}) names no database: put one after the host, as in ${EXAMPLE}.` };
  }
  const port = url.port === '' ? 5432 : Number(url.port);
  return {
    ok: true,
    location: {
      kind: 'postgres',
      url: text,
      display,
      host: url.hostname,
      port,
      database,
      user: decodeURIComponent(url.username),
    },
  };
}
