import type pg from 'pg';

/**
 * What a PostgreSQL repository runs its statements on: the pool (each statement its own
 * transaction, or a transaction of its own where a method needs several statements), one
 * checked-out client (the unit of work's, PgStore.unitOfWork), or a ContextualQueryable.
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * The store's own repositories: the pool, except inside a unit of work's function, where the
 * unit's client (found by `current`) - so `store.events.x()` called from within a unit is part of
 * it, as on SQLite, instead of waiting on the unit's row locks from another connection (which
 * would wait forever: the unit waits for that call).
 */
export class ContextualQueryable implements Queryable {
  constructor(
    readonly pool: pg.Pool,
    readonly current: () => pg.PoolClient | undefined,
  ) {}

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return (this.current() ?? this.pool).query<R>(text, values);
  }
}

/** Clients between their BEGIN and COMMIT/ROLLBACK: a method given one joins that transaction. */
const openUnits = new WeakSet<pg.PoolClient>();

function isClient(q: Queryable): q is pg.PoolClient {
  return typeof (q as pg.PoolClient).release === 'function';
}

/** Whether statements on `q` run inside a transaction opened by runInTransaction / transact. */
export function inOpenTransaction(q: Queryable): boolean {
  if (q instanceof ContextualQueryable) return q.current() !== undefined;
  return isClient(q) && openUnits.has(q);
}

/**
 * Runs `fn` in a transaction on `client`: BEGIN, then COMMIT, or ROLLBACK if `fn` (or the COMMIT)
 * throws. Not nested: a client already in one is refused (transact() joins instead).
 */
export async function runInTransaction<T>(client: pg.PoolClient, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (openUnits.has(client)) throw new Error('runInTransaction: this client is already in a transaction (join it with transact()).');
  await client.query('BEGIN');
  openUnits.add(client);
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    openUnits.delete(client);
  }
}

/**
 * `fn` in one transaction: the open one when `q` is a client inside a unit of work (no nested
 * BEGIN), else a new one - on a client checked out of the pool for it, or on the given client.
 */
export async function transact<T>(q: Queryable, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (q instanceof ContextualQueryable) {
    const open = q.current();
    return open ? fn(open) : transact(q.pool, fn);
  }
  if (isClient(q)) return openUnits.has(q) ? fn(q) : runInTransaction(q, fn);
  const client = await (q as pg.Pool).connect();
  let broken: Error | undefined;
  try {
    return await runInTransaction(client, fn);
  } catch (err) {
    // A connection that died mid-way is dropped from the pool, not handed to the next caller.
    if (isConnectionError(err)) broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The connection itself failed (server gone, network dropped), not a statement. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string' && (/^(08|57P)/.test(e.code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code))) return true;
  return /Connection terminated|Client has encountered a connection error/.test(e?.message ?? '');
}
