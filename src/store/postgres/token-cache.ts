import type pg from 'pg';
import { describePgError, type PgLocation } from './pool.js';
import { transact } from './queryable.js';

/**
 * msal's token cache and the sign-in state shared by the instances (issue 16.3, table token_caches,
 * docs/postgres-token-cache.md). The cache row holds only the sealed envelope the auth layer hands
 * in (this module never sees a key or a token); the auth layer's SealedTokenCacheStore and
 * AuthStateStore ports are implemented here structurally (the store imports no auth).
 *
 * A lock is a transaction on one checked-out connection holding a transaction-level advisory lock:
 * released at COMMIT, and by the server if the instance dies, so a crash never leaves it held
 * (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS). Writes are
 * compare-and-set on `version`, so a writer that skipped the lock is detected, not overwritten.
 */

/** The advisory lock's first key: apart from the store's (LOCK_PRODUCT, n) keys. The second is hashtext(name). */
const LOCK_NAMESPACE = 'o365-notify token_caches';

export interface PgTokenCacheOptions {
  /** Who writes (updated_by): the instance's name. */
  instance: string;
  /** For messages (password masked); without it errors name "the PostgreSQL store". */
  location?: PgLocation;
  /** How long to wait for another instance's lock before failing (lock_timeout). Default 15 s. */
  lockTimeoutMs?: number;
  /** An instance stuck while holding the lock loses it (and its transaction) after this long. Default 30 s. */
  holdTimeoutMs?: number;
}

/** The shared cache or state could not be used; the message says why and what to do. */
/** How long an e-mail waits when the shared token cache cannot be read or written (the worker's retry, not a failure). */
export const TOKEN_CACHE_RETRY_SECONDS = 15;

export class PgTokenCacheError extends Error {
  /** Read by the mail client's token-failure decision (src/graph/retry.ts): the database comes back, the e-mail waits. */
  readonly retryAfterSeconds = TOKEN_CACHE_RETRY_SECONDS;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'PgTokenCacheError';
  }
}

type WriteResult = { ok: true; version: number } | { ok: false; sealed: string | undefined; version: number };

export interface PgSealedLease {
  readonly sealed: string | undefined;
  readonly version: number;
  write(sealed: string, expected: number): Promise<WriteResult>;
  release(): Promise<void>;
}

interface Row {
  version: number;
  ciphertext: string | null;
}

