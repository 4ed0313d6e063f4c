/**
 * Hostile and malformed requests for the event API, made from a seeded PRNG so a failing case
 * can be rebuilt from its seed and index. Every `bad` case must be refused with a 4xx; every
 * `good` one is a valid submission (often with hostile but legal content: HTML, header-like text,
 * `__proto__` keys in details) that must be accepted and end up in a delivered e-mail.
 */

export interface FuzzCase {
  /** What kind of abuse, for failure messages and the tally. */
  kind: string;
  path: '/api/v1/events' | '/api/v1/alerts';
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  expect: 'bad' | 'good';
  /** For good cases: the agents whose e-mails must arrive. */
  agents?: string[];
}

const JSON_TYPE = { 'content-type': 'application/json' };
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

type Rand = () => number;

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function validEvent(r: Rand, agent: string): Record<string, unknown> {
  return {
    type: pick(r, ['imagemanager.verification_failed', 'imagemanager.consolidation_failed', 'imagemanager.folder_conflict', 'custom.fuzz_check']),
    severity: pick(r, ['info', 'warning', 'critical']),
    agent,
    folder: pick(r, ['D:\\Backups', '\\\\nas01\\images\\SRV', '/mnt/backup']),
    summary: 'A check failed',
  };
}

/** Strings that are legal but would do harm if echoed raw into HTML or a header. */
const HOSTILE_TEXT = [
  '<script>alert(document.cookie)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  '{{constructor.constructor("return process")()}}',
  '${process.exit(1)}',
  'Bcc: attacker@example.com',
  '=?utf-8?b?PHNjcmlwdD4=?=',
  '\u202Egnp.exe',
  '💥 ünïcödé ⚠ 漢字',
  "'; DROP TABLE events; --",
  '../../../../etc/passwd',
  '%0d%0aSet-Cookie: x=1',
];

function goodCase(r: Rand, n: number): FuzzCase {
  const agent = `GOOD-${n}`;
  const hostile = pick(r, HOSTILE_TEXT);
  const event = validEvent(r, `${agent} ${hostile}`.slice(0, 255));
  event.summary = `Fuzz good event ${n}: ${hostile}`;
  const variant = int(r, 0, 3);
  if (variant === 1) event.details = JSON.parse(`{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "note": ${JSON.stringify(hostile)}}`);
  if (variant === 2) event.details = { html: hostile, nested: { deeper: [1, 2, { text: 'line one\nline two' }] } };
  if (variant === 3) {
    const alert = {
      version: '4',
      status: 'firing',
      receiver: 'o365-notify',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'FuzzGood', agent: event.agent, severity: 'critical' },
          annotations: { summary: event.summary, description: `${hostile}\r\nBcc: attacker@example.com` },
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          fingerprint: `fp-${n}`,
        },
      ],
    };
    return { kind: 'good-alertmanager', path: '/api/v1/alerts', method: 'POST', headers: JSON_TYPE, body: Buffer.from(JSON.stringify(alert)), expect: 'good', agents: [String(event.agent)] };
  }
  return { kind: 'good-event', path: '/api/v1/events', method: 'POST', headers: JSON_TYPE, body: Buffer.from(JSON.stringify(event)), expect: 'good', agents: [String(event.agent)] };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const bad = (kind: string, body: Buffer | undefined, headers: Record<string, string> = JSON_TYPE, path: FuzzCase['path'] = '/api/v1/events', method = 'POST'): FuzzCase => ({
  kind,
  path,
  method,
  headers,
  body,
  expect: 'bad',
});

const WRONG_VALUES: unknown[] = [42, -1.5, true, false, null, [], ['a'], {}, { a: 1 }, 1e308, '', ' ', 'xxx'];
const isPlain = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Per field, the values above that are NOT acceptable there (null means "absent" for optional fields). */
const WRONG_FOR: Record<string, (v: unknown) => boolean> = {
  type: () => true,
  summary: (v) => v !== 'xxx',
  severity: (v) => v !== null,
  status: (v) => v !== null,
  occurredAt: (v) => v !== null,
  agent: (v) => typeof v !== 'string' && v !== null,
  folder: (v) => typeof v !== 'string' && v !== null,
  dedupKey: (v) => typeof v !== 'string' && v !== null,
  details: (v) => v !== null && !isPlain(v),
};

