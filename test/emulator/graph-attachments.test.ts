import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { httpsCall, startTestEmulator, type HttpResult, type TestEmulator } from '../support/emulator.js';
import { ALERTS, appToken, bearer, delegatedToken, graphError, IT_TEAM, mail, messagesOf, to } from './graph-support.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('Graph emulator: request size, attachments, drafts and upload sessions', () => {
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
  });

  const fileAttachment = (name: string, content: Buffer) => ({
    '@odata.type': '#microsoft.graph.fileAttachment',
    name,
    contentType: 'application/pdf',
    contentBytes: content.toString('base64'),
  });

  async function draft(extra: Record<string, unknown> = {}, auth = token): Promise<HttpResult> {
    return emu.call('POST', '/v1.0/me/messages', { ...mail([IT_TEAM]).message, ...extra }, bearer(auth));
  }

  async function uploadSession(messageId: string, size: number, name = 'report.pdf'): Promise<HttpResult> {
    return emu.call(
      'POST',
      `/v1.0/me/messages/${messageId}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name, size, contentType: 'application/pdf' } },
      bearer(token),
    );
  }

  function put(uploadUrl: string, body: Buffer, range: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return httpsCall(uploadUrl, {
      method: 'PUT',
      ca: emu.caPem,
      body,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length), 'content-range': range, ...headers },
    });
  }

  async function uploadInChunks(uploadUrl: string, file: Buffer, chunk: number): Promise<HttpResult[]> {
    const answers: HttpResult[] = [];
    for (let start = 0; start < file.length; start += chunk) {
      const end = Math.min(start + chunk, file.length) - 1;
      answers.push(await put(uploadUrl, file.subarray(start, end + 1), `bytes ${start}-${end}/${file.length}`));
    }
    return answers;
  }

  it('accepts a request just under 4 MB and answers 413 in Graph\'s shape just over it', async () => {
    const underLimit = randomBytes(2.9 * 1000 * 1000);
    const ok = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM], { attachments: [fileAttachment('small.pdf', underLimit)] }), bearer(token));
    assert.equal(ok.status, 202, ok.text);
    const [received] = await messagesOf(emu, IT_TEAM);
    assert.equal(received.attachments[0].sha256, sha256(underLimit));
    assert.equal(received.attachments[0].size, underLimit.length);

    const overLimit = await emu.call('POST', '/v1.0/me/sendMail', mail([IT_TEAM], { attachments: [fileAttachment('big.pdf', randomBytes(3.2 * MiB))] }), bearer(token));
    assert.equal(overLimit.status, 413);
    assert.deepEqual([graphError(overLimit).code, graphError(overLimit).message], ['BadRequest', 'The maximum request length supported is 4MB.']);
    assert.equal((await messagesOf(emu, IT_TEAM)).length, 1, 'the oversized message was not delivered');
  });

  it('needs Mail.ReadWrite for drafts and upload sessions (403 before anything is created)', async () => {
    const sendOnly = await delegatedToken(emu, ALERTS, ['Mail.Send']);
    const res = await draft({}, sendOnly);
    assert.equal(res.status, 403);
    assert.equal(graphError(res).code, 'ErrorAccessDenied');
    const created = (await draft()).json();
    const session = await emu.call(
      'POST',
      `/v1.0/me/messages/${created.id}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name: 'x.bin', size: 4 * MiB } },
      bearer(sendOnly),
    );
    assert.equal(session.status, 403);
    assert.equal((await messagesOf(emu, ALERTS, '?folder=drafts')).length, 1, 'only the draft made with Mail.ReadWrite exists');
  });

  it('creates a draft (201, Graph\'s message resource) and sends it with a small attachment', async () => {
    const created = await draft({ bccRecipients: to('archive@example.org') });
    assert.equal(created.status, 201, created.text);
    const message = created.json();
    assert.equal(message.isDraft, true);
    assert.equal(message.subject, 'Backup verification failed');
    assert.deepEqual(message.toRecipients, [{ emailAddress: { name: IT_TEAM, address: IT_TEAM } }]);
    const content = randomBytes(1000);
    const attached = await emu.call('POST', `/v1.0/me/messages/${message.id}/attachments`, fileAttachment('log.txt', content), bearer(token));
    assert.equal(attached.status, 201, attached.text);
    assert.equal(attached.json().size, 1000);
    const read = await emu.call('GET', `/v1.0/me/messages/${message.id}`, undefined, bearer(token));
    assert.equal(read.json().hasAttachments, true);

    const sent = await emu.call('POST', `/v1.0/me/messages/${message.id}/send`, undefined, bearer(token));
    assert.equal(sent.status, 202, sent.text);
    const [received] = await messagesOf(emu, IT_TEAM, '?includeContent=1');
    assert.equal(received.via, 'draft');
    assert.equal(Buffer.from(received.attachments[0].contentBytes, 'base64').equals(content), true);
    assert.equal((await messagesOf(emu, 'archive@example.org')).length, 1);
    assert.equal((await messagesOf(emu, ALERTS, '?folder=drafts')).length, 0, 'the draft left Drafts');
    assert.equal((await messagesOf(emu, ALERTS, '?folder=sentitems')).length, 1);
    const again = await emu.call('POST', `/v1.0/me/messages/${message.id}/send`, undefined, bearer(token));
    assert.equal(again.status, 404, 'a sent draft cannot be sent twice');
    assert.equal(graphError(again).code, 'ErrorItemNotFound');
  });

  it('uploads a large attachment in chunks at the 4 MB boundary; it arrives byte-identical', async () => {
    const file = randomBytes(9 * MiB + 1);
    const message = (await draft()).json();
    const session = await uploadSession(message.id, file.length);
    assert.equal(session.status, 201, session.text);
    const { uploadUrl, expirationDateTime, nextExpectedRanges } = session.json();
    assert.deepEqual(nextExpectedRanges, ['0-']);
    assert.ok(Date.parse(expirationDateTime) > Date.now());
    assert.match(uploadUrl, /\/api\/v2\.0\/Users\('[^']+@[^']+'\)\/Messages\('[^']+'\)\/AttachmentSessions\('[^']+'\)\?authtoken=/);

    const answers = await uploadInChunks(uploadUrl, file, 4 * MiB);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 201]);
    assert.deepEqual(answers[0]!.json().nextExpectedRanges, [String(4 * MiB)]);
    assert.deepEqual(answers[1]!.json().nextExpectedRanges, [String(8 * MiB)]);
    assert.match(String(answers[2]!.headers.location), /\/Attachments\('[^']+'\)$/);
    assert.equal(answers[2]!.text, '');

    assert.equal((await emu.call('POST', `/v1.0/me/messages/${message.id}/send`, undefined, bearer(token))).status, 202);
    const [received] = await messagesOf(emu, IT_TEAM, '?includeContent=1');
    assert.equal(received.attachments.length, 1);
    assert.equal(received.attachments[0].name, 'report.pdf');
    assert.equal(received.attachments[0].size, file.length);
    assert.equal(received.attachments[0].sha256, sha256(file));
    assert.equal(sha256(Buffer.from(received.attachments[0].contentBytes, 'base64')), sha256(file));
    const withoutContent = await messagesOf(emu, IT_TEAM);
    assert.equal(withoutContent[0].attachments[0].contentBytes, undefined, 'content only with ?includeContent=1');
  });

  it('accepts an exactly 3 MB file in one 3 MB range, and refuses sessions under 2 MiB (the minimum measured, issue 13.14)', async () => {
    const message = (await draft()).json();
    const small = await uploadSession(message.id, 2 * MiB - 1);
    assert.equal(small.status, 400);
    assert.equal(graphError(small).code, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize');
    const file = randomBytes(3 * MiB);
    const { uploadUrl } = (await uploadSession(message.id, file.length)).json();
    const [only] = await uploadInChunks(uploadUrl, file, file.length);
    assert.equal(only!.status, 201);
    const read = (await emu.call('GET', `/v1.0/me/messages/${message.id}`, undefined, bearer(token))).json();
    assert.equal(read.hasAttachments, true);
  });

  it('rejects an Authorization header on the upload URL (401), as Graph says to omit it', async () => {
    const message = (await draft()).json();
    const { uploadUrl } = (await uploadSession(message.id, 4 * MiB)).json();
    const res = await put(uploadUrl, randomBytes(1024), `bytes 0-1023/${4 * MiB}`, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 401);
    assert.equal(graphError(res).code, 'InvalidAudienceForResource');
    assert.match(graphError(res).message, /Audience claim is '00000003-0000-0000-c000-000000000000'/);
    const first = await put(uploadUrl, randomBytes(1024), `bytes 0-1023/${4 * MiB}`);
    assert.equal(first.status, 200, 'nothing was stored: the range from 0 is still expected');
    assert.deepEqual(first.json().nextExpectedRanges, ['1024']);
  });

  it('rejects a wrong or missing authtoken, bad ranges, and chunks over 4 MB', async () => {
    const size = 5 * MiB;
    const message = (await draft()).json();
    const { uploadUrl } = (await uploadSession(message.id, size)).json();
    const chunk = randomBytes(1024);

    const forged = await put(uploadUrl.replace(/authtoken=.*/, 'authtoken=forged'), chunk, `bytes 0-1023/${size}`);
    assert.equal(forged.status, 401);
    const missing = await put(uploadUrl.replace(/\?authtoken=.*/, ''), chunk, `bytes 0-1023/${size}`);
    assert.equal(missing.status, 401);
    assert.equal(graphError(missing).message, 'Access token is empty.');

    const cases: [string, Buffer, number][] = [
      ['bytes 0-1023', chunk, 400], // no total
      ['0-1023/5242880', chunk, 400], // no unit
      [`bytes 0-1023/${size + 1}`, chunk, 400], // total differs from the session's size
      [`bytes 0-2047/${size}`, chunk, 400], // range longer than the body
      [`bytes 1024-2047/${size}`, chunk, 416], // gap: not the next expected byte
    ];
    for (const [range, body, status] of cases) {
      const res = await put(uploadUrl, body, range);
      assert.equal(res.status, status, `${range}: ${res.text}`);
      graphError(res);
    }
    const tooBig = await put(uploadUrl, randomBytes(4 * MiB + 1), `bytes 0-${4 * MiB}/${size}`);
    assert.equal(tooBig.status, 413);

    assert.equal((await put(uploadUrl, chunk, `bytes 0-1023/${size}`)).status, 200);
    const overlap = await put(uploadUrl, chunk, `bytes 0-1023/${size}`);
    assert.equal(overlap.status, 416, 'a range already received overlaps');
    assert.match(graphError(overlap).message, /overlaps/);
  });

  it('goes on from each PUT\'s nextExpectedRanges; GET on the upload URL is not Outlook\'s (405, issue 13.3)', async () => {
    const file = randomBytes(6 * MiB + 123);
    const message = (await draft()).json();
    const { uploadUrl } = (await uploadSession(message.id, file.length)).json();
    const first = await put(uploadUrl, file.subarray(0, 2 * MiB), `bytes 0-${2 * MiB - 1}/${file.length}`);
    assert.equal(first.status, 200);

    // OneDrive's progress GET does not exist on Outlook's upload URL.
    const status = await httpsCall(uploadUrl, { ca: emu.caPem });
    assert.equal(status.status, 405);
    assert.equal(status.headers.allow, 'PUT, DELETE');
    assert.equal(graphError(status).code, 'ErrorInvalidRequest');
    const next = Number(String(first.json().nextExpectedRanges[0]).split('-')[0]);
    assert.equal(next, 2 * MiB);
    const restart = await put(uploadUrl, file.subarray(0, MiB), `bytes 0-${MiB - 1}/${file.length}`);
    assert.equal(restart.status, 416, 'starting over from 0 is refused: those bytes are already there');
    const second = await put(uploadUrl, file.subarray(next, next + 4 * MiB), `bytes ${next}-${next + 4 * MiB - 1}/${file.length}`);
    assert.equal(second.status, 200);
    const last = await put(uploadUrl, file.subarray(next + 4 * MiB), `bytes ${next + 4 * MiB}-${file.length - 1}/${file.length}`);
    assert.equal(last.status, 201);

    await emu.call('POST', `/v1.0/me/messages/${message.id}/send`, undefined, bearer(token));
    const [received] = await messagesOf(emu, IT_TEAM);
    assert.equal(received.attachments[0].sha256, sha256(file));
  });

  it('cancels a session with DELETE on the upload URL', async () => {
    const message = (await draft()).json();
    const { uploadUrl } = (await uploadSession(message.id, 4 * MiB)).json();
    assert.equal((await httpsCall(uploadUrl, { method: 'DELETE', ca: emu.caPem })).status, 204);
    const after_ = await put(uploadUrl, randomBytes(10), `bytes 0-9/${4 * MiB}`);
    assert.equal(after_.status, 404);
  });

  it('lets an app-only caller use drafts and upload sessions on a user\'s mailbox with Mail.ReadWrite', async () => {
    const app = await appToken(emu, ['Mail.Send', 'Mail.ReadWrite']);
    const created = await emu.call('POST', `/v1.0/users/${ALERTS}/messages`, mail([IT_TEAM]).message, bearer(app));
    assert.equal(created.status, 201, created.text);
    const session = await emu.call(
      'POST',
      `/v1.0/users/${ALERTS}/messages/${created.json().id}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name: 'big.iso', size: 3 * MiB } },
      bearer(app),
    );
    assert.equal(session.status, 201, session.text);
  });

  it('refuses a draft whose attachments exceed the 35 MB message size (ErrorMessageSizeExceeded)', async () => {
    const message = (await draft()).json();
    const res = await uploadSession(message.id, 30 * MiB);
    assert.equal(res.status, 400, 'base64 in MIME makes 30 MB about 41 MB');
    assert.equal(graphError(res).code, 'ErrorMessageSizeExceeded');
    assert.equal((await uploadSession(message.id, 20 * MiB)).status, 201);
  });
});
