import type pg from 'pg';

/**
 * What a PostgreSQL repository runs its statements on: the pool (each statement its own
 * transaction, or a transaction of its own where a method needs several statements) or one
 * checked-out client (the unit of work's, PgStore.unitOfWork).
 */
export type Queryable = pg.Pool | pg.PoolClient;

/** Clients between their BEGIN and COMMIT/ROLLBACK: a method given one joins that transaction. */
const openUnits = new WeakSet<pg.PoolClient>();

function isClient(q: Queryable): q is pg.PoolClient {
  return typeof (q as pg.PoolClient).release === 'function';
}

/** Whether `q` is a client with a transaction open by runInTransaction / transact. */
export function inOpenTransaction(q: Queryable): boolean {
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
  if (isClient(q)) return openUnits.has(q) ? fn(q) : runInTransaction(q, fn);
  const client = await q.connect();
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