function wrongTypes(r: Rand): FuzzCase {
  const event = validEvent(r, 'WRONG');
  const field = pick(r, Object.keys(WRONG_FOR));
  event[field] = pick(r, WRONG_VALUES.filter(WRONG_FOR[field]!));
  return bad(`wrong-type:${field}`, json(int(r, 0, 1) ? event : [event]));
}

function badValues(r: Rand): FuzzCase {
  const event = validEvent(r, 'BADVAL');
  const choice = int(r, 0, 9);
  if (choice === 0) event.severity = pick(r, ['fatal', 'CRITICAL', 'error', 'warn']);
  if (choice === 1) event.status = pick(r, ['open', 'closed', 'FIRING', 'ok']);
  if (choice === 2) event.type = pick(r, ['imagemanager.unknown_check', 'custom.', 'custom.UPPER', 'nagios.host_down', 'custom.a b', 'IMAGEMANAGER.verification_failed']);
  if (choice === 3) event.occurredAt = pick(r, ['yesterday', '2025-13-01T00:00:00Z', '2025-02-30T10:00:00Z', '2025-06-01T10:00:00', '1999-12-31T23:59:59Z', '2999-01-01T00:00:00Z', '1717236000']);
  if (choice === 4) event.summary = '   ';
  if (choice === 5) delete event.summary;
  if (choice === 6) delete event.type;
  if (choice === 7) event[pick(r, ['sevrity', 'Type', 'message', 'host', 'extra', ''])] = 'x';
  if (choice === 8) event.details = { n: pick(r, [Number.MAX_VALUE * 10, -Infinity]) } as Record<string, unknown>;
  if (choice === 9) event.dedupKey = 'k'.repeat(256);
  // JSON.stringify writes Infinity as null, which is valid: spell the overflow out instead.
  const text = choice === 8 ? JSON.stringify(event).replace(/"n":null/, '"n":1e400') : JSON.stringify(event);
  return bad(`bad-value:${choice}`, Buffer.from(text));
}

function deepNesting(r: Rand): FuzzCase {
  const depth = pick(r, [9, 20, 100, 1000, 10_000, 100_000]);
  const where = int(r, 0, 2);
  if (where === 0) {
    const open = '{"a":'.repeat(depth);
    const text = `{"type":"custom.deep","summary":"deep","details":${open}1${'}'.repeat(depth)}}`;
    return bad(`deep-details:${depth}`, Buffer.from(text));
  }
  if (where === 1) return bad(`deep-array:${depth}`, Buffer.from('['.repeat(depth) + ']'.repeat(depth)));
  return bad(`deep-summary:${depth}`, Buffer.from(`{"type":"custom.deep","summary":${'['.repeat(depth)}"x"${']'.repeat(depth)}}`));
}

function hugeStrings(r: Rand): FuzzCase {
  const event = validEvent(r, 'HUGE');
  const choice = int(r, 0, 5);
  const n = pick(r, [1001, 5000, 100_000, 500_000]);
  if (choice === 0) event.summary = 'S'.repeat(n);
  if (choice === 1) event.agent = 'A'.repeat(Math.max(256, Math.min(n, 300_000)));
  if (choice === 2) event.folder = 'F'.repeat(Math.max(1025, Math.min(n, 300_000)));
  if (choice === 3) event.details = { blob: 'D'.repeat(Math.max(17 * 1024, Math.min(n, 500_000))) };
  if (choice === 4) event.details = { ['k'.repeat(201)]: 1 };
  if (choice === 5) event.details = Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`k${i}`, i]));
  return bad(`huge:${choice}`, json(event));
}

function oversized(r: Rand): FuzzCase {
  const size = MAX_PAYLOAD_BYTES + int(r, 1, 200_000);
  const filler = Buffer.alloc(size - 40, 0x61);
  const body = Buffer.concat([Buffer.from('{"type":"custom.big","summary":"'), filler, Buffer.from('"}')]);
  return bad('oversized', body, JSON_TYPE, pick(r, ['/api/v1/events', '/api/v1/alerts'] as const));
}

