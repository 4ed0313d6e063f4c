import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { issueGraphAccessToken } from '../../packages/emulator/src/access-token.js';
import { DEMO_APPS, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { GraphSendError } from '../../src/graph/errors.js';
import { createMailClient } from '../../src/graph/mail-client.js';
import type { AccessTokenResult, TokenProvider } from '../../src/graph/token-provider.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { ALERTS, bearer, delegatedToken, graphError, IT_TEAM, mail, messagesOf } from './graph-support.js';

/**
 * Issue 13, Graph side: failures after acceptance (13.8), specific Graph errors on demand (13.9),
 * `saveToSentItems` as a string (13.12): the emulator's answer, and what the product's mail client
 * then does (retry or not, diagnosis, how many copies arrive).
 */

class Tokens implements TokenProvider {
  private current: AccessTokenResult | undefined;
  constructor(private readonly emu: TestEmulator) {}
  async getAccessToken(): Promise<AccessTokenResult> {
    if (!this.current) {
      const dir = this.emu.context.directory;
      const issued = await issueGraphAccessToken(this.emu.context, {
        app: dir.findApp(DEMO_APPS.singleTenant)!,
        tenantId: DEMO_TENANT_ID,
        user: dir.findUser(ALERTS)!,
        scopes: ['Mail.Send', 'Mail.ReadWrite'],
      });
      this.current = { accessToken: issued.token, expiresOn: new Date(issued.claims.exp! * 1000), scopes: ['Mail.Send', 'Mail.ReadWrite'], account: ALERTS };
    }
    return this.current;
  }
}

async function failure(promise: Promise<unknown>): Promise<GraphSendError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GraphSendError, `a GraphSendError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the send to fail');
}

describe('emulator fidelity (issue 13): Graph faults and the product mail client', () => {
  let emu: TestEmulator;
  let client: ReturnType<typeof createMailClient>;
  const fault = async (spec: Record<string, unknown>) => {
    const res = await emu.call('POST', '/_emulator/faults', spec);
    assert.ok(res.status < 300, res.text);
  };
  const copies = async (id: string) => (await emu.call('GET', `/_emulator/messages?notifyId=${encodeURIComponent(id)}`)).json();

  before(async () => {
    emu = await startTestEmulator();
    client = createMailClient({
      baseUrl: `${emu.url}/v1.0`,
      ca: emu.caPem,
      tokenProvider: new Tokens(emu),
      mode: 'delegated',
      pacing: { concurrency: 4, messagesPerMinute: 6000 },
      retry: { baseDelayMs: 20, maxDelayMs: 200 },
    });
  });
  beforeEach(async () => {
    await emu.call('DELETE', '/_emulator/faults');
    await emu.call('DELETE', '/_emulator/mailboxes');
  });
  after(async () => {
    client.close();
    await emu.stop();
  });

  it('13.8 errorAfter: the message is delivered, then 504; the retry makes at most one duplicate, same x-o365-notify-id', async () => {
    await fault({ endpoint: 'graph.sendMail', kind: 'errorAfter', count: 1 });
    const id = randomUUID();
    await client.send({ id, to: IT_TEAM, subject: 'After acceptance (504)', text: 'x' });
    const found = await copies(id);
    assert.deepEqual(found.receivedBy, [IT_TEAM, IT_TEAM], 'delivered by the faulted request and once more by the retry');
    // The emulator's answer itself: 504 GatewayTimeout in Graph's envelope after a delivery.
    await fault({ endpoint: 'graph.sendMail', kind: 'errorAfter', count: 1 });
    const res = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM]), bearer(await delegatedToken(emu, ALERTS)));
    assert.equal(res.status, 504);
    assert.equal(graphError(res).code, 'GatewayTimeout');
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 3);
  });

  it('13.8 resetAfter: delivered, then the connection is reset; at most one duplicate per fault', async () => {
    await fault({ endpoint: 'graph.sendMail', kind: 'resetAfter', count: 1 });
    const id = randomUUID();
    const outcome = await client.send({ id, to: IT_TEAM, subject: 'After acceptance (reset)', text: 'x' }).then(
      () => 'sent',
      (err: unknown) => (err instanceof GraphSendError ? `failed ${err.code}` : String(err)),
    );
    const found = await copies(id);
    assert.ok(found.receivedBy.length >= 1 && found.receivedBy.length <= 2, `1 or 2 copies, got ${found.receivedBy.length} (${outcome})`);
    assert.ok(found.receivedBy.every((m: string) => m === IT_TEAM));
    if (outcome === 'sent') assert.equal(found.receivedBy.length, 2);
  });

  const catalogCases: [string, number, string][] = [
    ['ErrorQuotaExceeded', 403, 'The mailbox quota has been exceeded.'],
    ['ErrorSendAsDenied', 403, 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.'],
    ['MailboxNotEnabledForRESTAPI', 404, 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.'],
    ['ErrorMessageSizeExceeded', 400, 'The message exceeds the maximum supported size.'],
    ['ErrorAccessDenied', 403, 'Access to OData is disabled.'],
  ];
  for (const [code, status, message] of catalogCases) {
    it(`13.9 a Graph error on demand (${code}) reaches its catalog diagnosis, not retried`, async () => {
      await fault({ endpoint: 'graph.sendMail', kind: 'error', status, code, message, count: 1 });
      const err = await failure(client.send({ id: randomUUID(), to: IT_TEAM, subject: code, text: 'x' }));
      assert.deepEqual([err.status, err.code, err.retryable, err.attempts], [status, code, false, 1]);
      assert.equal(err.diagnosis?.code, code);
      assert.ok(err.diagnosis!.fix.length > 20);
      assert.deepEqual(await messagesOf(emu, IT_TEAM).catch(() => []), []);
    });
  }

  it('13.5 app-only with no permission granted: no roles claim, 401 NoPermissionsInAccessToken, diagnosed as missing admin consent', async () => {
    const dir = emu.context.directory;
    const appOnly: TokenProvider = {
      async getAccessToken() {
        const issued = await issueGraphAccessToken(emu.context, { app: dir.findApp(DEMO_APPS.appOnly)!, tenantId: DEMO_TENANT_ID, roles: [] });
        assert.equal(issued.claims.roles, undefined, 'no roles claim at all');
        return { accessToken: issued.token, expiresOn: new Date(issued.claims.exp! * 1000), scopes: ['https://graph.microsoft.com/.default'] };
      },
    };
    const c = createMailClient({ baseUrl: `${emu.url}/v1.0`, ca: emu.caPem, tokenProvider: appOnly, mode: 'app-only', sender: ALERTS, retry: { baseDelayMs: 20, maxDelayMs: 200 } });
    try {
      const err = await failure(c.send({ id: randomUUID(), to: IT_TEAM, subject: 'no roles', text: 'x' }));
      assert.deepEqual([err.status, err.code, err.retryable], [401, 'NoPermissionsInAccessToken', false]);
      assert.ok(err.attempts <= 2, `one try and at most one with a refreshed token, got ${err.attempts}`);
      assert.equal(err.diagnosis?.code, 'NoPermissionsInAccessToken');
      assert.match(err.diagnosis!.fix, /Application.*Grant admin consent/);
    } finally {
      c.close();
    }
  });

  it('refuses a bad fault spec (code with spaces)', async () => {
    const res = await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'error', code: 'not a code', count: 1 });
    assert.equal(res.status, 400);
  });

  it('13.12 accepts "saveToSentItems": "false" as a string, as Graph documentation sends it', async () => {
    const token = await delegatedToken(emu, ALERTS);
    const res = await emu.call('POST', '/v1.0/me/sendMail', { ...mail([IT_TEAM]), saveToSentItems: 'false' }, bearer(token));
    assert.equal(res.status, 202, res.text);
    assert.equal((await messagesOf(emu, ALERTS, '?folder=sentitems')).length, 0);
    const bad = await emu.call('POST', '/v1.0/me/sendMail', { ...mail([IT_TEAM]), saveToSentItems: 'nope' }, bearer(token));
    assert.equal(bad.status, 400);
  });
});
