import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimit } from '../../src/relay/policy.js';

describe('relay: messages per minute', () => {
  it('is a sliding window per key: the limit, then room again as the oldest minute passes', () => {
    let now = 1_000_000;
    const rate = new RateLimit(3, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(rate.take('user:im'), true);
      now += 10_000;
    }
    assert.equal(rate.take('user:im'), false, 'a 4th within the minute');
    assert.equal(rate.take('ip:127.0.0.1'), true, 'another key has its own window');
    now = 1_000_000 + 60_000;
    assert.equal(rate.take('user:im'), true, 'the first one is a minute old');
    assert.equal(rate.take('user:im'), false);
    now += 20_000;
    assert.equal(rate.take('user:im'), true);
    assert.equal(rate.take('user:im'), true);
    assert.equal(rate.take('user:im'), false);
  });

  it('stays cheap at a high limit: each message costs the same after a minute of them', () => {
    let now = 0;
    const rate = new RateLimit(1_000_000, () => now);
    // 3,000 messages a second for 10 s: the window holds up to 30,000.
    const started = process.hrtime.bigint();
    for (let i = 0; i < 30_000; i++) {
      now = Math.floor(i / 3);
      assert.equal(rate.take('ip:127.0.0.1'), true);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // A filter over the window per message took ~13 s here (450 million comparisons); the queue ~5 ms.
    assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
  });
});