function controlChars(r: Rand): FuzzCase {
  const event = validEvent(r, 'CTRL');
  const injection = pick(r, ['\r\nBcc: attacker@example.com', '\nSubject: hijacked', '\u0000', '\u001b[31mred', '\u2028', '\u0085', '\t']);
  const field = pick(r, ['summary', 'agent', 'folder', 'type', 'dedupKey']);
  event[field] = `text${injection}more`;
  return bad(`control-char:${field}`, json(event));
}

/** Byte sequences that are not UTF-8: a decoder must refuse them, not turn them into U+FFFD. */
const INVALID_UTF8: number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0xc3, 0x28],
  [0xa0, 0xa1],
  [0xe2, 0x28, 0xa1],
  [0xe2, 0x82],
  [0xf0, 0x28, 0x8c, 0xbc],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
];

function invalidUtf8(r: Rand): FuzzCase {
  const text = JSON.stringify({ type: 'custom.utf8', agent: 'UTF8', summary: 'before|after' });
  const at = text.indexOf('|');
  const bytes = Buffer.from(pick(r, INVALID_UTF8));
  const body = Buffer.concat([Buffer.from(text.slice(0, at)), bytes, Buffer.from(text.slice(at + 1))]);
  return bad('invalid-utf8', body, JSON_TYPE, pick(r, ['/api/v1/events', '/api/v1/alerts'] as const));
}

function loneSurrogate(r: Rand): FuzzCase {
  const escape = pick(r, ['\\ud800', '\\udfff', '\\ud83d', '\\ude00x']);
  const field = pick(r, ['summary', 'agent', 'folder', 'dedupKey']);
  const event = validEvent(r, 'SURR');
  const text = JSON.stringify({ ...event, [field]: 'X' }).replace('"X"', `"a${escape}b"`);
  return bad(`lone-surrogate:${field}`, Buffer.from(text));
}

function wrongContentType(r: Rand): FuzzCase {
  const body = json(validEvent(r, 'CTYPE'));
  const type = pick(r, [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'text/html',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/octet-stream',
    '',
    'application/jsonp',
    'image/png',
  ]);
  return bad(`content-type:${type || 'none'}`, body, type ? { 'content-type': type } : {}, pick(r, ['/api/v1/events', '/api/v1/alerts'] as const));
}

function truncated(r: Rand): FuzzCase {
  const payload = int(r, 0, 1) ? [validEvent(r, 'TRUNC'), validEvent(r, 'TRUNC2')] : validEvent(r, 'TRUNC');
  const text = JSON.stringify(payload);
  // Any proper prefix of a JSON object or array is unfinished.
  const cut = int(r, 0, text.length - 1);
  return bad('truncated', Buffer.from(text.slice(0, cut)));
}

function notJson(r: Rand): FuzzCase {
  const text = pick(r, [
    "{'type': 'custom.x'}",
    '{type: "custom.x"}',
    '{"type": "custom.x",}',
    '[1,2,]',
    'NaN',
    '{"a": Infinity}',
    '{"a": undefined}',
    '<event><type>x</type></event>',
    'type=custom.x&summary=y',
    '\u0000\u0001\u0002',
    '{"a":1}{"b":2}',
    '/* comment */ {}',
    '0x10',
    '{"a": 01}',
  ]);
  return bad('not-json', Buffer.from(text));
}

function notAnEvent(r: Rand): FuzzCase {
  const value = pick(r, [0, -1, 3.14, true, false, null, 'event', '', [], [1, 'x', null, {}, []], [[]], [null], { type: null }, { '': '' }]);
  return bad('not-an-event', json(value));
}

function junkArray(r: Rand): FuzzCase {
  const n = pick(r, [2, 10, 100, 1001]);
  const items: unknown[] = Array.from({ length: n }, (_, i) => (i === 0 ? validEvent(r, 'JUNK') : pick(r, [validEvent(r, 'JUNK'), 1, 'x', null, [], { summary: 1 }])));
  // At least one junk item (or too many events) so the submission as a whole is invalid.
  if (n !== 1001) items[int(r, 1, n - 1)] = pick(r, [1, 'x', null, [], { summary: 1 }, true]);
  return bad(`junk-array:${n}`, json(items));
}

