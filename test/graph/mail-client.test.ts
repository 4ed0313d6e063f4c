import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { GraphSendError } from '../../src/graph/errors.js';
import type { HttpRequest } from '../../src/graph/http.js';
import { createMailClient } from '../../src/graph/mail-client.js';
import { DEFAULT_CHUNK_BYTES } from '../../src/graph/upload-plan.js';
import { CountingTokenProvider, fakeClient, jwtWith } from './support/clients.js';
import { graphError, networkError, response } from './support/fake-transport.js';

const MB = 1024 * 1024;
const UPLOAD_URL = 'https://outlook.example.test/api/v2.0/AttachmentSessions(1)?authtoken=opaque';

function bytes(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
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

/**
 * A scripted Graph that stores what the upload session receives, like Exchange: ranges must
 * start where it expects; the final range completes the attachment (201).
 */
function draftGraph(options: { failPut?: (req: HttpRequest, n: number) => 'reset' | undefined; failStep?: string; rangesIn416?: boolean } = {}) {
  let received = Buffer.alloc(0);
  let total = 0;
  let puts = 0;
  const paths: string[] = [];
  const responder = (req: HttpRequest) => {
    const url = new URL(req.url);
    paths.push(`${req.method} ${url.pathname}`);
    if (options.failStep && url.pathname.endsWith(options.failStep)) return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    if (req.method === 'POST' && url.pathname === '/v1.0/me/messages') return response(201, { id: 'AAMkDraft=' });
    if (url.pathname.endsWith('/createUploadSession')) {
      total = (JSON.parse(req.body!.toString()) as { AttachmentItem: { size: number } }).AttachmentItem.size;
      received = Buffer.alloc(0);
      return response(201, { uploadUrl: UPLOAD_URL, expirationDateTime: '2030-01-01T00:00:00Z', nextExpectedRanges: ['0-'] });
    }
    if (req.method === 'PUT') {
      puts += 1;
      const [, start, end, size] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '')!.map(Number) as number[];
      if (start !== received.length) {
        const error = { code: 'InvalidRange', message: `Uploaded fragment overlaps with existing data. Next expected byte: ${received.length}.` };
        return response(416, options.rangesIn416 ? { error, nextExpectedRanges: [String(received.length)] } : { error });
      }
      received = Buffer.concat([received, req.body!]);
      assert.equal(end! - start! + 1, req.body!.length);
      assert.equal(size, total);
      if (options.failPut?.(req, puts) === 'reset') return networkError();
      return received.length === total ? response(201, undefined, { location: 'https://outlook.example.test/attachments/1' }) : response(200, { nextExpectedRanges: [String(received.length)] });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/api/v2.0/')) return graphError(405, 'ErrorInvalidRequest', 'GET is not supported on an upload session URL.');
    if (url.pathname.endsWith('/send')) return response(202);
    if (req.method === 'DELETE') return response(204);
    return graphError(404, 'ResourceNotFound', `no route ${req.method} ${url.pathname}`);
  };
  return { responder, paths, received: () => received };
}

describe('attachments through a draft and an upload session', () => {
  it('uploads a 3.9 MB attachment in ranged PUTs without Authorization, then sends the draft', async () => {
    const content = bytes(Math.round(3.9 * MB));
    const graph = draftGraph();
    const { client, clock, transport } = fakeClient(graph.responder);
    const result = await clock.run(client.send({ to: 'it-team@contoso.com', subject: 'Big', text: 'see attachment', attachments: [{ name: 'image.vhdx', content }] }));
    assert.equal(result.path, 'draft');
    assert.deepEqual(graph.paths, [
      'POST /v1.0/me/messages',
      'POST /v1.0/me/messages/AAMkDraft%3D/attachments/createUploadSession',
      'PUT /api/v2.0/AttachmentSessions(1)',
      'PUT /api/v2.0/AttachmentSessions(1)',
      'POST /v1.0/me/messages/AAMkDraft%3D/send',
    ]);
    assert.equal(createHash('sha256').update(graph.received()).digest('hex'), createHash('sha256').update(content).digest('hex'));
    const puts = transport.requests.filter((r) => r.method === 'PUT');
    assert.deepEqual(puts.map((r) => r.headers['content-range']), [`bytes 0-${DEFAULT_CHUNK_BYTES - 1}/${content.length}`, `bytes ${DEFAULT_CHUNK_BYTES}-${content.length - 1}/${content.length}`]);
    for (const put of puts) {
      assert.equal(put.headers.authorization, undefined, 'no Authorization header on the upload URL');
      assert.equal(put.headers['content-type'], 'application/octet-stream');
      assert.ok(put.body!.length < 4 * MB);
    }
    for (const other of transport.requests.filter((r) => r.method !== 'PUT')) assert.equal(other.headers.authorization, 'Bearer token-1');
    const session = JSON.parse(transport.requests[1]!.body!.toString());
    assert.deepEqual(session, { AttachmentItem: { attachmentType: 'file', name: 'image.vhdx', size: content.length, contentType: 'application/octet-stream' } });
    const draft = JSON.parse(transport.requests[0]!.body!.toString());
    assert.equal(draft.attachments, undefined);
    assert.equal(draft.internetMessageHeaders[0].value, result.messageId);
  });

  it('resumes from nextExpectedRanges in the 416 answer after a chunk whose answer was lost', async () => {
    const content = bytes(20 * MB, 3);
    // The second PUT reaches Graph but the connection drops before the answer: the retry of the
    // same range is refused (416), and the upload continues where Graph says it is.
    const graph = draftGraph({ rangesIn416: true, failPut: (_req, n) => (n === 2 ? 'reset' : undefined) });
    const { client, clock, transport } = fakeClient(graph.responder);
    await clock.run(client.send({ to: 'it-team@contoso.com', subject: 'Big', text: 't', attachments: [{ name: 'a.bin', content }] }));
    assert.equal(createHash('sha256').update(graph.received()).digest('hex'), createHash('sha256').update(content).digest('hex'));
    const ranges = transport.requests.filter((r) => r.method === 'PUT').map((r) => r.headers['content-range']);
    assert.equal(ranges[1], ranges[2], 'the lost chunk is retried once');
    assert.match(ranges[3]!, new RegExp(`^bytes ${2 * DEFAULT_CHUNK_BYTES}-`), 'then the upload continues where Graph said');
    assert.equal(ranges.length, 7, '6 ranges plus the one retried');
    assert.equal(transport.requests.filter((r) => r.method === 'GET').length, 0);
    for (const r of transport.requests.filter((x) => x.method === 'PUT')) assert.equal(r.headers.authorization, undefined);
  });

  it('a 416 that does not say where to go on (issue 13.3): no GET on the upload URL; the session is cancelled and the file uploaded again in a new one', async () => {
    const content = bytes(20 * MB, 3);
    const graph = draftGraph({ rangesIn416: false, failPut: (_req, n) => (n === 2 ? 'reset' : undefined) });
    const { client, clock, transport } = fakeClient(graph.responder);
    await clock.run(client.send({ to: 'it-team@contoso.com', subject: 'Big', text: 't', attachments: [{ name: 'a.bin', content }] }));
    assert.equal(createHash('sha256').update(graph.received()).digest('hex'), createHash('sha256').update(content).digest('hex'));
    assert.equal(transport.requests.filter((r) => r.method === 'GET').length, 0, 'Outlook documents no GET on the upload URL');
    const steps = graph.paths.filter((p) => p.includes('createUploadSession') || p.startsWith('DELETE /api/v2.0/'));
    assert.deepEqual(steps, [
      'POST /v1.0/me/messages/AAMkDraft%3D/attachments/createUploadSession',
      'DELETE /api/v2.0/AttachmentSessions(1)',
      'POST /v1.0/me/messages/AAMkDraft%3D/attachments/createUploadSession',
    ]);
    const ranges = transport.requests.filter((r) => r.method === 'PUT').map((r) => r.headers['content-range']);
    assert.equal(ranges.length, 3 + 6, 'two ranges, the retry refused, then all 6 ranges in the new session');
    assert.match(ranges[3]!, /^bytes 0-/);
  });

  it('deletes the draft when a later step fails, and reports that step\'s error', async () => {
    const graph = draftGraph({ failStep: '/createUploadSession' });
    const { client, clock } = fakeClient(graph.responder);
    const err = await failure(clock.run(client.send({ to: 'it-team@contoso.com', subject: 'Big', text: 't', attachments: [{ name: 'a.bin', content: bytes(3.1 * MB) }] })));
    assert.equal(err.code, 'ErrorAccessDenied');
    assert.match(err.message, /create an upload session for a\.bin/);
    assert.deepEqual(graph.paths.at(-1), 'DELETE /v1.0/me/messages/AAMkDraft%3D');
    assert.ok(!graph.paths.some((p) => p.endsWith('/send')));
  });

  it('fails before sending anything when the token lacks Mail.ReadWrite, naming the permission to add', async () => {
    const provider = new CountingTokenProvider(['https://graph.microsoft.com/Mail.Send', 'openid', 'profile', 'offline_access']);
    const { client, clock, transport } = fakeClient(() => response(202), { tokenProvider: provider });
    const err = await failure(clock.run(client.send({ to: 'it-team@contoso.com', subject: 'Big', text: 't', attachments: [{ name: 'backup.log', content: bytes(3.1 * MB) }] })));
    assert.equal(transport.requests.length, 0);
    assert.deepEqual([err.code, err.attempts, err.retryable], ['MailReadWriteRequired', 0, false]);
    assert.match(err.message, /backup\.log \(3\.1 MB\)/);
    assert.match(err.diagnosis!.fix, /API permissions > Add a permission > Microsoft Graph > Delegated permissions, check Mail\.ReadWrite/);
    assert.equal(err.diagnosis!.guideStep, 'api-permissions');
  });

  it('reads app-only permissions from the token\'s roles and sends from /users/{sender}', async () => {
    const withoutReadWrite = new CountingTokenProvider(['https://graph.microsoft.com/.default'], () => jwtWith({ roles: ['Mail.Send'] }));
    const denied = fakeClient(() => response(202), { tokenProvider: withoutReadWrite, mode: 'app-only', sender: 'alerts@contoso.com' });
    const err = await failure(denied.clock.run(denied.client.send({ to: 'it-team@contoso.com', subject: 'Big', text: 't', attachments: [{ name: 'x.bin', content: bytes(3.1 * MB) }] })));
    assert.equal(err.code, 'MailReadWriteRequired');
    assert.match(err.diagnosis!.fix, /Application permissions, check Mail\.ReadWrite.*Grant admin consent/);

    const graph = draftGraph();
    const allowed = fakeClient((req) => graph.responder({ ...req, url: req.url.replace('/users/alerts%40contoso.com', '/me') }), {
      tokenProvider: new CountingTokenProvider(['https://graph.microsoft.com/.default'], () => jwtWith({ roles: ['Mail.Send', 'Mail.ReadWrite'] })),
      mode: 'app-only',
      sender: 'alerts@contoso.com',
    });
    await allowed.clock.run(allowed.client.send({ to: 'it-team@contoso.com', subject: 'Big', text: 't', attachments: [{ name: 'x.bin', content: bytes(3.1 * MB) }] }));
    assert.equal(allowed.transport.requests[0]!.url, 'https://graph.example.test/v1.0/users/alerts%40contoso.com/messages');
  });

  it('by option sends without the oversize attachment and says so in the body', async () => {
    const provider = new CountingTokenProvider(['Mail.Send']);
    const { client, clock, transport } = fakeClient(() => response(202), { tokenProvider: provider, dropOversizeAttachments: true });
    const result = await clock.run(
      client.send({ to: 'it-team@contoso.com', subject: 'Report', text: 'Daily report', attachments: [{ name: 'big.zip', content: bytes(3.1 * MB) }, { name: 'summary.txt', content: Buffer.from('ok') }] }),
    );
    assert.equal(result.path, 'sendMail');
    assert.deepEqual(result.droppedAttachments, ['big.zip']);
    assert.equal(transport.requests.length, 1);
    const body = JSON.parse(transport.requests[0]!.body!.toString());
    assert.deepEqual(body.message.attachments.map((a: { name: string }) => a.name), ['summary.txt']);
    assert.match(body.message.body.content, /^Daily report\n\n\[o365-notify\] Not attached: big\.zip \(3\.1 MB\)/);
  });
});

describe('sendMail', () => {
  it('posts the message to /me/sendMail with inline attachments and resolves on 202', async () => {
    const { client, clock, transport } = fakeClient(() => response(202));
    const result = await clock.run(
      client.send({ id: 'evt-1', to: 'it-team@contoso.com', subject: 'S', text: 'T', headers: { 'x-agent': 'srv01' }, attachments: [{ name: 'empty.txt', content: Buffer.alloc(0) }, { name: 'a.txt', contentType: 'text/plain', content: Buffer.from('hello') }] }),
    );
    assert.deepEqual([result.messageId, result.attempts, result.path], ['evt-1', 1, 'sendMail']);
    const req = transport.requests[0]!;
    assert.deepEqual([req.method, req.url, req.headers['content-type']], ['POST', 'https://graph.example.test/v1.0/me/sendMail', 'application/json']);
    assert.match(req.headers['client-request-id']!, /^[0-9a-f-]{36}$/);
    const body = JSON.parse(req.body!.toString());
    assert.deepEqual(body.message.internetMessageHeaders, [{ name: 'x-o365-notify-id', value: 'evt-1' }, { name: 'x-agent', value: 'srv01' }]);
    assert.deepEqual(body.message.attachments, [
      { '@odata.type': '#microsoft.graph.fileAttachment', name: 'empty.txt', contentType: 'text/plain', contentBytes: '' },
      { '@odata.type': '#microsoft.graph.fileAttachment', name: 'a.txt', contentType: 'text/plain', contentBytes: 'aGVsbG8=' },
    ]);
  });

  it('rejects invalid recipients before any request', async () => {
    const { client, clock, transport, tokenProvider } = fakeClient(() => response(202));
    const err = await failure(clock.run(client.send({ to: ['ok@contoso.com', 'bad@@contoso.com'], subject: 'S', text: 'T' })));
    assert.equal(err.code, 'InvalidMessage');
    assert.equal(err.diagnosis?.guideStep, 'recipients');
    assert.equal(transport.requests.length, 0);
    assert.equal(tokenProvider.calls, 0);
  });

  it('explains ErrorSendAsDenied with the From address', async () => {
    const { client, clock } = fakeClient(() =>
      graphError(403, 'ErrorSendAsDenied', 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account. Cannot submit message.'),
    );
    const err = await failure(clock.run(client.send({ from: 'shared@contoso.com', to: 'it-team@contoso.com', subject: 'S', text: 'T' })));
    assert.match(err.message, /^Graph refused to send as shared@contoso\.com/);
    assert.equal(err.diagnosis?.code, 'ErrorSendAsDenied');
    assert.match(err.diagnosis!.fix, /Send as/);
    assert.equal(err.retryable, false);
  });

  it('refuses a configuration that cannot work', () => {
    const tokenProvider = new CountingTokenProvider();
    assert.throws(() => createMailClient({ baseUrl: 'http://graph.microsoft.com/v1.0', mode: 'delegated', tokenProvider }), /https/);
    assert.throws(() => createMailClient({ baseUrl: 'https://graph.microsoft.com/v1.0', mode: 'app-only', tokenProvider }), /sender/);
    assert.throws(() => createMailClient({ baseUrl: 'https://graph.microsoft.com/v1.0', mode: 'delegated', tokenProvider, uploadChunkBytes: 5 * MB }), RangeError);
  });
});
