import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeOrderedId } from '../../src/relay/ids.js';

describe('relay: message ids', () => {
  it('are UUID version 7 (RFC 9562): the millisecond first, so later ids sort later; unique within one', () => {
    const at = Date.UTC(2026, 11, 4, 18, 0, 0);
    const id = timeOrderedId(at);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), at);
    const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedId(at + Math.floor(i / 100)));
    for (let i = 100; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 100]!, 'a later millisecond sorts after');
    assert.equal(new Set(ids).size, ids.length);
  });
});
