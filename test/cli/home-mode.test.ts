import assert from 'node:assert/strict';
import { chmod, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEMO_APPS, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, tempHome } from '../support/cli.js';

const SETUP = ['setup', '--non-interactive', '--account-type', 'single-tenant', '--client-id', DEMO_APPS.singleTenant, '--tenant-id', DEMO_TENANT_ID, '--auth', 'device-code', '--to', 'it@contoso.com'];

/** Issue 9, small ones: a home other users can open is warned about where secrets go into it. */
describe('home directory mode', () => {
  it('setup into an existing 0755 home warns, names `chmod 700`, and leaves the directory as it was', async () => {
    const { home, cleanup } = await tempHome();
    try {
      await chmod(home, 0o755);
      const r = await runCli(SETUP, { home });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /The home directory .* has mode 0755: other users can open it\. Run `chmod 700 /);
      assert.equal((await stat(home)).mode & 0o777, 0o755, 'an existing directory is not changed');
      await chmod(home, 0o700);
      const quiet = await runCli(SETUP, { home });
      assert.doesNotMatch(quiet.stdout + quiet.stderr, /other users can open it/);
    } finally {
      await cleanup();
    }
  });

  it('a home o365-notify creates is owner-only', async () => {
    const { home: parent, cleanup } = await tempHome();
    try {
      const home = join(parent, 'new-home');
      await rm(home, { recursive: true, force: true });
      const r = await runCli(SETUP, { home });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await stat(home)).mode & 0o777, 0o700);
      assert.doesNotMatch(r.stdout + r.stderr, /other users can open it/);
    } finally {
      await cleanup();
    }
  });
});
