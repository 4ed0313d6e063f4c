import fs from 'node:fs';
import path from 'node:path';
import { readSettings, resolveHome } from '../../config/index.js';
import { readServiceRecord, recordedProcessAlive, serviceStorePath } from '../../server/index.js';
import { parseStoreUrl, type StoreLocation } from '../../shared/index.js';
import { loadPostgresStore, openStore, type PgLocation } from '../../store/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify store migrate [--url URL]
       o365-notify store copy --from HOME|sqlite: --to postgres://USER@HOST/DATABASE

  migrate  bring the store to this version's schema: the PostgreSQL database of --url (default
           store.url / O365_NOTIFY_STORE_URL), else the SQLite store in the home directory. Several
           instances may run it at once: an advisory lock lets one apply each step, the others wait.
  copy     copy the SQLite store of a home directory (sqlite: for --home's, or the .db file) into an empty PostgreSQL
           database: every table in one transaction, row counts checked table by table, relayed
           messages spooled to files read into the database. Refused, with nothing changed, when the
           database already holds data or an o365-notify service is running on that home.

A password belongs in PGPASSWORD or ~/.pgpass rather than in the URL; a URL is only ever shown with
its password masked.`;

type Postgres = Extract<StoreLocation, { kind: 'postgres' }>;

function postgresUrl(text: string, flag: string): Postgres {
  const parsed = parseStoreUrl(text);
  if (!parsed.ok) throw new UsageError(`${flag} ${parsed.problem}`);
  if (parsed.location.kind !== 'postgres') throw new UsageError(`${flag} must be a postgres:// URL (the SQLite store is the home directory's, no URL needed)`);
  return parsed.location;
}

/** The SQLite file of `--from`: `sqlite:` (this home), a home directory (its data/o365-notify.db) or the .db file itself. */
function sqliteSource(from: string, ctx: CliContext): { file: string; home: string | undefined } {
  if (from.trim() === 'sqlite:') {
    const home = resolveHome(ctx.home, ctx.env);
    return { file: serviceStorePath(home), home };
  }
  const resolved = path.resolve(from);
  const stat = fs.statSync(resolved, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return { file: serviceStorePath(resolved), home: resolved };
  if (stat?.isFile()) return { file: resolved, home: path.basename(path.dirname(resolved)) === 'data' ? path.dirname(path.dirname(resolved)) : undefined };
  throw new UsageError(`--from ${from}: no such directory or file. Pass the home directory of the installation (the one with settings.yaml and data/), or its data/o365-notify.db`);
}

async function withPostgres<T>(location: PgLocation, ctx: CliContext, fn: (pg: Awaited<ReturnType<typeof loadPostgresStore>>, pool: import('pg').Pool) => Promise<T>): Promise<T | undefined> {
  const pg = await loadPostgresStore();
  const pool = pg.createPgPool(location, { max: 2, applicationName: 'o365-notify store' });
  try {
    return await fn(pg, pool);
  } catch (err) {
    if (err instanceof pg.TargetNotEmptyError || err instanceof pg.CopyCountMismatchError || err instanceof pg.PgStoreVersionError) writeLine(ctx.stderr, err.message);
    else writeLine(ctx.stderr, pg.describePgError(err, location));
    return undefined;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function migrateCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { url: { type: 'string' } });
  const home = resolveHome(ctx.home, ctx.env);
  let location: StoreLocation;
  if (values.url !== undefined) location = postgresUrl(values.url, '--url');
  else {
    const url = (await readSettings(home, ctx.env)).settings.store.url;
    location = url === undefined ? { kind: 'sqlite' } : postgresOrSqlite(url);
  }
  if (location.kind === 'sqlite') {
    const file = serviceStorePath(home);
    const store = openStore(file);
    const version = store.schemaVersion;
    store.close();
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ store: 'sqlite', file, schemaVersion: version }));
    else writeLine(ctx.stdout, `SQLite store ${file}: schema version ${version}, up to date.`);
    return EXIT_OK;
  }
  const pgLocation = location;
  const result = await withPostgres(pgLocation, ctx, (pg, pool) => pg.migratePg(pool, pgLocation));
  if (!result) return EXIT_FAILED;
  if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ store: 'postgres', url: pgLocation.display, schemaVersion: result.version, applied: result.applied }));
  else {
    const applied = result.applied.length === 0 ? 'nothing to apply' : `applied ${result.applied.map((v) => `version ${v}`).join(', ')}`;
    writeLine(ctx.stdout, `PostgreSQL store ${pgLocation.display}: schema version ${result.version} (${applied}).`);
  }
  return EXIT_OK;
}

function postgresOrSqlite(url: string): StoreLocation {
  const parsed = parseStoreUrl(url);
  if (!parsed.ok) throw new UsageError(`store.url ${parsed.problem}`);
  return parsed.location;
}

async function copyCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { from: { type: 'string' }, to: { type: 'string' } });
  if (values.from === undefined) throw new UsageError('say which SQLite store to copy: --from HOME (the home directory) or --from FILE.db');
  if (values.to === undefined) throw new UsageError('say where to: --to postgres://USER@HOST/DATABASE');
  const target = postgresUrl(values.to, '--to');
  const source = sqliteSource(values.from, ctx);
  if (!fs.existsSync(source.file)) {
    writeLine(ctx.stderr, `There is no SQLite store at ${source.file}: nothing to copy. Pass the home directory the service ran with (--home of \`serve\`).`);
    return EXIT_FAILED;
  }
  if (source.home) {
    const record = await readServiceRecord(source.home);
    if (record && recordedProcessAlive(record)) {
      writeLine(
        ctx.stderr,
        `An o365-notify service is running on ${source.home} (process ${record.pid} on ${record.hostname}): what it stores during the copy would be left behind. ` +
          'Stop it (systemctl stop o365-notify, Stop-Service o365-notify on Windows, or Ctrl+C where it runs), then run the copy again.',
      );
      return EXIT_FAILED;
    }
  }
  const report = await withPostgres(target, ctx, (pg, pool) => pg.copySqliteToPg(source.file, pool, target));
  if (!report) return EXIT_FAILED;
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify({ from: source.file, to: target.display, ...report }));
    return EXIT_OK;
  }
  writeLine(ctx.stdout, `Copied ${source.file} to ${target.display} (schema version ${report.schemaVersion}); row counts checked:`);
  const width = Math.max(...report.tables.map((t) => t.table.length));
  for (const t of report.tables) writeLine(ctx.stdout, `  ${t.table.padEnd(width)}  ${t.rows}`);
  if (report.inlinedSpoolFiles > 0) writeLine(ctx.stdout, `${report.inlinedSpoolFiles} relayed message(s) spooled to files are now inside the database.`);
  writeLine(ctx.stdout, 'The SQLite store was not changed. The service cannot run on PostgreSQL yet in this version: keep serving from SQLite until it can.');
  return EXIT_OK;
}

export const storeCommand: Command = {
  name: 'store',
  summary: 'migrate the store\'s schema, or copy a SQLite store into PostgreSQL',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'migrate') return migrateCommand(rest, ctx);
    if (sub === 'copy') return copyCommand(rest, ctx);
    throw new UsageError(sub === undefined ? 'say `store migrate` or `store copy`' : `unknown store command "${sub}": say \`store migrate\` or \`store copy\``);
  },
};
