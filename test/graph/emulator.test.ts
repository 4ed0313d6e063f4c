import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { issueGraphAccessToken } from '../../packages/emulator/src/access-token.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID, defaultSeed } from '../../packages/emulator/src/index.js';
import { GraphSendError } from '../../src/graph/errors.js';
import { createHttpsTransport, type HttpTransport } from '../../src/graph/http.js';
import { createMailClient, type MailClientOptions } from '../../src/graph/mail-client.js';
import type { AccessTokenResult, TokenProvider } from '../../src/graph/token-provider.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/**
 * The mail client against the real emulator over HTTPS: attachments at the size boundaries,
 * Mail.ReadWrite missing, 200 messages paced under the limits, a throttling storm with 503s
 * and connection resets, an expired token, invalid input.
 */

const MB = 1024 * 1024;
const SENDER = `alerts@${DEMO_DOMAIN}`;
const RECIPIENT = `it-team@${DEMO_DOMAIN}`;
const SHARED = `shared@${DEMO_DOMAIN}`;

interface MailboxMessage {
  subject: string;
  from: { address: string };
  body: { contentType: string; content: string };
  internetMessageHeaders: { name: string; value: string }[];
  attachments: { name: string; size: number; sha256: string }[];
}

/** Tokens from the emulator's signer, as the sign-in module would hand them over. */
class EmulatorTokens implements TokenProvider {
  calls = 0;
  forcedRefreshes = 0;
  private current: AccessTokenResult | undefined;

  constructor(
    private readonly emu: TestEmulator,
    private readonly options: { scopes?: string[]; roles?: string[]; expiredFirst?: boolean; refreshFails?: Error } = {},
  ) {}

  async getAccessToken(request?: { forceRefresh?: boolean }): Promise<AccessTokenResult> {
    this.calls += 1;
    if (request?.forceRefresh) {
      this.forcedRefreshes += 1;
      if (this.options.refreshFails) throw this.options.refreshFails;
    }
    if (!this.current || request?.forceRefresh) {
      const expired = this.options.expiredFirst === true && this.forcedRefreshes === 0;
      const dir = this.emu.context.directory;
      const appOnly = this.options.roles !== undefined;
      const issued = await issueGraphAccessToken(this.emu.context, {
        app: dir.findApp(appOnly ? DEMO_APPS.appOnly : DEMO_APPS.singleTenant)!,
        tenantId: DEMO_TENANT_ID,
        ...(appOnly ? { roles: this.options.roles } : { user: dir.findUser(SENDER)!, scopes: this.options.scopes ?? ['Mail.Send', 'Mail.ReadWrite'] }),
        lifetimeSeconds: expired ? -120 : 3600,
      });
      this.current = {
        accessToken: issued.token,
        expiresOn: new Date(issued.claims.exp! * 1000),
        scopes: appOnly ? ['https://graph.microsoft.com/.default'] : (this.options.scopes ?? ['Mail.Send', 'Mail.ReadWrite']),
        account: appOnly ? undefined : SENDER,
      };
    }
    return this.current;
  }
}