function pollution(r: Rand): FuzzCase {
  const text = pick(r, [
    '{"__proto__": {"polluted": "yes"}, "type": "custom.x", "summary": "s"}',
    '{"constructor": {"prototype": {"polluted": "yes"}}, "type": "custom.x", "summary": "s"}',
    '[{"__proto__": {"isAdmin": true}}]',
    '{"type": "custom.x", "summary": "s", "prototype": {"polluted": "yes"}}',
    '{"type": "custom.x", "summary": {"toString": "boom", "valueOf": 1}}',
    '{"type": {"__proto__": {"length": 1}}, "summary": "s"}',
    '{"type": "custom.x", "summary": "s", "hasOwnProperty": 1}',
  ]);
  return bad('prototype-pollution', Buffer.from(text), JSON_TYPE, pick(r, ['/api/v1/events', '/api/v1/alerts'] as const));
}

function badAlertmanager(r: Rand): FuzzCase {
  const alert = { status: 'firing', labels: { alertname: 'DiskFull', agent: 'SRV1' }, annotations: { summary: 's' } };
  const payload: Record<string, unknown> = { version: '4', status: 'firing', alerts: [alert] };
  const choice = int(r, 0, 9);
  if (choice === 0) payload.version = pick(r, ['3', 4, null, '']);
  if (choice === 1) payload.alerts = pick(r, [{}, 'x', null, 1]);
  if (choice === 2) payload.alerts = [];
  if (choice === 3) payload.alerts = [pick(r, [1, 'x', null, []])];
  if (choice === 4) payload.alerts = [{ ...alert, labels: pick(r, ['x', [], null, 1]) }];
  if (choice === 5) payload.alerts = [{ ...alert, labels: { agent: 'SRV1' } }];
  if (choice === 6) payload.alerts = [{ ...alert, labels: { alertname: 42 } }];
  if (choice === 7) payload.alerts = [{ ...alert, status: pick(r, ['open', 1, true]) }];
  if (choice === 8) payload.status = pick(r, ['open', 1]);
  if (choice === 9) payload.alerts = Array.from({ length: 1001 }, () => alert);
  return bad(`alertmanager:${choice}`, json(payload), JSON_TYPE, '/api/v1/alerts');
}

function wrongRoute(r: Rand): FuzzCase {
  const [method, path] = pick(r, [
    ['GET', '/api/v1/events'],
    ['PUT', '/api/v1/events'],
    ['DELETE', '/api/v1/alerts'],
    ['PATCH', '/api/v1/events'],
  ] as const);
  return bad(`route:${method}`, method === 'GET' || method === 'DELETE' ? undefined : json(validEvent(r, 'ROUTE')), JSON_TYPE, path as FuzzCase['path'], method);
}

function emptyBody(r: Rand): FuzzCase {
  return bad('empty-body', pick(r, [Buffer.alloc(0), undefined]), JSON_TYPE, pick(r, ['/api/v1/events', '/api/v1/alerts'] as const));
}

const GENERATORS: [number, (r: Rand) => FuzzCase][] = [
  [12, wrongTypes],
  [10, badValues],
  [6, deepNesting],
  [6, hugeStrings],
  [1, oversized],
  [8, controlChars],
  [8, invalidUtf8],
  [5, loneSurrogate],
  [6, wrongContentType],
  [8, truncated],
  [5, notJson],
  [5, notAnEvent],
  [4, junkArray],
  [5, pollution],
  [6, badAlertmanager],
  [2, wrongRoute],
  [2, emptyBody],
];
const TOTAL_WEIGHT = GENERATORS.reduce((n, [w]) => n + w, 0);

/** `count` cases; about one in twenty is a good event. */
export function fuzzCases(random: Rand, count: number): FuzzCase[] {
  const cases: FuzzCase[] = [];
  let good = 0;
  for (let i = 0; i < count; i++) {
    if (random() < 0.05) {
      cases.push(goodCase(random, good++));
      continue;
    }
    let w = random() * TOTAL_WEIGHT;
    const gen = GENERATORS.find(([weight]) => (w -= weight) < 0)?.[1] ?? wrongTypes;
    cases.push(gen(random));
  }
  return cases;
}
