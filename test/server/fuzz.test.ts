import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { rotateApiToken, type RunningService } from '../../src/server/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { serviceHome, startTestService, waitFor } from './helpers.js';

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const HOSTILE_STRINGS = [
  'Disk full\r\nBcc: victim@example.com',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{#each this}}{{/each}}',
  '\u0000\u0001\u001b[31m',
  '\ud800',
  '\u2028\u2029',
  'x'.repeat(5000),
  '__proto__',
  '../../../etc/passwd',
  '=cmd|\' /C calc\'!A0',
  '',
  ' ',
];

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 6 : 9));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return [0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 3.14][Math.floor(r() * 5)];
    case 3: return HOSTILE_STRINGS[Math.floor(r() * HOSTILE_STRINGS.length)];
    case 4: return 'imagemanager.verification_failed';
    case 5: return new Date(Date.now() - r() * 1e12).toISOString();
    case 6: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const keys = ['type', 'severity', 'status', 'agent', 'folder', 'summary', 'details', 'occurredAt', 'dedupKey', '__proto__', 'constructor', 'x'];
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 6); i > 0; i--) o[keys[Math.floor(r() * keys.length)]!] = randomValue(r, depth + 1);
      return o;
    }
  }
}

/** A hostile request body and content type. */
function hostileRequest(r: () => number): { body: Buffer; contentType: string | undefined; path: string } {
  const path = r() < 0.85 ? '/api/v1/events' : r() < 0.5 ? '/api/v1/alerts' : '/api/v1/silences';
  const contentType = r() < 0.85 ? 'application/json' : [undefined, 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x'][Math.floor(r() * 4)];
  const kind = Math.floor(r() * 6);
  let body: Buffer;
  if (kind === 0) body = Buffer.from(JSON.stringify(randomValue(r)) ?? 'null');
  else if (kind === 1) body = Buffer.from(JSON.stringify(Array.from({ length: 1 + Math.floor(r() * 20) }, () => randomValue(r))));
  else if (kind === 2) body = Buffer.from(JSON.stringify({ type: 'custom.fuzz', summary: HOSTILE_STRINGS[Math.floor(r() * HOSTILE_STRINGS.length)], agent: randomValue(r), details: randomValue(r) }));
  else if (kind === 3) body = Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256)));
  else if (kind === 4) body = Buffer.from('['.repeat(1 + Math.floor(r() * 100_000)));
  else body = Buffer.concat([Buffer.from('{"type":"custom.fuzz","summary":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]);
  return { body, contentType, path };
}

function send(url: string, token: string, path: string, body: Buffer, contentType: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-length': String(body.length) };
    if (contentType) headers['content-type'] = contentType;
    const req = httpRequest(url + path, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('fuzz: hostile payloads at the API', () => {
  let emu: TestEmulator;
  let svc: RunningService;
  let token: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    emu = await startTestEmulator();
    const h = await serviceHome(emu);
    cleanup = h.cleanup;
    token = (await rotateApiToken(h.home)).token;
    ({ svc } = await startTestService(h.home));
  });
  after(async () => {
    await svc?.close();
    await emu.stop();
    await cleanup();
  });

  it('2,000 malformed, oversized and hostile requests get only 4xx (or 202 when valid); good events alongside are all delivered; the store stays intact', async () => {
    const r = rng(20250602);
    const statuses = new Map<number, number>();
    const goodIds: number[] = [];
    const jobs: (() => Promise<void>)[] = [];
    for (let i = 0; i < 2000; i++) {
      if (i % 100 === 0) {
        jobs.push(async () => {
          const body = Buffer.from(JSON.stringify({ type: 'imagemanager.replication_failed', agent: `GOOD-${i % 3}`, summary: `Replication failed <b>${i}</b>`, dedupKey: String(i) }));
          const res = await fetch(svc.url + '/api/v1/events', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
          assert.equal(res.status, 202);
          goodIds.push(...((await res.json()) as { ids: number[] }).ids);
        });
      }
      const h = hostileRequest(r);
      jobs.push(async () => {
        const status = await send(svc.url, token, h.path, h.body, h.contentType);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      });
    }
    const queue = [...jobs];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }));

    for (const status of statuses.keys()) assert.ok((status >= 400 && status < 500) || status === 202 || status === 201, `unexpected HTTP ${status}: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(400) ?? 0) > 500, 'most are refused as invalid');
    assert.equal(goodIds.length, 20);
    assert.equal((await fetch(svc.url + '/healthz')).status, 200, 'still up');

    await waitFor(() => {
      const rows = svc.store.db.prepare(`SELECT outcome FROM events WHERE id IN (${goodIds.map(() => '?').join(',')})`).all(...goodIds) as { outcome: string }[];
      return rows.every((row) => row.outcome === 'notified');
    }, 'every good event to be delivered', 30_000);
    assert.deepEqual(svc.store.integrityCheck(), { ok: true, problems: [] });
  });
});
