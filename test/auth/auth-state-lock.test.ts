import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAuthState, updateAuthState } from '../../src/auth/auth-state.js';
import { tempHome } from '../support/cli.js';

describe('auth-state.json is updated under a lock (issue 9, small ones)', () => {
  it('concurrent read-modify-writes lose nothing', async () => {
    const { home, cleanup } = await tempHome();
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => updateAuthState(home, (s) => ({ ...s, notes: [...(s.notes ?? []), `note ${i}`] }))),
      );
      assert.equal((await readAuthState(home)).notes?.length, 20);
    } finally {
      await cleanup();
    }
  });
});
