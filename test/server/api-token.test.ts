import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ApiTokenVerifier, apiTokenPath, bearerToken, ensureApiToken, rotateApiToken } from '../../src/server/index.js';
import { tempHome } from '../support/cli.js';

describe('API token', () => {
  it('is made once, stored only as a salted hash in a private file, and rotation ends the old one at once', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const verifier = new ApiTokenVerifier(home);
      assert.equal(verifier.configured, false);
      assert.equal(verifier.verify('anything'), false);

      const first = await ensureApiToken(home);
      assert.equal(first.created, true);
      assert.match(first.token!, /^o365n_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await ensureApiToken(home), { created: false }, 'an existing token is never shown again');

      const file = apiTokenPath(home);
      const text = await readFile(file, 'utf8');
      assert.ok(!text.includes(first.token!), 'the token itself is not stored');
      assert.ok(!text.includes(first.token!.slice(6, 30)));
      assert.equal((await stat(file)).mode & 0o777, 0o600);

      assert.equal(verifier.verify(first.token), true);
      assert.equal(verifier.verify(first.token!.slice(0, -1)), false);
      assert.equal(verifier.verify(first.token + 'x'), false);
      assert.equal(verifier.verify(undefined), false);
      assert.equal(verifier.verify('x'.repeat(10_000)), false);

      const second = await rotateApiToken(home);
      assert.notEqual(second.token, first.token);
      assert.equal(verifier.verify(first.token), false, 'the old token stops working without a restart');
      assert.equal(verifier.verify(second.token), true);

      await writeFile(file, 'not json');
      assert.equal(verifier.verify(second.token), false, 'a damaged file lets nobody in');
    } finally {
      await cleanup();
    }
  });

  it('reads only "Authorization: Bearer <token>"', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer  abc '), 'abc');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
