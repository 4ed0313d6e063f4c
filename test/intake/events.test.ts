import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_LIMITS, alertKeyOf, parseEventPayload, toNewEvent, validateEvents, type FieldError } from '../../src/intake/events.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

function errorsOf(input: unknown): FieldError[] {
  const r = validateEvents(input, NOW);
  assert.equal(r.ok, false, 'expected validation errors');
  return (r as { errors: FieldError[] }).errors;
}

function hasError(input: unknown, path: string, pattern: RegExp): void {
  const errors = errorsOf(input);
  assert.ok(
    errors.some((e) => e.path === path && pattern.test(e.message)),
    `expected ${path} ~ ${pattern}, got ${JSON.stringify(errors)}`,
  );
}

const good = { type: 'imagemanager.verification_failed', agent: 'SRV-FS01', folder: 'D:\\Backups\\SRV-FS01', summary: 'Verification failed for image 42' };

describe('intake validation: good events', () => {
  it('accepts a minimal event and fills defaults from the catalog', () => {
    const r = validateEvents(good, NOW);
    assert.ok(r.ok);
    const [e] = r.events;
    assert.equal(e!.severity, 'critical', 'verification failures default to critical');
    assert.equal(e!.status, 'firing');
    assert.equal(e!.dedupKey, '');
    assert.deepEqual(e!.details, {});
    assert.equal(e!.occurredAt, undefined);
    assert.equal(toNewEvent(e!, NOW).occurredAt, NOW, 'occurredAt defaults to the receive time');
  });

  it('accepts a full event, an array, custom types, and ISO 8601 with offsets', () => {
    const r = validateEvents(
      [
        { ...good, severity: 'warning', status: 'resolved', details: { job: 'nightly', n: 3, ok: false, tags: ['a', 'b'], deep: { x: { y: null } } }, occurredAt: '2025-06-01T14:03:00+02:00', dedupKey: 'img-42' },
        { type: 'custom.nightly_sync-failed', summary: 'sync failed', occurredAt: '2025-06-01T11:59:59.123Z' },
        { type: 'imagemanager.service_not_responding', agent: 'SRV-DC01', summary: 'no answer', occurredAt: '2025-06-01 11:00:00Z' },
      ],
      NOW,
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.equal(r.events.length, 3);
    assert.equal(r.events[0]!.occurredAt, Date.UTC(2025, 5, 1, 12, 3, 0));
    assert.equal(r.events[1]!.occurredAt, Date.UTC(2025, 5, 1, 11, 59, 59, 123));
    assert.equal(r.events[1]!.severity, 'warning', 'custom types default to warning');
    assert.equal(r.events[2]!.folder, '');
  });

  it('keeps non-ASCII text (Unicode agents, folders and details) intact', () => {
    const r = validateEvents({ ...good, agent: 'SRV-Zürich-日本', folder: '\\\\nas\\Sicherungen\\Müller', summary: 'Überprüfung fehlgeschlagen ✓', details: { 'schlüssel': '😀' } }, NOW);
    assert.ok(r.ok);
    assert.equal(r.events[0]!.agent, 'SRV-Zürich-日本');
    assert.equal(r.events[0]!.details['schlüssel'], '😀');
  });

  it('identifies the alert by type, agent, folder and dedupKey', () => {
    const r = validateEvents([good, { ...good, dedupKey: 'x' }, { ...good, folder: 'E:\\' }, { ...good, severity: 'info' }], NOW);
    assert.ok(r.ok);
    const keys = r.events.map(alertKeyOf);
    assert.equal(new Set(keys).size, 3);
    assert.equal(keys[0], keys[3], 'severity is not part of the identity');
  });
});

describe('intake validation: bad events', () => {
  it('rejects wrong top-level shapes', () => {
    for (const input of [null, undefined, 42, 'text', true, [], [[]], [null]]) {
      const errors = errorsOf(input);
      assert.ok(errors.length > 0);
    }
    hasError([], '', /at least one/);
    hasError(Array.from({ length: EVENT_LIMITS.maxEventsPerSubmission + 1 }, () => good), '', /too many events/);
  });

  it('names each field that is wrong, with its path in an array', () => {
    hasError({ ...good, type: undefined }, 'type', /required/);
    hasError({ ...good, type: 42 }, 'type', /string/);
    hasError({ ...good, type: 'imagemanager.nope' }, 'type', /not an ImageManager event type/);
    hasError({ ...good, type: 'Custom.Thing' }, 'type', /custom/);
    hasError({ ...good, type: 'other' }, 'type', /custom\.<name>/);
    hasError({ ...good, severity: 'fatal' }, 'severity', /info, warning, critical/);
    hasError({ ...good, severity: 2 }, 'severity', /one of/);
    hasError({ ...good, status: 'ok' }, 'status', /firing, resolved/);
    hasError({ ...good, summary: '' }, 'summary', /empty/);
    hasError({ ...good, summary: '   ' }, 'summary', /empty/);
    hasError({ ...good, summary: undefined }, 'summary', /required/);
    hasError({ ...good, agent: ['a'] }, 'agent', /string/);
    hasError({ ...good, agent: { toString: 'x' } }, 'agent', /string/);
    hasError({ ...good, details: 'text' }, 'details', /object/);
    hasError({ ...good, details: [1, 2] }, 'details', /object/);
    hasError({ ...good, dedupKey: 7 }, 'dedupKey', /string/);
    hasError([good, { ...good, severity: 'loud' }], '[1].severity', /one of/);
    hasError([good, 'nope'], '[1]', /JSON object/);
  });

  it('rejects unknown fields, suggesting the right name', () => {
    hasError({ ...good, sevrity: 'critical' }, 'sevrity', /Did you mean "severity"/);
    hasError({ ...good, occurred_at: '2025-06-01T00:00:00Z' }, 'occurred_at', /occurredAt/);
    hasError({ ...good, extra: 1 }, 'extra', /not an event field/);
  });

  it('enforces length limits', () => {
    hasError({ ...good, summary: 'x'.repeat(EVENT_LIMITS.summaryLength + 1) }, 'summary', /too long/);
    hasError({ ...good, agent: 'a'.repeat(EVENT_LIMITS.agentLength + 1) }, 'agent', /too long/);
    hasError({ ...good, folder: 'f'.repeat(EVENT_LIMITS.folderLength + 1) }, 'folder', /too long/);
    hasError({ ...good, dedupKey: 'k'.repeat(EVENT_LIMITS.dedupKeyLength + 1) }, 'dedupKey', /too long/);
    // Characters, not UTF-16 units: 1000 emoji fit.
    assert.ok(validateEvents({ ...good, summary: '😀'.repeat(EVENT_LIMITS.summaryLength) }, NOW).ok);
  });

  it('rejects bad dates', () => {
    for (const bad of ['yesterday', '2025-06-01', '2025-06-01T12:00:00', '2025-02-30T00:00:00Z', '2025-13-01T00:00:00Z', '2025-06-01T24:00:00Z', '1999-12-31T00:00:00Z', '2025-06-01T00:00:00+25:00']) {
      hasError({ ...good, occurredAt: bad }, 'occurredAt', /ISO 8601|real date/);
    }
    hasError({ ...good, occurredAt: 1717243200000 }, 'occurredAt', /ISO 8601/);
    hasError({ ...good, occurredAt: '2025-06-03T12:00:01Z' }, 'occurredAt', /future/);
  });

  it('bounds details: size, depth, number of values, and JSON-only values', () => {
    hasError({ ...good, details: { blob: 'x'.repeat(EVENT_LIMITS.detailsBytes) } }, 'details', /too large/);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < EVENT_LIMITS.detailsDepth + 2; i++) deep = { d: deep };
    hasError({ ...good, details: deep }, errorsOf({ ...good, details: deep })[0]!.path, /nested too deeply/);
    hasError({ ...good, details: { list: Array.from({ length: EVENT_LIMITS.detailsNodes + 5 }, () => 1) } }, 'details', /too many values/);
    hasError({ ...good, details: { when: new Date() } }, 'details.when', /JSON data/);
    hasError({ ...good, details: { f: () => 1 } }, 'details.f', /JSON data/);
    hasError({ ...good, details: { n: Number.NaN } }, 'details.n', /finite/);
    hasError({ ...good, details: { n: 10n } }, 'details.n', /JSON data/);
  });
});

