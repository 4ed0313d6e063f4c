import { GraphSendError } from './errors.js';
import { jsonField } from './json-field.js';
import type { PreparedAttachment } from './message.js';
import type { MailboxPacer } from './pacing.js';
import { inlineFields } from './payload.js';
import type { GraphCall, GraphRequester, SendTrace } from './requester.js';
import { nextRange, parseNextExpected } from './upload-plan.js';

/** What an upload needs from the mail client: its requester, pacing, call builder and limits. */
export interface UploadSessions {
  requester: GraphRequester;
  pacer(): MailboxPacer;
  call(step: string, method: GraphCall['method'], path: string, json?: unknown, extra?: Partial<GraphCall>): GraphCall;
  chunkBytes: number;
  /** Sessions per attachment at most (the retry policy's maxAttempts). */
  maxAttempts: number;
}

/**
 * createUploadSession, then ranged PUTs without Authorization. Outlook documents only PUT and DELETE
 * on the upload URL (https://learn.microsoft.com/graph/outlook-large-attachments), so where to go on
 * comes only from its answers: each PUT's `nextExpectedRanges`. A refusal that does not say (a 416
 * after an answer was lost), or a session that expired or vanished (401, 404), cancels the session
 * (DELETE) and starts the attachment over in a new one, at most `maxAttempts - 1` times.
 */
export async function uploadAttachment(s: UploadSessions, draftPath: string, a: PreparedAttachment, trace: SendTrace): Promise<void> {
  const maxRestarts = s.maxAttempts - 1;
  for (let restarts = 0; ; restarts += 1) {
    const outcome = await uploadInSession(s, draftPath, a, trace);
    if (outcome.done) return;
    await cancelUploadSession(s, outcome.uploadUrl, trace);
    if (restarts >= maxRestarts) {
      throw new GraphSendError({
        status: outcome.status,
        code: 'UploadOutOfSync',
        message: `upload ${a.name}: Graph refused the range ${outcome.range} without saying where to continue, ${restarts + 1} upload sessions in a row`,
        attempts: restarts + 1,
        requestIds: trace.requestIds,
        retryable: true,
      });
    }
  }
}

/** One upload session: done, or the answer that means this session cannot go on. */
async function uploadInSession(
  s: UploadSessions,
  draftPath: string,
  a: PreparedAttachment,
  trace: SendTrace,
): Promise<{ done: true } | { done: false; uploadUrl: string; status: number; range: string }> {
  const pacer = s.pacer();
  const size = a.content.length;
  const session = await s.requester.execute(
    s.call(`create an upload session for ${a.name}`, 'POST', `${draftPath}/attachments/createUploadSession`, {
      AttachmentItem: { attachmentType: 'file', name: a.name, size, contentType: a.contentType, ...inlineFields(a) },
    }, { okStatuses: [200, 201] }),
    pacer,
    trace,
  );
  const uploadUrl = jsonField(session.response, 'uploadUrl');
  if (typeof uploadUrl !== 'string' || !uploadUrl.startsWith('https://')) {
    throw new GraphSendError({ status: session.response.status, code: 'InvalidResponse', message: `create an upload session for ${a.name}: Graph answered without an https uploadUrl`, attempts: session.attempts, requestIds: trace.requestIds, retryable: true });
  }
  let offset = parseNextExpected(jsonField(session.response, 'nextExpectedRanges')) ?? 0;
  for (let range = nextRange(offset, size, s.chunkBytes); range; range = nextRange(offset, size, s.chunkBytes)) {
    const { response } = await s.requester.execute(
      {
        step: `upload ${a.name} bytes ${range.start}-${range.end}/${size}`,
        method: 'PUT',
        url: uploadUrl,
        body: a.content.subarray(range.start, range.end + 1),
        contentType: 'application/octet-stream',
        headers: { 'content-range': `bytes ${range.start}-${range.end}/${size}` },
        authenticated: false,
        okStatuses: [200, 201],
        // Not failures of the send: a range Graph did not expect (the retry of a chunk whose answer
        // was lost), a session that expired (401) or is gone (404) are handled below.
        accept: (res) => res.status === 416 || res.status === 401 || res.status === 404 || (res.status >= 400 && res.status < 500 && parseNextExpected(jsonField(res, 'nextExpectedRanges')) !== undefined),
      },
      pacer,
      trace,
    );
    if (response.status === 201) return { done: true };
    const expected = parseNextExpected(jsonField(response, 'nextExpectedRanges'));
    if (response.status === 200) {
      offset = expected ?? range.end + 1;
      continue;
    }
    if (response.status === 404 && range.end === size - 1) {
      // The session is gone after the last range: Outlook may have attached the file and lost the
      // 201. A new session could attach it twice, so the draft is given up and the send retried.
      throw new GraphSendError({
        status: 404,
        code: 'UploadOutOfSync',
        message: `upload ${a.name}: the upload session was gone when its last range was sent again; the draft is sent again from the start`,
        attempts: 1,
        requestIds: trace.requestIds,
        retryable: true,
      });
    }
    if (expected === undefined || expected >= size || response.status === 401 || response.status === 404) {
      return { done: false, uploadUrl, status: response.status, range: `${range.start}-${range.end}` };
    }
    offset = expected;
  }
  return { done: true };
}

/** DELETE on the upload URL cancels the session (Outlook's documented way); best effort. */
async function cancelUploadSession(s: UploadSessions, uploadUrl: string, trace: SendTrace): Promise<void> {
  try {
    await s.requester.execute({ step: 'cancel the upload session', method: 'DELETE', url: uploadUrl, authenticated: false, okStatuses: [204, 200, 401, 404], maxAttempts: 1 }, s.pacer(), trace);
  } catch {
    // An expired session is gone anyway; the new one is what matters.
  }
}
