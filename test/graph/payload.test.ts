import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphSendError } from '../../src/graph/errors.js';
import { dropUntilInline } from '../../src/graph/request-fit.js';
import { prepareMessage, type PreparedMessage } from '../../src/graph/message.js';
import { base64Length, draftSize, MAX_REQUEST_BYTES, sendMailBody, sendMailSize } from '../../src/graph/payload.js';
import { checkChunkBytes, DEFAULT_CHUNK_BYTES, nextRange, parseNextExpected, planChunks, planDelivery, UPLOAD_CHUNK_UNIT } from '../../src/graph/upload-plan.js';

const MB = 1024 * 1024;
const sizes = { zero: 0, '2.8': Math.round(2.8 * MB), '2.9': Math.round(2.9 * MB), '3.1': Math.round(3.1 * MB), '3.9': Math.round(3.9 * MB), '20': 20 * MB };

function withAttachments(...lengths: number[]): PreparedMessage {
  return prepareMessage({
    to: 'it-team@contoso.com',
    subject: 'Report: é ü \u{1F600} "quoted" \\ back',
    html: '<p>Größe</p>\n<script>"x"</script>',
    attachments: lengths.map((n, i) => ({ name: `file-${i}.bin`, content: Buffer.alloc(n, i + 1) })),
  });
}

describe('request size', () => {
  it('equals the real serialized size, base64 growth and JSON escaping included', () => {
    for (const n of [0, 1, 2, 3, 4, 1000, 65_537, sizes['2.9']]) {
      const msg = withAttachments(n, 7);
      const real = Buffer.byteLength(JSON.stringify(sendMailBody(msg, msg.attachments)), 'utf8');
      assert.equal(sendMailSize(msg, msg.attachments), real, `attachment of ${n} bytes`);
    }
    assert.equal(base64Length(0), 0);
    assert.equal(base64Length(1), 4);
    assert.equal(base64Length(3), 4);
    assert.equal(base64Length(4), 8);
    assert.equal(base64Length(3 * MB), 4 * MB);
  });
});

describe('delivery plan', () => {
  it('sends 0 B and 2.8 MB inline in one sendMail under 4,000,000 bytes', () => {
    for (const n of [sizes.zero, sizes['2.8']]) {
      const plan = planDelivery(withAttachments(n));
      assert.equal(plan.kind, 'inline', `${n} bytes`);
      assert.ok(plan.kind === 'inline' && plan.requestBytes < MAX_REQUEST_BYTES);
    }
  });

  it('plans against 4,000,000 bytes, the stricter reading of "4 MB" (issue 13.14): 2.9 MB (under 4 MiB as one sendMail) goes through an upload session', () => {
    assert.equal(MAX_REQUEST_BYTES, 4_000_000);
    const msg = withAttachments(sizes['2.9']);
    const inline = sendMailSize(msg, msg.attachments);
    assert.ok(inline > 4_000_000 && inline < 4 * MB, `${inline} bytes as one sendMail`);
    const plan = planDelivery(msg);
    assert.ok(plan.kind === 'draft' && plan.uploadedAttachments.length === 1);
  });

  it('sends 3.1 MB, 3.9 MB and 20 MB through a draft and an upload session', () => {
    for (const n of [sizes['3.1'], sizes['3.9'], sizes['20']]) {
      const plan = planDelivery(withAttachments(n));
      assert.equal(plan.kind, 'draft', `${n} bytes`);
      assert.ok(plan.kind === 'draft');
      assert.equal(plan.uploadedAttachments.length, 1);
      assert.equal(plan.draftAttachments.length, 0);
    }
  });

  it('puts small attachments in the draft and big ones in upload sessions when together they exceed 4 MB', () => {
    const plan = planDelivery(withAttachments(sizes['3.1'], 100_000, 2 * MB, 1_500_000));
    assert.equal(plan.kind, 'draft');
    assert.ok(plan.kind === 'draft');
    assert.deepEqual(plan.uploadedAttachments.map((a) => a.content.length), [sizes['3.1']]);
    // Smallest first into the draft while it stays under 4 MB; the rest posted one by one.
    assert.deepEqual(plan.draftAttachments.map((a) => a.content.length), [100_000, 1_500_000]);
    assert.deepEqual(plan.postedAttachments.map((a) => a.content.length), [2 * MB]);
    assert.ok(plan.draftBytes < MAX_REQUEST_BYTES);
    assert.ok(draftSize(withAttachments(), []) < plan.draftBytes);
  });

  it('refuses a body that alone exceeds 4 MB, before sending', () => {
    const msg = prepareMessage({ to: 'a@contoso.com', subject: 's', text: 'x'.repeat(5 * MB) });
    assert.throws(() => planDelivery(msg), (err: unknown) => err instanceof GraphSendError && err.code === 'InvalidMessage' && /without attachments/.test(err.message));
  });

  it('drops the largest attachments until sendMail fits, and says so in the body (escaped in HTML)', () => {
    const msg = prepareMessage({
      to: 'a@contoso.com',
      subject: 's',
      html: '<html><body><p>Report</p></body></html>',
      attachments: [
        { name: 'big<img src=x>.zip', content: Buffer.alloc(sizes['3.1']) },
        { name: 'small.txt', content: Buffer.from('hello') },
      ],
    });
    const { msg: reduced, dropped } = dropUntilInline(msg);
    assert.deepEqual(dropped, ['big<img src=x>.zip']);
    assert.deepEqual(reduced.attachments.map((a) => a.name), ['small.txt']);
    assert.equal(planDelivery(reduced).kind, 'inline');
    assert.match(reduced.body.content, /<p>\[o365-notify\] Not attached: big&lt;img src=x&gt;\.zip \(3\.1 MB\)\..*Mail\.ReadWrite.*<\/p><\/body><\/html>$/);
  });
});

