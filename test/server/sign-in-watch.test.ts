import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeAuthState, type AuthState } from '../../src/auth/index.js';
import { watchSignIn } from '../../src/server/index.js';
import { tempHome } from '../support/cli.js';

const account = { username: 'alerts@contoso.com', homeAccountId: 'h', tenantId: 't' };
const problem = (since: string): AuthState['problem'] => ({ since, reason: 'revoked', signInRequired: true, diagnosis: { code: 'AADSTS50173', title: 'Sign-in revoked', cause: 'c', fix: 'Run `o365-notify login`', guideStep: 'sign-in-again', known: true } });

describe('watching the sign-in state file', () => {
  it('reports a problem once (also one found at start), a new sign-in, and a problem that cleared', async () => {
    const { home, cleanup } = await tempHome();
    const events: string[] = [];
    try {
      await writeAuthState(home, { account, signedInAt: '2025-06-01T00:00:00Z', problem: problem('2025-06-02T00:00:00Z') });
      const watch = await watchSignIn({
        home,
        everyMs: 60_000,
        onSignedIn: async (why) => void events.push(why),
        onProblem: (p) => void events.push(`problem since ${p.since}`),
      });
      try {
        assert.deepEqual(events, ['problem since 2025-06-02T00:00:00Z'], 'a problem from before the start is reported at once');
        await watch.check();
        assert.equal(events.length, 1, 'the same problem is not reported twice');

        // A refresh worked again (the token provider cleared the problem).
        await writeAuthState(home, { account, signedInAt: '2025-06-01T00:00:00Z', lastRefreshAt: '2025-06-03T00:00:00Z' });
        await watch.check();
        assert.deepEqual(events.slice(1), ['problem-cleared']);

        await writeAuthState(home, { account, signedInAt: '2025-06-01T00:00:00Z', problem: problem('2025-06-04T00:00:00Z') });
        await watch.check();
        assert.deepEqual(events.slice(2), ['problem since 2025-06-04T00:00:00Z'], 'a new problem is reported');

        // `o365-notify login` in another process writes a new sign-in.
        await writeAuthState(home, { account, signedInAt: '2025-06-05T00:00:00Z' });
        await watch.check();
        assert.deepEqual(events.slice(3), ['new-sign-in']);
        await watch.check();
        assert.equal(events.length, 4, 'nothing new, nothing reported');

        // After resync (the service handled a sign-in itself) the same state is not reported again.
        await writeAuthState(home, { account, signedInAt: '2025-06-06T00:00:00Z' });
        await watch.resync();
        await watch.check();
        assert.equal(events.length, 4);

        // Signed out: no account, nothing to resume.
        await writeAuthState(home, { signedInAt: '2025-06-07T00:00:00Z' });
        await watch.check();
        assert.equal(events.length, 4);
      } finally {
        watch.stop();
      }
    } finally {
      await cleanup();
    }
  });

  it('tells each new token once, only while no problem is recorded (app-only has no account) (issue 9.12)', async () => {
    const { home, cleanup } = await tempHome();
    const tokens: number[] = [];
    try {
      await writeAuthState(home, { lastTokenAt: '2025-06-01T00:00:00Z' });
      const watch = await watchSignIn({ home, everyMs: 60_000, onSignedIn: async () => undefined, onProblem: () => undefined, onTokenWorks: (at) => void tokens.push(at) });
      try {
        assert.deepEqual(tokens, [Date.parse('2025-06-01T00:00:00Z')], 'the token from before the start counts');
        await watch.check();
        assert.equal(tokens.length, 1, 'the same token is not told twice');
        // Refused later: the old token proves nothing now.
        await writeAuthState(home, { lastTokenAt: '2025-06-01T00:00:00Z', problem: problem('2025-06-02T00:00:00Z') });
        await watch.check();
        assert.equal(tokens.length, 1);
        await writeAuthState(home, { lastTokenAt: '2025-06-03T00:00:00Z' });
        await watch.check();
        assert.deepEqual(tokens.slice(1), [Date.parse('2025-06-03T00:00:00Z')]);
      } finally {
        watch.stop();
      }
    } finally {
      await cleanup();
    }
  });
});
