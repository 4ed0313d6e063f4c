import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, tempHome } from '../support/cli.js';

describe('an empty home says "run setup first" (issue 9, small ones)', () => {
  for (const args of [['status'], ['test'], ['test', '--to', 'ops@contoso.com']]) {
    it(`o365-notify ${args.join(' ')}`, async () => {
      const { home, cleanup } = await tempHome();
      try {
        const r = await runCli(args, { home });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /Not set up yet: .* Run `o365-notify setup` first/);
        assert.doesNotMatch(r.stdout + r.stderr, /Sign in again needed|give --to/);
      } finally {
        await cleanup();
      }
    });
  }
});
