import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_DOMAIN } from '../../packages/emulator/src/index.js';
import { runCli, startCli } from '../support/cli.js';
import { appOnlyHome, mailReadWriteSeed } from '../support/app-only.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { waitFor } from '../reliability/support.js';

/**
 * Issue 13.3: Outlook documents only PUT and DELETE on the upload URL
 * (https://learn.microsoft.com/graph/outlook-large-attachments); the emulator answers GET 405. The
 * product goes on from each PUT's nextExpectedRanges only, and when an answer does not say (the
 * retry of a chunk whose answer was lost gets 416) or the session expired (401), it cancels the
 * session and uploads the file again in a new one. Each attachment arrives once, byte-identical.
 */

const SENDER = `alerts@${DEMO_DOMAIN}`;
const TEAM = `it-team@${DEMO_DOMAIN}`;
const MiB = 1024 * 1024;

describe('upload sessions with only what Outlook documents (issue 13.3)', () => {
  let emu: TestEmulator;
  let home: { home: string; cleanup: () => Promise<void> };
  before(async () => {
    emu = await startTestEmulator({ seed: mailReadWriteSeed() });
    home = await appOnlyHome(emu, { sender: SENDER, to: TEAM });
  });
  after(async () => {
    await home?.cleanup();
    await emu?.stop();
  });

  const stats = async () => (await emu.call('GET', '/_emulator/stats')).json().requestsByEndpoint as Record<string, number>;

  async function bigFile(name: string): Promise<{ path: string; sha256: string }> {
    const content = randomBytes(9 * MiB + 17);
    const path = join(home.home, name);
    await writeFile(path, content);
    return { path, sha256: createHash('sha256').update(content).digest('hex') };
  }

  async function received(subject: string): Promise<{ name: string; sha256: string }[][]> {
    const inbox = (await emu.call('GET', `/_emulator/mailboxes/${TEAM}/messages?folder=inbox`)).json() as { subject: string; attachments: { name: string; sha256: string }[] }[];
    return inbox.filter((m) => m.subject === subject).map((m) => m.attachments.map((a) => ({ name: a.name, sha256: a.sha256 })));
  }

  it('the answer to a stored chunk is lost: the retry gets 416 without nextExpectedRanges, a new session uploads the file, it arrives once', async () => {
    const file = await bigFile('image-a.bin');
    const before = await stats();
    assert.equal((await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.uploadSession', kind: 'resetAfter', count: 1 })).status, 201);
    const r = await runCli(['--json', 'send', '--to', TEAM, '--subject', 'lost answer', '--text', 'x', '--attach', file.path], { home: home.home });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await received('lost answer'), [[{ name: 'image-a.bin', sha256: file.sha256 }]], 'one e-mail, the attachment once and whole');
    const after_ = await stats();
    assert.equal(after_['graph.createUploadSession']! - (before['graph.createUploadSession'] ?? 0), 2, 'a second session after the one that lost track');
  });

  it('the session expires mid-upload (401): a new session uploads the file, it arrives once', { timeout: 60_000 }, async () => {
    const file = await bigFile('image-b.bin');
    const before = await stats();
    // The first range is held at the upload URL while Entra's clock passes the session's 2 hours.
    assert.equal((await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.uploadSession', kind: 'slow', delayMs: 2000, count: 1 })).status, 201);
    const send = startCli(['--json', 'send', '--to', TEAM, '--subject', 'expired session', '--text', 'x', '--attach', file.path], { home: home.home });
    await waitFor(async () => ((await stats())['graph.uploadSession'] ?? 0) > (before['graph.uploadSession'] ?? 0), 'the first range to reach the upload URL', 20_000, 20);
    assert.equal((await emu.call('POST', '/_emulator/clock', { advanceSeconds: 3 * 3600 })).status, 200);
    const r = await send.done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await received('expired session'), [[{ name: 'image-b.bin', sha256: file.sha256 }]]);
    const after_ = await stats();
    // A new session after the expired one (its request may be sent twice: the access token ran out on that clock too).
    assert.ok(after_['graph.createUploadSession']! - (before['graph.createUploadSession'] ?? 0) >= 2, 'a new session after the expired one');
  });
});
