import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeTokenCaches } from '../../src/auth/token-cache-merge.js';

/** The merge a write does when another writer (one that skipped the lock) got in first (issue 16.3). */
const cache = (sections: Record<string, Record<string, unknown>>) => JSON.stringify({ Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: {}, AppMetadata: {}, ...sections });

describe('mergeTokenCaches', () => {
  const base = cache({ Account: { a1: { u: 'alerts' } }, RefreshToken: { rt: { secret: 'rt-1' } }, AccessToken: { at: { secret: 'at-1' } } });

  it('keeps what the other writer added or changed, and applies only what this writer changed', () => {
    const ours = cache({ Account: { a1: { u: 'alerts' } }, RefreshToken: { rt: { secret: 'rt-2' } }, AccessToken: { at: { secret: 'at-1' } } });
    const theirs = cache({ Account: { a1: { u: 'alerts' }, a2: { u: 'other' } }, RefreshToken: { rt: { secret: 'rt-1' } }, AccessToken: { at: { secret: 'at-theirs' } } });
    const merged = JSON.parse(mergeTokenCaches(base, ours, theirs));
    assert.deepEqual(merged.RefreshToken, { rt: { secret: 'rt-2' } }, 'our rotated refresh token');
    assert.deepEqual(merged.AccessToken, { at: { secret: 'at-theirs' } }, 'their access token: we did not touch it');
    assert.deepEqual(Object.keys(merged.Account).sort(), ['a1', 'a2'], 'their new account kept');
  });

  it('an entity both changed is ours (just issued); one we removed is removed, one they removed stays removed', () => {
    const ours = cache({ Account: {}, RefreshToken: { rt: { secret: 'rt-ours' } }, AccessToken: { at: { secret: 'at-1' } } });
    const theirs = cache({ Account: { a1: { u: 'alerts' } }, RefreshToken: { rt: { secret: 'rt-theirs' } }, AccessToken: {} });
    const merged = JSON.parse(mergeTokenCaches(base, ours, theirs));
    assert.deepEqual(merged.RefreshToken, { rt: { secret: 'rt-ours' } });
    assert.deepEqual(merged.Account, {}, 'our sign-out of a1 holds');
    assert.deepEqual(merged.AccessToken, {}, 'their removal holds: we had not changed it');
  });

  it('with nothing stored before or now, the result is ours', () => {
    const ours = cache({ RefreshToken: { rt: { secret: 'rt-1' } } });
    assert.deepEqual(JSON.parse(mergeTokenCaches(undefined, ours, undefined)), JSON.parse(ours));
  });
});
