import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '../../packages/emulator/src/context.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { ALERTS, bearer, delegatedToken, IT_TEAM, mail, messagesOf } from './graph-support.js';

/**
 * Issue 13.7: Exchange Online's sending limits answer after acceptance. Over the message rate
 * limit (messages per minute) or the recipient rate limit (recipients in a rolling 24 hours),
 * sendMail still answers 202; no recipient gets the message and the sender's Inbox gets a
 * non-delivery report (docs/emulator.md, sources there). A raw client, no pacing.
 */
describe('Exchange sending limits after acceptance (issue 13.7)', () => {
  let emu: TestEmulator;
  let token: string;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
  });
  beforeEach(async () => {
    await emu.call('DELETE', '/_emulator/mailboxes');
    await emu.call('DELETE', '/_emulator/stats');
    token = await delegatedToken(emu, ALERTS, ['Mail.Send', 'Mail.ReadWrite']);
  });
  afterEach(async () => {
    await emu.call('PUT', '/_emulator/limits', DEFAULT_LIMITS);
    await emu.call('POST', '/_emulator/clock', { reset: true });
  });

  const send = (recipients: string[], subject: string, headers: Record<string, string> = {}) =>
    emu.call('POST', '/v1.0/me/sendMail', mail(recipients, {
      subject,
      internetMessageHeaders: Object.entries(headers).map(([name, value]) => ({ name, value })),
    }), bearer(token));
  const reports = async () => (await messagesOf(emu, ALERTS, '?folder=inbox')).filter((m) => m.subject.startsWith('Undeliverable: '));

  it('answers 202 over the per-minute limit, delivers nothing and files a non-delivery report for the sender', async () => {
    assert.equal((await emu.call('GET', '/_emulator/limits')).json().sendingLimitAnswer, 'ndr', 'the Exchange answer is the default');
    assert.equal((await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 2 })).status, 200);
    const answers = [];
    for (let i = 1; i <= 4; i++) answers.push((await send([IT_TEAM], `Alert ${i}`, { 'x-o365-notify-id': `n-${i}` })).status);
    assert.deepEqual(answers, [202, 202, 202, 202], 'Graph accepts every one');

    assert.deepEqual((await messagesOf(emu, IT_TEAM)).map((m) => m.subject).sort(), ['Alert 1', 'Alert 2']);
    assert.deepEqual((await messagesOf(emu, ALERTS, '?folder=sentitems')).map((m) => m.subject).sort(), ['Alert 1', 'Alert 2'], 'no Sent Items copy of a refused message');
    const ndrs = await reports();
    assert.deepEqual(ndrs.map((m) => m.subject).sort(), ['Undeliverable: Alert 3', 'Undeliverable: Alert 4']);
    for (const ndr of ndrs) {
      assert.equal(ndr.from.name, 'Microsoft Outlook');
      assert.match(ndr.from.address, /^MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso\.onmicrosoft\.com$/);
      assert.deepEqual(ndr.toRecipients.map((r: { address: string }) => r.address), [ALERTS]);
      assert.match(ndr.body.content, /submission quota was exceeded \(2 messages a minute\)/);
      assert.match(ndr.body.content, /554 5\.2\.0 STOREDRV\.Submission\.Exception:SubmissionQuotaExceededException/);
      assert.equal(ndr.via, 'system');
    }
    assert.match(ndrs.find((m) => m.subject.endsWith('Alert 3'))!.body.content, /x-o365-notify-id: n-3/, 'the report quotes the original headers');
    // Nothing received the refused message, whoever asks.
    assert.equal((await emu.call('GET', '/_emulator/messages?notifyId=n-3')).json().count, 0);
    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    assert.equal(stats.nonDeliveryReports, 2);
    assert.equal(stats.messagesDelivered, 2);
    assert.equal(stats.throttled429, 0);

    // The mailbox page shows the reports in the sender's Inbox.
    const page = await emu.call('GET', `/_emulator/?mailbox=${encodeURIComponent(ALERTS)}`);
    assert.match(page.text, /Undeliverable: Alert 3/);
    assert.match(page.text, /2 refused over a sending limit/);

    // A minute later the window has room again.
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 61 });
    assert.equal((await send([IT_TEAM], 'Alert 5')).status, 202);
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 3);
  });

  it('refuses a draft sent over the limit the same way', async () => {
    await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 1 });
    assert.equal((await send([IT_TEAM], 'First')).status, 202);
    const draft = (await emu.call('POST', '/v1.0/me/messages', mail([IT_TEAM], { subject: 'Drafted' }).message, bearer(token))).json();
    assert.equal((await emu.call('POST', `/v1.0/me/messages/${draft.id}/send`, undefined, bearer(token))).status, 202);
    assert.deepEqual((await messagesOf(emu, IT_TEAM)).map((m) => m.subject), ['First']);
    assert.deepEqual((await reports()).map((m) => m.subject), ['Undeliverable: Drafted']);
  });

  it('answers 202 over the daily recipient limit with the 5.1.90 report, until the rolling 24 hours have room', async () => {
    await emu.call('PUT', '/_emulator/limits', { recipientsPerDay: 3 });
    assert.equal((await send([IT_TEAM, 'a@example.org'], 'Two')).status, 202);
    assert.equal((await send(['b@example.org', 'c@example.org'], 'Two more')).status, 202, 'accepted, though over the limit');
    assert.equal((await messagesOf(emu, 'a@example.org')).length, 1);
    assert.equal((await emu.call('GET', '/_emulator/mailboxes/b%40example.org/messages')).status, 404, 'b@ never received anything');
    const [ndr] = await reports();
    assert.equal(ndr.subject, 'Undeliverable: Two more');
    assert.match(ndr.body.content, /550 5\.1\.90 Your message can't be sent because you've reached your daily limit for message recipients/);
    // The refused message did not count: one more recipient still fits.
    assert.equal((await send(['b@example.org'], 'One')).status, 202);
    assert.equal((await messagesOf(emu, 'b@example.org')).length, 1);
    assert.equal((await send(['c@example.org'], 'Over')).status, 202);
    assert.equal((await reports()).length, 2);
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 24 * 3600 + 60 });
    token = await delegatedToken(emu, ALERTS, ['Mail.Send', 'Mail.ReadWrite']);
    assert.equal((await send(['c@example.org'], 'Next day')).status, 202);
    assert.equal((await messagesOf(emu, 'c@example.org')).length, 1);
    assert.equal((await reports()).length, 2);
  });

  it('"delay" (the other reading): over the per-minute limit accepted and delivered, in order, once the minute has room', async () => {
    await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 2, sendingLimitAnswer: 'delay' });
    for (let i = 1; i <= 4; i++) assert.equal((await send([IT_TEAM], `Alert ${i}`)).status, 202);
    assert.deepEqual((await messagesOf(emu, IT_TEAM)).map((m) => m.subject), ['Alert 1', 'Alert 2'], 'two now, two carried over');
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 30 });
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 2, 'not before the minute has room');
    await emu.call('POST', '/_emulator/clock', { advanceSeconds: 31 });
    assert.deepEqual((await messagesOf(emu, IT_TEAM)).map((m) => m.subject), ['Alert 1', 'Alert 2', 'Alert 3', 'Alert 4']);
    assert.equal((await reports()).length, 0);
    const stats = (await emu.call('GET', '/_emulator/stats')).json();
    assert.equal(stats.messagesDelivered, 4);
    assert.equal(stats.nonDeliveryReports, 0);
    // Over the daily limit the answer stays the NDR.
    token = await delegatedToken(emu, ALERTS, ['Mail.Send', 'Mail.ReadWrite']);
    await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 30, recipientsPerDay: 4 });
    assert.equal((await send([IT_TEAM], 'Over the day')).status, 202);
    assert.deepEqual((await reports()).map((m) => m.subject), ['Undeliverable: Over the day']);
  });

  it('keeps the 429 answers as a switch, and refuses an unknown answer', async () => {
    assert.equal((await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 1, sendingLimitAnswer: 'throttle' })).status, 200);
    assert.equal((await send([IT_TEAM], 'One')).status, 202);
    assert.equal((await send([IT_TEAM], 'Two')).status, 429);
    assert.equal((await reports()).length, 0);
    const bad = await emu.call('PUT', '/_emulator/limits', { sendingLimitAnswer: 'later' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().error, /sendingLimitAnswer: "ndr".*"delay".*or "throttle"/);
  });
});