describe('intake validation: hostile input', () => {
  it('rejects CR/LF and control characters in one-line fields (header injection)', () => {
    hasError({ ...good, summary: 'ok\r\nBcc: victim@example.com' }, 'summary', /single line/);
    hasError({ ...good, agent: 'SRV\nX' }, 'agent', /single line/);
    hasError({ ...good, folder: 'D:\\\u0000evil' }, 'folder', /single line/);
    hasError({ ...good, summary: 'a\u2028b' }, 'summary', /single line/);
    hasError({ ...good, summary: 'bell\u0007' }, 'summary', /single line/);
    hasError({ ...good, details: { note: 'nul\u0000' } }, 'details.note', /control/);
    assert.ok(validateEvents({ ...good, details: { log: 'line 1\nline 2\ttabbed\r\n' } }, NOW).ok, 'details may span lines');
  });

  it('accepts HTML in text (escaping is the renderer\'s job) but keeps it as text', () => {
    const r = validateEvents({ ...good, summary: '<script>alert(1)</script><img src=x onerror=alert(2)>' }, NOW);
    assert.ok(r.ok);
    assert.equal(r.events[0]!.summary, '<script>alert(1)</script><img src=x onerror=alert(2)>');
  });

  it('rejects lone surrogates (what invalid UTF-8 turns into) anywhere', () => {
    hasError({ ...good, summary: 'bad \ud800 text' }, 'summary', /Unicode/);
    hasError({ ...good, agent: '\udc00' }, 'agent', /Unicode/);
    hasError({ ...good, details: { x: 'a\udfffb' } }, 'details.x', /Unicode/);
    assert.ok(errorsOf({ ...good, details: { ['k\ud800']: 1 } }).some((e) => /invalid Unicode/.test(e.message)));
    assert.ok(validateEvents({ ...good, summary: 'pair 😀 ok' }, NOW).ok);
  });

  it('keeps __proto__ and constructor keys as plain data, never as prototypes', () => {
    const parsed = JSON.parse(`{"type":"custom.x","summary":"s","details":{"__proto__":{"polluted":true},"constructor":{"prototype":{"bad":1}}}}`);
    const r = validateEvents(parsed, NOW);
    assert.ok(r.ok);
    const details = r.events[0]!.details;
    assert.deepEqual(Object.keys(details).sort(), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(details), Object.prototype);
    // A top-level __proto__ key is an unknown field, not a prototype.
    const top = JSON.parse('{"type":"custom.x","summary":"s","__proto__":{"severity":"critical"}}');
    hasError(top, '__proto__', /not an event field/);
  });

  it('never throws: hostile objects, throwing getters, proxies, cycles', () => {
    const throwing = { ...good };
    Object.defineProperty(throwing, 'summary', { enumerable: true, get: () => { throw new Error('gotcha'); } });
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    const cyclic: Record<string, unknown> = { ...good, details: {} };
    (cyclic.details as Record<string, unknown>).self = cyclic.details;
    const inputs: unknown[] = [throwing, proxy, cyclic, Object.create(null), Symbol('s'), () => 1, new Map(), [throwing, good]];
    for (const input of inputs) {
      const r = validateEvents(input, NOW);
      assert.equal(r.ok, false);
    }
  });

  it('survives a fuzz of random values without throwing, accepting only well-formed events', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const atoms: unknown[] = [null, true, 0, -1, 1e308, '', 'x', '\r\n', '\ud800', '<b>', 'imagemanager.verification_failed', 'critical', 'resolved', '2025-06-01T00:00:00Z', [], {}];
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.5) return pick(atoms);
      if (r < 0.75) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(rand() * 6); i++) o[pick(['type', 'severity', 'status', 'agent', 'folder', 'summary', 'details', 'occurredAt', 'dedupKey', 'x'])] = value(depth + 1);
      return o;
    };
    for (let i = 0; i < 3000; i++) {
      const input = value(0);
      const r = validateEvents(input, NOW);
      if (r.ok) for (const e of r.events) assert.ok(typeof e.summary === 'string' && e.summary.length > 0 && !/[\r\n]/.test(e.summary));
    }
  });
});

describe('payload decoding', () => {
  it('decodes strict UTF-8 JSON and reports invalid bytes, bad JSON and oversize bodies', () => {
    const ok = parseEventPayload(Buffer.from(JSON.stringify(good)));
    assert.ok(ok.ok);
    const invalid = parseEventPayload(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    assert.ok(!invalid.ok && /UTF-8/.test(invalid.errors[0]!.message));
    const overlong = parseEventPayload(Buffer.from([0x22, 0xc0, 0xaf, 0x22])); // overlong "/" encoding
    assert.ok(!overlong.ok && /UTF-8/.test(overlong.errors[0]!.message));
    const badJson = parseEventPayload('{"type": ');
    assert.ok(!badJson.ok && !badJson.tooLarge && /not valid JSON/.test(badJson.errors[0]!.message));
    const big = parseEventPayload(Buffer.alloc(2048, 0x20), 1024);
    assert.ok(!big.ok && big.tooLarge);
    const deep = parseEventPayload('['.repeat(100_000) + ']'.repeat(100_000));
    assert.ok(deep.ok || !deep.ok, 'deep nesting parses or fails cleanly');
    if (deep.ok) assert.equal(validateEvents(deep.value, NOW).ok, false);
  });
});
