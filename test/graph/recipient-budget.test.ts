import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RollingBudget } from '../../src/graph/pacing.js';
import type { MailClient, SendOptions } from '../../src/graph/mail-client.js';
import { prepareMessage, type MailMessage } from '../../src/graph/message.js';
import { mimeRecipients, withRecipientBudget } from '../../src/graph/recipient-budget.js';
import { fakeClient } from './support/clients.js';
import { FakeClock } from './support/fake-clock.js';

const DAY = 24 * 3600_000;

describe('recipient budget (Exchange recipient rate limit, issue 13.7)', () => {
  it('takes while the rolling 24 hours have room, then says when they will', async () => {
    const clock = new FakeClock();
    const budget = new RollingBudget(clock, 10, DAY);
    assert.ok('release' in budget.take(6));
    await clock.advance(3600_000);
    assert.ok('release' in budget.take(4));
    const full = budget.take(1);
    assert.ok('waitMs' in full);
    // Room once the first 6 leave the window (23 h from now), plus the margin.
    assert.ok(full.waitMs > 23 * 3600_000 && full.waitMs < 23 * 3600_000 + 5_000, `wait ${full.waitMs}`);
    await clock.advance(full.waitMs);
    assert.ok('release' in budget.take(6));
    assert.equal(budget.used, 10);
  });

  it('gives back what a failed send took, and refuses more than the limit at once', () => {
    const budget = new RollingBudget(new FakeClock(), 3, DAY);
    const taken = budget.take(3);
    assert.ok('release' in taken);
    taken.release();
    taken.release();
    assert.equal(budget.used, 0);
    const tooMany = budget.take(4);
    assert.ok('waitMs' in tooMany && tooMany.waitMs === Infinity);
  });

  it('starts from what an earlier run sent (seed): counted until it leaves the 24 hours, older ones not at all', async () => {
    const clock = new FakeClock();
    const now = clock.now();
    const budget = new RollingBudget(clock, 10, DAY);
    budget.seed([
      { sentAt: now - 2 * 3600_000, recipients: 4 },
      { sentAt: now - DAY - 60_000, recipients: 9 },
      { sentAt: now - 23 * 3600_000, recipients: 5 },
    ]);
    assert.equal(budget.used, 9, 'the one from 24 h + 1 min ago is out of the window');
    const full = budget.take(2);
    assert.ok('waitMs' in full);
    // Room when the 5 sent 23 h ago leave: in 1 h (plus the margin).
    assert.ok(full.waitMs > 3600_000 && full.waitMs < 3600_000 + 5_000, `wait ${full.waitMs}`);
    assert.ok('release' in budget.take(1));
    await clock.advance(full.waitMs);
    assert.equal(budget.used, 5);
  });

  it('counts the To, Cc and Bcc addresses of a MIME message (folded lines too), not others', () => {
    const mime = Buffer.from(
      'From: Alerts <alerts@contoso.com>\r\nTo: a@example.org, "B" <b@example.org>,\r\n c@example.org\r\nCc: d@example.org\r\nBcc: e@example.org\r\n' +
        'Reply-To: r@example.org\r\nSubject: x@y.z\r\n\r\nTo: body@example.org\r\n',
    );
    assert.equal(mimeRecipients(mime), 5);
  });

  it('the mail client fails an e-mail over the budget at once, retryable, with the time and the setting to look at', async () => {
    const sent: string[] = [];
    const { client } = fakeClient(
      (req) => {
        sent.push(req.url);
        return { status: 202, headers: {}, body: Buffer.alloc(0) };
      },
      { pacing: { messagesPerMinute: 6000, recipientsPerDay: 2 }, baseUrl: 'https://budget.example.test/v1.0' },
    );
    await client.send({ to: ['a@example.org', 'b@example.org'], subject: 'one', text: 'x' });
    await assert.rejects(client.send({ to: 'c@example.org', subject: 'two', text: 'x' }), (err: any) => {
      assert.equal(err.code, 'RecipientRateLimit');
      assert.equal(err.retryable, true);
      assert.ok(err.retryAfterMs > 23 * 3600_000, `retryAfterMs ${err.retryAfterMs}`);
      assert.match(err.message, /daily recipient limit .*mail\.recipientsPerDay = 2/);
      return true;
    });
    assert.equal(sent.length, 1, 'the second e-mail never reached Graph');
  });

  it('prepares each e-mail once: the budget counts from the prepared message and hands it to the client', async () => {
    const calls: { message: MailMessage; options?: SendOptions }[] = [];
    const inner = {
      send: async (message: MailMessage, options?: SendOptions) => {
        calls.push({ message, options });
        if (!options?.prepared) throw new Error('inner: invalid message');
        return {} as never;
      },
    } as unknown as MailClient;
    const budget = new RollingBudget(new FakeClock(), 10, DAY);
    const client = withRecipientBudget(inner, budget, 'alerts@contoso.com');
    const message = { id: 'budget-1', to: ['a@example.org', 'b@example.org'], cc: 'c@example.org', subject: 'one', text: 'x' };
    await client.send(message);
    assert.deepEqual(calls[0]!.options?.prepared, prepareMessage(message));
    assert.equal(budget.used, 3);
    // An invalid one: nothing prepared, nothing taken, the client's own error.
    await assert.rejects(client.send({ to: [], subject: 'two', text: 'x' }), /inner: invalid message/);
    assert.equal(calls[1]!.options?.prepared, undefined);
    assert.equal(budget.used, 3);
  });

  it('the mail client sends the prepared message it is given rather than preparing the message again', async () => {
    const bodies: string[] = [];
    const { client } = fakeClient((req) => {
      bodies.push(req.body?.toString() ?? '');
      return { status: 202, headers: {}, body: Buffer.alloc(0) };
    });
    const prepared = prepareMessage({ to: 'a@example.org', subject: 'prepared once', text: 'x' });
    await client.send({ to: 'a@example.org', subject: 'not this one', text: 'x' }, { prepared });
    assert.match(bodies.join('\n'), /prepared once/);
    assert.doesNotMatch(bodies.join('\n'), /not this one/);
  });
});