describe('chunk planning', () => {
  it('uses multiples of 320 KiB under 4 MiB', () => {
    assert.equal(DEFAULT_CHUNK_BYTES % UPLOAD_CHUNK_UNIT, 0);
    assert.ok(DEFAULT_CHUNK_BYTES < 4 * MB);
    assert.throws(() => checkChunkBytes(4 * MB), RangeError);
    assert.throws(() => checkChunkBytes(1_000_000), RangeError);
    assert.doesNotThrow(() => checkChunkBytes(UPLOAD_CHUNK_UNIT));
  });

  it('covers every byte exactly once, in order, for the boundary sizes', () => {
    assert.deepEqual(planChunks(0), []);
    for (const total of [sizes['2.9'], sizes['3.1'], sizes['3.9'], sizes['20'], DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_BYTES + 1]) {
      const ranges = planChunks(total);
      assert.equal(ranges[0]!.start, 0);
      assert.equal(ranges.at(-1)!.end, total - 1);
      for (let i = 0; i < ranges.length; i++) {
        const r = ranges[i]!;
        assert.ok(r.end - r.start + 1 <= DEFAULT_CHUNK_BYTES && r.end - r.start + 1 < 4 * MB);
        if (i > 0) assert.equal(r.start, ranges[i - 1]!.end + 1);
        if (i < ranges.length - 1) assert.equal((r.end - r.start + 1) % UPLOAD_CHUNK_UNIT, 0);
      }
    }
    assert.equal(planChunks(sizes['3.1']).length, 1);
    assert.equal(planChunks(sizes['3.9']).length, 2);
    assert.equal(planChunks(sizes['20']).length, 6);
    assert.deepEqual(planChunks(sizes['3.9'])[1], { start: DEFAULT_CHUNK_BYTES, end: sizes['3.9'] - 1 });
  });

  it('resumes from the offset Graph expects', () => {
    assert.deepEqual(nextRange(1_000_000, sizes['20']), { start: 1_000_000, end: 1_000_000 + DEFAULT_CHUNK_BYTES - 1 });
    assert.deepEqual(nextRange(1_000_000, sizes['3.9']), { start: 1_000_000, end: sizes['3.9'] - 1 });
    assert.equal(nextRange(sizes['3.9'], sizes['3.9']), undefined);
    assert.equal(parseNextExpected(['2097152']), 2097152);
    assert.equal(parseNextExpected(['0-']), 0);
    assert.equal(parseNextExpected(['100-200', '300-']), 100);
    assert.equal(parseNextExpected([]), undefined);
    assert.equal(parseNextExpected(undefined), undefined);
  });
});
