import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTime, localParts } from '../../src/notify/format.js';

describe('localParts (review mend: the cached parts, not a copy per call)', () => {
  it('gives the same frozen object for every call within one minute of one zone, the right parts each time', () => {
    const ms = Date.UTC(2026, 11, 4, 21, 30, 5);
    const first = localParts(ms, 'Europe/Berlin');
    assert.equal(localParts(ms + 40_000, 'Europe/Berlin'), first, 'one object per (zone, minute)');
    assert.ok(Object.isFrozen(first));
    assert.throws(() => {
      (first as { hour: number }).hour = 0;
    }, TypeError);
    assert.deepEqual({ ...first }, { year: 2026, month: 12, day: 4, hour: 22, minute: 30, date: '2026-12-04', zone: first.zone });
    assert.notEqual(localParts(ms + 60_000, 'Europe/Berlin'), first, 'the next minute is its own');
    assert.equal(localParts(ms, 'UTC').hour, 21);
    assert.equal(formatTime(ms, 'UTC'), '2026-12-04 21:30 UTC');
  });

  it('freezes the parts of times before 1973 too, which are not cached', () => {
    const old = localParts(Date.UTC(1970, 0, 1, 0, 0), 'UTC');
    assert.ok(Object.isFrozen(old));
    assert.equal(old.date, '1970-01-01');
  });
});
