import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestEmulator } from '../support/emulator.js';
import { startRelayService } from './support.js';

/** The relay fixtures run in `before` hooks: a start-up that fails has no `after` to stop what it started. */
describe('relay test fixtures', () => {
  it('a start-up that fails stops the emulator it had started and rethrows the failure', async () => {
    let started: TestEmulator | undefined;
    await assert.rejects(
      startRelayService({
        home: async (emu) => {
          started = emu;
          assert.equal((await emu.call('GET', '/_emulator/mailboxes')).status, 200);
          throw new Error('the home could not be made');
        },
      }),
      /the home could not be made/,
    );
    assert.ok(started, 'the emulator was started');
    await assert.rejects(started.call('GET', '/_emulator/mailboxes'), /ECONNREFUSED/);
  });
});
