import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '../../packages/emulator/src/context.js';
import { DEMO_APPS } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type HttpResult, type TestEmulator } from '../support/emulator.js';
import { ALERTS, bearer, delegatedToken, graphError, IT_TEAM, mail, messagesOf } from './graph-support.js';

describe('Graph emulator: service limits per app and mailbox', () => {
  let emu: TestEmulator;
  let token: string;
  before(async () => {
    emu = await startTestEmulator();
    token = await delegatedToken(emu, ALERTS, ['Mail.Send', 'Mail.ReadWrite']);
  });
  after(async () => {
    await emu.stop();
  });
  beforeEach(async () => {
    await emu.call('DELETE', '/_emulator/mailboxes');
    await emu.call('DELETE', '/_emulator/stats');
    await emu.call('DELETE', '/_emulator/faults');
  });
  afterEach(async () => {
    await emu.call('PUT', '/_emulator/limits', DEFAULT_LIMITS);
    await emu.call('POST', '/_emulator/clock', { reset: true });
  });

  const send = (headers = bearer(token)) => emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM]), headers);

  function assertThrottled(res: HttpResult, code: string, message: RegExp): number {
    assert.equal(res.status, 429, res.text);
    assert.equal(graphError(res).code, code);
    assert.match(graphError(res).message, message);
    const retryAfter = Number(res.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${res.headers['retry-after']}`);
    return retryAfter;
  }

  it('throttles requests beyond 4 in flight for one app (ApplicationThrottled, MailboxConcurrency)', async () => {
    // Every request is held for a while, so all 8 are in flight together.
    await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'slow', delayMs: 1500, count: 8 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => send()));
    const accepted = answers.filter((a) => a.status === 202);
    const throttled = answers.filter((a) => a.status === 429);
    assert.equal(accepted.length + throttled.length, 8, answers.map((a) => a.status).join(','));
    assert.ok(accepted.length >= 1 && accepted.length <= 4, `accepted ${accepted.length}`);
    assert.ok(throttled.length >= 4, `throttled ${throttled.length}`);
    for (const t of throttled) assertThrottled(t, 'ApplicationThrottled', /^Application is over its MailboxConcurrency limit\.$/);

    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    // Counted per app (concurrencyScope "app", issue 13.10).
    assert.ok(stats.peakConcurrencyByMailbox[DEMO_APPS.singleTenant] > 4, `peak ${stats.peakConcurrencyByMailbox[DEMO_APPS.singleTenant]}`);
    assert.equal(stats.throttled429, throttled.length);
    assert.equal(stats.messagesDelivered, accepted.length);
    assert.equal((await messagesOf(emu, IT_TEAM)).length, accepted.length, 'throttled messages were not delivered');
  });

  it('lets exactly 4 concurrent requests through', async () => {
    await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'slow', delayMs: 800, count: 4 });
    const answers = await Promise.all(Array.from({ length: 4 }, () => send()));
    assert.deepEqual(answers.map((a) => a.status), [202, 202, 202, 202]);
    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    assert.equal(stats.peakConcurrencyByMailbox[DEMO_APPS.singleTenant], 4);
    assert.equal(stats.throttled429, 0);
  });

  it('limits messages per minute with a Retry-After until a slot frees (sendingLimitAnswer "throttle")', async () => {
    assert.equal((await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 3, sendingLimitAnswer: 'throttle' })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await send()).status, 202);
    const retryAfter = assertThrottled(await send(), 'ApplicationThrottled', /MessagesPerMinute/);
    assert.ok(retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 3);

    await emu.call('POST', '/_emulator/clock', { advanceSeconds: retryAfter });
    assert.equal((await send()).status, 202, 'accepted again once Retry-After has passed');
    assert.equal(emu.context.stats.throttled429, 1);
  });

  it('counts a draft send as a message', async () => {
    await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 1, sendingLimitAnswer: 'throttle' });
    assert.equal((await send()).status, 202);
    const draft = (await emu.call('POST', '/v1.0/me/messages', mail([IT_TEAM]).message, bearer(token))).json();
    assertThrottled(await emu.call('POST', `/v1.0/me/messages/${draft.id}/send`, undefined, bearer(token)), 'ApplicationThrottled', /MessagesPerMinute/);
  });

  it('limits requests per 10 minutes per app and mailbox, not per app', async () => {
    await emu.call('PUT', '/_emulator/limits', { requestsPer10Minutes: 2 });
    assert.equal((await send()).status, 202);
    assert.equal((await emu.call('POST', '/v1.0/me/messages', mail([IT_TEAM]).message, bearer(token))).status, 201);
    const retryAfter = assertThrottled(await send(), 'ApplicationThrottled', /RequestsPer10Minutes/);
    assert.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After ${retryAfter}`);

    const otherMailbox = await emu.call('POST', '/v1.0/me/sendMail', mail([ALERTS]), bearer(await delegatedToken(emu, IT_TEAM)));
    assert.equal(otherMailbox.status, 202, 'another mailbox has its own budget');
  });

  it('limits recipients per day (ErrorExceededMessageLimit, sendingLimitAnswer "throttle")', async () => {
    await emu.call('PUT', '/_emulator/limits', { recipientsPerDay: 3, sendingLimitAnswer: 'throttle' });
    assert.equal((await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM, 'a@example.org']), bearer(token))).status, 202);
    const over = await emu.call('POST', '/v1.0/me/sendMail', mail(['b@example.org', 'c@example.org']), bearer(token));
    assertThrottled(over, 'ErrorExceededMessageLimit', /Daily Message\/Recipient limit exceeded/);
    assert.equal((await emu.call('POST', '/v1.0/me/sendMail', mail(['b@example.org']), bearer(token))).status, 202, 'one more still fits');
  });

  it('limits upload bytes per 5 minutes (IncomingBytes) when the limit is set', async () => {
    Object.assign(emu.context.limits, { uploadBytesPer5Minutes: 2000 });
    try {
      const body = 'x'.repeat(900);
      assert.equal((await send()).status, 202);
      const big = mail([IT_TEAM], { body: { contentType: 'text', content: body } });
      assert.equal((await emu.call('POST', '/v1.0/me/sendMail', big, bearer(token))).status, 202);
      assertThrottled(await emu.call('POST', '/v1.0/me/sendMail', big, bearer(token)), 'ApplicationThrottled', /IncomingBytes/);
    } finally {
      delete (emu.context.limits as { uploadBytesPer5Minutes?: number }).uploadBytesPer5Minutes;
    }
  });
});
