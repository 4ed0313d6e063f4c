import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DeliveriesQuery, TestEmailBody } from '../../src/server/api-schemas.js';
import { typeBoxCompiler } from '../../src/server/schema.js';
import { NOTIFICATION_STATUSES } from '../../src/store/index.js';
import { renderApiReference } from '../../scripts/docs/api-reference.js';
import { ADMIN, request, startServiceRig, type ServiceRig } from './helpers.js';

type Check = (value: unknown) => { value?: unknown; error?: { message: string; code: string }[] };
const compile = (schema: unknown, httpPart: string) => typeBoxCompiler({ schema, httpPart, method: 'GET', url: '/' } as never) as unknown as Check;

describe('route schemas (TypeBox): the checks Fastify runs', () => {
  it('a query is converted to the declared type; a body is taken as sent', () => {
    assert.deepEqual(compile(DeliveriesQuery, 'querystring')({ limit: '5', status: 'sent' }).value, { limit: 5, status: 'sent' });
    const refused = compile(DeliveriesQuery, 'querystring')({ limit: 'five' });
    assert.equal(refused.value, undefined);
    assert.deepEqual(refused.error?.map((e) => [e.code, e.message]), [['bad-request', '"limit" must be a whole number from 1 to 200']]);
    // A number where an address belongs is refused, not turned into "5".
    const body = compile(TestEmailBody, 'body')({ to: 5 });
    assert.equal(body.error?.[0]?.message, '"to" must be an e-mail address (or a list of at most 20), such as admin@contoso.com');
    assert.deepEqual(compile(TestEmailBody, 'body')({ to: ['a@contoso.com'] }).value, { to: ['a@contoso.com'] });
  });
});

describe('docs/api.md', () => {
  it('is up to date with the route schemas and names every route that takes a body or a query', async () => {
    const rendered = await renderApiReference();
    assert.equal(readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8'), rendered, 'run: node --import tsx scripts/reference.ts');
    for (const route of ['POST /api/v1/silences', 'GET /api/v1/deliveries', 'POST /ui/api/account', 'POST /ui/login']) assert.ok(rendered.includes(`## \`${route}\``), route);
  });
});

describe('route schemas over HTTP: a request that does not fit gets the API answer, not Fastify\'s', () => {
  let rig: ServiceRig;
  before(async () => {
    rig = await startServiceRig();
  });
  after(() => rig?.stop());

  const post = (path: string, body: unknown) => request(rig.svc.url, 'POST', path, { token: rig.token, body });
  const get = (path: string) => request(rig.svc.url, 'GET', path, { token: rig.token });

  /** The project's error answer, exactly: `{ error, message }` as JSON, nothing of Fastify's own (statusCode, code). */
  function assertAnswer(r: Awaited<ReturnType<typeof get>>, status: number, error: string, message: string) {
    assert.equal(r.status, status, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(r.json, { error, message });
  }

  it('a malformed query: 400 with the field named in our words; a good one reaches the handler as a number', async () => {
    assertAnswer(await get('/api/v1/deliveries?limit=abc'), 400, 'bad-request', '"limit" must be a whole number from 1 to 200');
    assertAnswer(await get('/api/v1/deliveries?limit=2.5'), 400, 'bad-request', '"limit" must be a whole number from 1 to 200');
    assertAnswer(await get('/api/v1/deliveries?limit=true'), 400, 'bad-request', '"limit" must be a whole number from 1 to 200');
    assertAnswer(await get('/api/v1/deliveries?limit=201'), 400, 'bad-request', '"limit" must be a whole number from 1 to 200');
    assertAnswer(await get('/api/v1/deliveries?status=lost'), 400, 'bad-request', `"status" must be one of ${NOTIFICATION_STATUSES.join(', ')}`);

    // Two deliveries, then pages of one: "next" is given only when the page is full, which the handler
    // sees by comparing the page's length with `limit`: the number 1, not the text "1".
    for (let i = 0; i < 2; i++) assert.equal((await post('/api/v1/test-email', { to: ADMIN })).status, 200);
    const page = await get('/api/v1/deliveries?limit=1');
    assert.equal(page.status, 200, page.text);
    assert.equal(page.json.deliveries.length, 1);
    assert.ok(page.json.next, 'a full page of 1 names where the next one starts');
  });

  it('a malformed body: 400 with the shape\'s own code and words', async () => {
    const endsAt = new Date(Date.now() + 3600_000).toISOString();
    const send = 'Send {"matchers": {"type": "imagemanager.*", "agent": "SRV1"}, "endsAt": "2026-12-01T00:00:00Z", "comment": "..."}';
    assertAnswer(await post('/api/v1/silences', [1, 2]), 400, 'invalid-silence', send);
    assertAnswer(await post('/api/v1/silences', { endsAt }), 400, 'invalid-silence', send);
    assertAnswer(await post('/api/v1/silences', { matchers: ['agent'], endsAt }), 400, 'invalid-silence', send);
    assertAnswer(await post('/api/v1/silences', { matchers: { agent: 'X' }, endsAt: 5 }), 400, 'invalid-silence', '"endsAt" must be a string');
    assertAnswer(await post('/api/v1/silences', { matchers: { agent: 'X' }, endsAt, comment: 5 }), 400, 'invalid-silence', '"comment" must be a string');
    assertAnswer(
      await post('/api/v1/silences', { matchers: { agent: 'X' } }),
      400,
      'invalid-silence',
      '"endsAt" is required: when the silence ends (ISO 8601, e.g. 2026-12-01T00:00:00Z)',
    );
    const to = '"to" must be an e-mail address (or a list of at most 20), such as admin@contoso.com';
    assertAnswer(await request(rig.svc.url, 'POST', '/api/v1/test-email', { token: rig.token, body: 'null', headers: { 'content-type': 'application/json' } }), 400, 'bad-request', 'The body must be a JSON object such as {"to": "admin@contoso.com"}');
    assertAnswer(await post('/api/v1/test-email', { to: [1] }), 400, 'bad-request', to);
    assertAnswer(await post('/api/v1/test-email', { to: Array.from({ length: 21 }, (_, i) => `a${i}@contoso.com`) }), 400, 'bad-request', to);
  });

  it('what the parser answers stays: no body where one is needed is a 415, bad JSON a 400', async () => {
    const none = await request(rig.svc.url, 'POST', '/api/v1/silences', { token: rig.token });
    assert.equal(none.status, 415, none.text);
    assert.equal(none.json.error, 'unsupported-media-type');
    const bad = await request(rig.svc.url, 'POST', '/api/v1/silences', { token: rig.token, body: '{"matchers":', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid-json');
  });
});
