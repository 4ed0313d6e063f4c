import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a service runs: this Node.js and the installed o365-notify entry point. */
export interface ProgramLocation {
  /** Absolute path of the node executable. */
  node: string;
  /** Absolute path of dist/cli/bin.js. */
  entry: string;
  /** The package's root folder (the one holding package.json). */
  packageRoot: string;
}

export class NotInstalledError extends Error {
  constructor(entry: string) {
    super(
      `o365-notify is running from its TypeScript sources (${entry}), which a service cannot run. ` +
        'Install the package (`npm pack`, then `npm install -g --allow-scripts=better-sqlite3 ./o365-notify-<version>.tgz`) ' +
        'or build the checkout (`npm run build`), then run `o365-notify service install` from the installed command.',
    );
    this.name = 'NotInstalledError';
  }
}

/** The running program, resolved through symlinks (npm's global bin is a link into lib/node_modules). */
export function currentProgram(): ProgramLocation {
  // This file is src/ops/program.ts or dist/ops/program.js; the entry point sits beside it in cli/.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const built = path.join(here, '..', 'cli', 'bin.js');
  const entry = path.extname(fileURLToPath(import.meta.url)) === '.ts' ? path.join(here, '..', 'cli', 'bin.ts') : built;
  if (entry.endsWith('.ts')) throw new NotInstalledError(entry);
  return { node: realpathSync(process.execPath), entry: realpathSync(entry), packageRoot: realpathSync(path.join(here, '..', '..')) };
}
