import { open } from 'node:fs/promises';
import Database from 'better-sqlite3';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** True for an SQLite database file (its first 16 bytes), whatever it is called. */
export async function isSqliteFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(SQLITE_HEADER);
  } finally {
    await handle.close();
  }
}

/**
 * A consistent copy of a live database: `VACUUM INTO` reads one snapshot inside a read
 * transaction, so a running service may go on writing (WAL readers never block the writer), and
 * the copy holds every committed transaction, including those still only in the -wal file.
 * https://www.sqlite.org/lang_vacuum.html#vacuuminto
 */
export function snapshotDatabase(file: string, destination: string): { schemaVersion: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    db.prepare('VACUUM INTO ?').run(destination);
    return { schemaVersion };
  } finally {
    db.close();
  }
}

/** `PRAGMA user_version` and `integrity_check` of a database file (read-only). */
export function inspectDatabase(file: string): { schemaVersion: number; problems: string[] } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return { schemaVersion, problems: rows.map((r) => r.integrity_check).filter((r) => r !== 'ok') };
  } finally {
    db.close();
  }
}