export class PgTokenCaches {
  private readonly lockTimeoutMs: number;
  private readonly holdTimeoutMs: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgTokenCacheOptions,
  ) {
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
    this.holdTimeoutMs = options.holdTimeoutMs ?? 30_000;
  }

  private get display(): string {
    return this.options.location?.display ?? 'the PostgreSQL store';
  }

  private failure(what: string, err: unknown): PgTokenCacheError {
    if (err instanceof PgTokenCacheError) return err;
    const code = (err as { code?: string }).code;
    if (code === '55P03') {
      return new PgTokenCacheError(
        `Could not ${what}: another o365-notify instance has held its lock for more than ${Math.round(this.lockTimeoutMs / 1000)} s. ` +
          'It is stuck or very slow; it loses the lock by itself, or restart it. The next token request tries again.',
        err,
      );
    }
    const why = this.options.location ? describePgError(err, this.options.location) : `${(err as Error).message ?? String(err)}${code ? ` (${code})` : ''}`;
    return new PgTokenCacheError(
      `Could not ${what} (the token cache every instance shares is in ${this.display}, table token_caches): ${why} ` +
        'No token is used or saved without it: e-mails wait and are sent once the database answers.',
      err,
    );
  }

  /** The sealed cache `name` (SealedTokenCacheStore of src/auth/token-cache-port.ts). */
  cache(name = 'msal'): { readonly where: string; lock(): Promise<PgSealedLease> } {
    return { where: `the token_caches row '${name}' in ${this.display}`, lock: () => this.lock(name) };
  }

  private async lock(name: string): Promise<PgSealedLease> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.failure('read the token cache', err);
    }
    let row: Row | undefined;
    try {
      await client.query('BEGIN');
      // Integers only (SET takes no parameters): a waiting instance gives up, a stuck holder is cut off.
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(this.lockTimeoutMs))}`);
      await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.max(1, Math.trunc(this.holdTimeoutMs))}`);
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [LOCK_NAMESPACE, name]);
      row = (await client.query<Row>('SELECT version, ciphertext FROM token_caches WHERE name = $1', [name])).rows[0];
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(true);
      throw this.failure('read the token cache', err);
    }
    let open = true;
    const current = async (): Promise<WriteResult> => {
      const now = (await client.query<Row>('SELECT version, ciphertext FROM token_caches WHERE name = $1', [name])).rows[0];
      return { ok: false, sealed: now?.ciphertext ?? undefined, version: now?.version ?? 0 };
    };
    return {
      sealed: row?.ciphertext ?? undefined,
      version: row?.version ?? 0,
      write: async (sealed: string, expected: number): Promise<WriteResult> => {
        try {
          // Version 0: no row yet. Either way only the version read may be replaced (compare-and-set).
          const result =
            expected === 0
              ? await client.query<{ version: number }>(
                  `INSERT INTO token_caches (name, version, ciphertext, updated_at, updated_by) VALUES ($1, 1, $2, $3, $4)
                   ON CONFLICT (name) DO UPDATE SET version = token_caches.version + 1, ciphertext = EXCLUDED.ciphertext,
                     updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
                   WHERE token_caches.version = 0 RETURNING version`,
                  [name, sealed, Date.now(), this.options.instance],
                )
              : await client.query<{ version: number }>(
                  `UPDATE token_caches SET version = version + 1, ciphertext = $2, updated_at = $3, updated_by = $4
                   WHERE name = $1 AND version = $5 RETURNING version`,
                  [name, sealed, Date.now(), this.options.instance, expected],
                );
          const written = result.rows[0];
          return written ? { ok: true, version: written.version } : await current();
        } catch (err) {
          throw this.failure('save the refreshed token', err);
        }
      },
      release: async (): Promise<void> => {
        if (!open) return;
        open = false;
        try {
          await client.query('COMMIT');
          client.release();
        } catch (err) {
          client.release(true);
          throw this.failure('save the token cache', err);
        }
      },
    };
  }

  /** Forgets the cache `name` (sign-out); the version moves on, so a lease that read it cannot write it back. */
  async clear(name = 'msal'): Promise<void> {
    try {
      await this.pool.query('UPDATE token_caches SET version = version + 1, ciphertext = NULL, updated_at = $2, updated_by = $3 WHERE name = $1', [
        name,
        Date.now(),
        this.options.instance,
      ]);
    } catch (err) {
      throw this.failure('clear the token cache', err);
    }
  }

  /** The sign-in state row `name` (AuthStateStore of src/auth/token-cache-port.ts): plain JSON, not secret. */
  state<T extends object>(name = 'auth-state'): { read(): Promise<T>; update(change: (state: T) => T): Promise<T> } {
    return {
      read: async () => {
        try {
          const { rows } = await this.pool.query<{ state: T | null }>('SELECT state FROM token_caches WHERE name = $1', [name]);
          return rows[0]?.state ?? ({} as T);
        } catch (err) {
          throw this.failure('read the sign-in state', err);
        }
      },
      // The row lock (FOR UPDATE) makes read-modify-write exclusive across instances.
      update: async (change) => {
        try {
          return await transact(this.pool, async (client) => {
            await client.query(
              `INSERT INTO token_caches (name, version, state, updated_at, updated_by) VALUES ($1, 0, '{}', $2, $3) ON CONFLICT (name) DO NOTHING`,
              [name, Date.now(), this.options.instance],
            );
            const { rows } = await client.query<{ state: T | null }>('SELECT state FROM token_caches WHERE name = $1 FOR UPDATE', [name]);
            const next = change(rows[0]?.state ?? ({} as T));
            await client.query('UPDATE token_caches SET state = $2::jsonb, version = version + 1, updated_at = $3, updated_by = $4 WHERE name = $1', [
              name,
              JSON.stringify(next),
              Date.now(),
              this.options.instance,
            ]);
            return next;
          });
        } catch (err) {
          throw this.failure('save the sign-in state', err);
        }
      },
    };
  }
}
