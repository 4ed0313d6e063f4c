import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveHome } from '../../config/index.js';
import { BackupError, createBackup, restoreBackup } from '../../ops/index.js';
import { checkPassphrase, PassphraseError } from '../../secrets/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';

const PASSPHRASE_OPTIONS = { 'passphrase-file': { type: 'string' }, 'passphrase-stdin': { type: 'boolean', default: false } } as const;

async function readStdin(ctx: CliContext): Promise<string> {
  let text = '';
  for await (const chunk of ctx.stdin) text += chunk.toString();
  return text;
}

/** From a file or stdin, never from the command line (where `ps` and shell history would show it). */
async function passphraseFrom(values: { 'passphrase-file'?: string; 'passphrase-stdin'?: boolean }, ctx: CliContext): Promise<string | undefined> {
  if (values['passphrase-file'] !== undefined && values['passphrase-stdin']) throw new UsageError('Give the passphrase one way: --passphrase-file FILE or --passphrase-stdin.');
  let text: string | undefined;
  if (values['passphrase-file'] !== undefined) text = await readFile(values['passphrase-file'], 'utf8');
  else if (values['passphrase-stdin']) text = await readStdin(ctx);
  if (text === undefined) return undefined;
  return text.replace(/\r?\n$/, '');
}

function fail(ctx: CliContext, err: unknown): number {
  if (err instanceof BackupError || err instanceof PassphraseError) {
    writeLine(ctx.stderr, err.message);
    return EXIT_FAILED;
  }
  throw err;
}

export const backupCommand: Command = {
  name: 'backup',
  summary: 'save settings, store and encrypted secrets to one file (optionally portable with a passphrase)',
  usage: `Usage: o365-notify backup FILE [--passphrase-file F | --passphrase-stdin]

Writes the home directory to FILE (.tar.gz, mode 0600): the settings, the API token's hash, the
store as a consistent snapshot (the service may keep running), and the encrypted secrets. The
master key is never in it. Without a passphrase the secrets stay sealed with this home's master
key, so the backup restores only where that key is; with a passphrase (at least 12 characters,
read from a file or stdin, never from the command line) they are re-sealed with a key derived from
it, and the backup restores on any machine.`,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, PASSPHRASE_OPTIONS, true);
    if (positionals.length !== 1) throw new UsageError('backup needs one FILE to write');
    const home = resolveHome(ctx.home, ctx.env);
    try {
      const passphrase = await passphraseFrom(values, ctx);
      if (passphrase !== undefined) checkPassphrase(passphrase);
      const file = path.resolve(positionals[0]!);
      const manifest = await createBackup({ home, file, env: ctx.env, passphrase });
      if (ctx.json) {
        writeLine(ctx.stdout, JSON.stringify({ file, ...manifest, files: manifest.files.length }));
        return EXIT_OK;
      }
      writeLine(ctx.stdout, `Backed up ${home} to ${file}: ${manifest.files.length} files, store schema version ${manifest.schemaVersion ?? '-'}.`);
      writeLine(
        ctx.stdout,
        manifest.secrets === 'passphrase'
          ? 'The secrets are sealed with your passphrase: the backup restores on any machine with it (`o365-notify restore FILE --passphrase-stdin`).'
          : 'The secrets stay sealed with this home\'s master key: the backup restores only where that key is. For a backup that restores anywhere, add --passphrase-stdin.',
      );
      return EXIT_OK;
    } catch (err) {
      return fail(ctx, err);
    }
  },
};

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'restore a backup into the home directory',
  usage: `Usage: o365-notify restore FILE [--passphrase-file F | --passphrase-stdin] [--replace]

Restores a backup made by \`o365-notify backup\` into the home directory (--home DIR). Every file's
checksum and the store's integrity are checked first; a backup from a newer o365-notify is refused.
A home that already has settings or a store is left alone unless --replace is given: then its files
are moved to <home>/backups/replaced-<time>/ (nothing is deleted). Stop the service first.`,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, { ...PASSPHRASE_OPTIONS, replace: { type: 'boolean', default: false } }, true);
    if (positionals.length !== 1) throw new UsageError('restore needs the backup FILE to read');
    const home = resolveHome(ctx.home, ctx.env);
    try {
      const passphrase = await passphraseFrom(values, ctx);
      const result = await restoreBackup({ home, file: path.resolve(positionals[0]!), env: ctx.env, passphrase, replace: values.replace });
      if (ctx.json) {
        writeLine(ctx.stdout, JSON.stringify({ home, restored: result.restored, movedAside: result.movedAside ?? null, createdAt: result.manifest.createdAt }));
        return EXIT_OK;
      }
      writeLine(ctx.stdout, `Restored ${result.restored.length} files into ${home} (backup of ${result.manifest.createdAt} from ${result.manifest.hostname}, o365-notify ${result.manifest.productVersion}).`);
      if (result.movedAside) writeLine(ctx.stdout, `The files it replaced are in ${result.movedAside}.`);
      writeLine(ctx.stdout, 'Next: `o365-notify doctor` checks the restored setup; then start the service.');
      return EXIT_OK;
    } catch (err) {
      return fail(ctx, err);
    }
  },
};