/** Records when each request went out and how Graph answered (for the Retry-After check). */
function recordingTransport(inner: HttpTransport) {
  const log: { sentAt: number; answeredAt: number; status: number; retryAfter?: string }[] = [];
  const transport: HttpTransport = {
    async request(req) {
      const sentAt = Date.now();
      try {
        const res = await inner.request(req);
        const retryAfter = res.headers['retry-after'];
        log.push({ sentAt, answeredAt: Date.now(), status: res.status, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
        return res;
      } catch (err) {
        log.push({ sentAt, answeredAt: Date.now(), status: 0 });
        throw err;
      }
    },
    close: () => inner.close(),
  };
  return { transport, log };
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >>> 16;
  }
  return b;
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

describe('mail client against the emulator', () => {
  let emu: TestEmulator;
  const clients: { close(): void }[] = [];

  const client = (tokens: TokenProvider, extra: Partial<MailClientOptions> = {}) => {
    const c = createMailClient({
      baseUrl: `${emu.url}/v1.0`,
      ca: emu.caPem,
      tokenProvider: tokens,
      mode: 'delegated',
      pacing: { concurrency: 4, messagesPerMinute: 6000 },
      retry: { baseDelayMs: 50, maxDelayMs: 500 },
      ...extra,
    });
    clients.push(c);
    return c;
  };

  const inbox = async (address = RECIPIENT): Promise<MailboxMessage[]> => {
    const res = await emu.call('GET', `/_emulator/mailboxes/${encodeURIComponent(address)}/messages?folder=inbox`);
    if (res.status === 404) return [];
    assert.equal(res.status, 200, res.text);
    return res.json();
  };
  const withId = (messages: MailboxMessage[], id: string) =>
    messages.filter((m) => m.internetMessageHeaders.some((h) => h.name.toLowerCase() === 'x-o365-notify-id' && h.value === id));
  const stats = async () => (await emu.call('GET', '/_emulator/stats')).json();
  /** Requests that reached Graph's routes (the control API's own calls left out). */
  const graphRequests = async () => Object.fromEntries(Object.entries((await stats()).requestsByEndpoint as Record<string, number>).filter(([k]) => k.startsWith('graph')));

  before(async () => {
    const seed = defaultSeed();
    seed.users!.push({ upn: SHARED, tenant: DEMO_DOMAIN, displayName: 'Shared Alerts', mailbox: true });
    seed.users!.find((u) => u.upn === SENDER)!.sendAs = [SHARED];
    seed.apps!.find((a) => a.clientId === DEMO_APPS.appOnly)!.applicationPermissions = ['Mail.Send', 'Mail.ReadWrite'];
    emu = await startTestEmulator({ seed });
    // Known, raised limits so the file takes seconds; concurrency stays at Graph's 4.
    const limits = await emu.call('PUT', '/_emulator/limits', { messagesPerMinute: 6000, concurrentRequestsPerMailbox: 4, requestsPer10Minutes: 100_000 });
    assert.equal(limits.status, 200, limits.text);
  });

  beforeEach(async () => {
    await emu.call('DELETE', '/_emulator/faults');
    await emu.call('DELETE', '/_emulator/stats');
    await emu.call('DELETE', '/_emulator/mailboxes');
  });

  after(async () => {
    for (const c of clients) c.close();
    await emu.stop();
  });

  it('delivers attachments of 0 B, 2.8 MB, 3.1 MB, 3.9 MB and 20 MB byte-identical', async () => {
    const mail = client(new EmulatorTokens(emu));
    const cases = [0, Math.round(2.8 * MB), Math.round(3.1 * MB), Math.round(3.9 * MB), 20 * MB].map((size, i) => ({ size, content: bytes(size, i + 1), id: `attach-${i}-${randomUUID()}` }));
    const results = await Promise.all(
      cases.map((c) => mail.send({ id: c.id, to: RECIPIENT, subject: `Attachment of ${c.size} bytes`, text: 'see attached', attachments: [{ name: `file-${c.size}.bin`, content: c.content }] })),
    );
    assert.deepEqual(results.map((r) => r.path), ['sendMail', 'sendMail', 'draft', 'draft', 'draft']);
    const messages = await inbox();
    for (const c of cases) {
      const [delivered, ...more] = withId(messages, c.id);
      assert.ok(delivered, `message with the ${c.size}-byte attachment delivered`);
      assert.equal(more.length, 0, 'delivered once');
      assert.equal(delivered.attachments.length, 1);
      assert.equal(delivered.attachments[0]!.size, c.size);
      assert.equal(delivered.attachments[0]!.sha256, sha256(c.content), `${c.size} bytes arrive byte-identical`);
    }
    const s = await stats();
    // 3.1 MB: 1 range, 3.9 MB: 2 ranges, 20 MB: 6 ranges; no draft left behind.
    assert.equal(s.requestsByEndpoint['graph.uploadSession'], 9);
    assert.equal(s.throttled429, 0);
    const drafts = (await emu.call('GET', `/_emulator/mailboxes/${SENDER}/messages?folder=drafts`)).json();
    assert.equal(drafts.length, 0);
  });

  it('fails before sending anything when Mail.ReadWrite is missing, or drops the attachment by option', async () => {
    const tokens = new EmulatorTokens(emu, { scopes: ['Mail.Send'] });
    const id = randomUUID();
    const big = { name: 'image.vhdx', content: bytes(Math.round(3.1 * MB), 9) };
    const err = await failure(client(tokens).send({ id, to: RECIPIENT, subject: 'Large', text: 't', attachments: [big] }));
    assert.equal(err.code, 'MailReadWriteRequired');
    assert.match(err.diagnosis!.fix, /Delegated permissions, check Mail\.ReadWrite/);
    assert.deepEqual(await graphRequests(), {}, 'no request reached Graph');
    assert.deepEqual(await inbox(), []);

    const dropped = await client(tokens, { dropOversizeAttachments: true }).send({ id, to: RECIPIENT, subject: 'Large', text: 'Report', attachments: [big] });
    assert.deepEqual(dropped.droppedAttachments, ['image.vhdx']);
    const [delivered] = withId(await inbox(), id);
    assert.equal(delivered!.attachments.length, 0);
    assert.match(delivered!.body.content, /Not attached: image\.vhdx \(3\.1 MB\)/);
  });

  it('delivers 200 concurrent messages once each without a 429 and never more than 4 requests in flight', async () => {
    const mail = client(new EmulatorTokens(emu));
    const ids = Array.from({ length: 200 }, (_, i) => `burst-${i}-${randomUUID()}`);
    const results = await Promise.all(ids.map((id, i) => mail.send({ id, to: RECIPIENT, subject: `Burst ${i}`, text: `Message ${i}` })));
    assert.ok(results.every((r) => r.attempts === 1));
    const messages = await inbox();
    assert.equal(messages.length, 200);
    for (const id of ids) assert.equal(withId(messages, id).length, 1);
    const s = await stats();
    assert.equal(s.throttled429, 0);
    assert.equal(s.messagesDelivered, 200);
    const peaks = Object.values(s.peakConcurrencyByMailbox) as number[];
    assert.ok(peaks.length > 0 && Math.max(...peaks) <= 4, JSON.stringify(s.peakConcurrencyByMailbox));
    assert.equal(mail.stats().throttled, 0);
  });

  it('gets every message through a throttling storm with 503s and connection resets, once each, waiting at least Retry-After', async () => {
    // The first sendMail requests get 503s and resets (counted, so they surely happen), then half
    // of all requests are throttled with Retry-After: 1 for the rest of the test.
    for (const fault of [
      { endpoint: 'graph.sendMail', kind: 'error', status: 503, count: 2, retryAfterSeconds: 1 },
      { endpoint: 'graph.sendMail', kind: 'reset', count: 2 },
      { endpoint: 'graph.sendMail', kind: 'throttle', probability: 0.5, durationSeconds: 120, retryAfterSeconds: 1 },
    ]) {
      assert.equal((await emu.call('POST', '/_emulator/faults', fault)).status, 201);
    }
    const { transport, log } = recordingTransport(createHttpsTransport({ ca: emu.caPem }));
    const maxAttempts = 20;
    const mail = client(new EmulatorTokens(emu), { transport, retry: { maxAttempts, baseDelayMs: 50, maxDelayMs: 400 } });
    const ids = Array.from({ length: 8 }, (_, i) => `storm-${i}-${randomUUID()}`);
    const results = await Promise.all(ids.map((id, i) => mail.send({ id, to: RECIPIENT, subject: `Storm ${i}`, text: 'x' })));
    await emu.call('DELETE', '/_emulator/faults');

    const messages = await inbox();
    for (const id of ids) assert.equal(withId(messages, id).length, 1, `${id} delivered exactly once`);
    assert.ok(results.every((r) => r.attempts >= 1 && r.attempts <= maxAttempts));
    const s = await stats();
    assert.ok(s.throttled429 > 0, 'the storm did throttle');
    assert.equal(log.filter((l) => l.status === 503).length, 2);
    assert.equal(log.filter((l) => l.status === 0).length, 2, 'two connections were reset');
    // After a 429 with Retry-After: 1, nothing went to the mailbox for at least a second.
    for (const throttled of log.filter((l) => l.status === 429)) {
      assert.equal(throttled.retryAfter, '1');
      const early = log.filter((l) => l.sentAt > throttled.answeredAt && l.sentAt < throttled.answeredAt + 1000);
      assert.deepEqual(early, [], 'a request went out before Retry-After had passed');
    }
  });

  it('refreshes an expired token once for a run of sends, then delivers', async () => {
    const tokens = new EmulatorTokens(emu, { expiredFirst: true });
    const mail = client(tokens);
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const results = await Promise.all(ids.map((id) => mail.send({ id, to: RECIPIENT, subject: 'After refresh', text: 'x' })));
    assert.equal(tokens.forcedRefreshes, 1);
    assert.ok(results.every((r) => r.attempts <= 2));
    const messages = await inbox();
    for (const id of ids) assert.equal(withId(messages, id).length, 1);
  });

  it('reports a revoked sign-in as "sign in again" and sends nothing', async () => {
    const revoked = Object.assign(new Error('invalid_grant: AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed.'), { errorCode: 'invalid_grant' });
    const tokens = new EmulatorTokens(emu, { expiredFirst: true, refreshFails: revoked });
    const err = await failure(client(tokens).send({ to: RECIPIENT, subject: 'Never', text: 'x' }));
    assert.equal(err.code, 'TokenAcquisitionFailed');
    assert.equal(err.diagnosis?.guideStep, 'sign-in-again');
    assert.equal(tokens.forcedRefreshes, 1);
    assert.deepEqual(await inbox(), []);
  });

  it('rejects invalid recipients and injected headers before sending, and neutralises the subject', async () => {
    const mail = client(new EmulatorTokens(emu));
    const err = await failure(mail.send({ to: ['ok@contoso.com', 'evil@contoso.com\r\nBcc: victim@example.com'], subject: 'x', text: 'x' }));
    assert.equal(err.code, 'InvalidMessage');
    const headerErr = await failure(mail.send({ to: RECIPIENT, subject: 'x', text: 'x', headers: { Bcc: 'victim@example.com' } }));
    assert.match(headerErr.message, /x-/);
    assert.deepEqual(await graphRequests(), {});

    const id = randomUUID();
    await mail.send({ id, to: RECIPIENT, subject: 'Disk full\r\nBcc: victim@example.com', html: '<p>as given</p>', headers: { 'x-agent': 'srv01\r\nX-Evil: 1' } });
    const [delivered] = withId(await inbox(), id);
    assert.equal(delivered!.subject, 'Disk full Bcc: victim@example.com');
    assert.deepEqual(delivered!.internetMessageHeaders.find((h) => h.name === 'x-agent'), { name: 'x-agent', value: 'srv01 X-Evil: 1' });
    assert.equal(delivered!.body.content, '<p>as given</p>');
    assert.deepEqual(await inbox('victim@example.com'), []);
  });

  it('sends as a shared mailbox when allowed, and explains ErrorSendAsDenied', async () => {
    const mail = client(new EmulatorTokens(emu));
    const id = randomUUID();
    await mail.send({ id, from: SHARED, to: RECIPIENT, subject: 'From the shared mailbox', text: 'x' });
    assert.equal(withId(await inbox(), id)[0]!.from.address, SHARED);
    const err = await failure(mail.send({ from: `admin@${DEMO_DOMAIN}`, to: RECIPIENT, subject: 'Not allowed', text: 'x' }));
    assert.deepEqual([err.status, err.code, err.retryable, err.attempts], [403, 'ErrorSendAsDenied', false, 1]);
    assert.match(err.message, new RegExp(`send as admin@${DEMO_DOMAIN}`));
    assert.match(err.diagnosis!.fix, /Send as/);
    assert.ok(err.requestId);
  });

  it('sends app-only from /users/{sender}, a large attachment included', async () => {
    const tokens = new EmulatorTokens(emu, { roles: ['Mail.Send', 'Mail.ReadWrite'] });
    const mail = client(tokens, { mode: 'app-only', sender: SENDER });
    const id = randomUUID();
    const content = bytes(Math.round(3.5 * MB), 5);
    const result = await mail.send({ id, to: RECIPIENT, subject: 'App-only', text: 'x', attachments: [{ name: 'big.bin', content }] });
    assert.equal(result.path, 'draft');
    const [delivered] = withId(await inbox(), id);
    assert.equal(delivered!.from.address, SENDER);
    assert.equal(delivered!.attachments[0]!.sha256, sha256(content));

    const sendOnly = client(new EmulatorTokens(emu, { roles: ['Mail.Send'] }), { mode: 'app-only', sender: SENDER });
    const err = await failure(sendOnly.send({ to: RECIPIENT, subject: 'x', text: 'x', attachments: [{ name: 'big.bin', content }] }));
    assert.equal(err.code, 'MailReadWriteRequired');
    assert.match(err.diagnosis!.fix, /Application permissions/);
  });
});
