import assert from 'node:assert/strict';
import { mkdir, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { watchFileChanges } from '../../src/server/file-change-watch.js';
import { tempHome } from '../support/cli.js';
import { waitFor } from './helpers.js';

/** Replaces `file` the way writeFileAtomic does: a new file renamed over the old one. */
async function replaceAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

describe('watchFileChanges: the one "a file changed on disk" mechanism (issue 12)', () => {
  it('reports each change once, by polling; a file that appears counts; resync takes the service\'s own write as seen', async () => {
    const { home, cleanup } = await tempHome();
    const settings = join(home, 'settings.yaml');
    const secret = join(home, 'client-secret.enc');
    const seen: string[] = [];
    await writeFile(settings, 'a: 1\n');
    const watch = watchFileChanges([settings, secret], { everyMs: 20, onChange: () => void seen.push('change') });
    try {
      // Each write atomic: writeFile truncates first, and a poll between truncate and write would see
      // two changes (empty, then written) where the test counts one.
      await replaceAtomically(settings, 'a: 22\n');
      await waitFor(() => seen.length === 1, 'the edit to be reported');
      await replaceAtomically(secret, 'new secret');
      await waitFor(() => seen.length === 2, 'the file that appeared to be reported');

      // The service wrote the settings itself and says so: no call for that write, the next change is one.
      await replaceAtomically(settings, 'a: 333\n');
      await watch.resync();
      await replaceAtomically(secret, 'another secret');
      await waitFor(() => seen.length === 3, 'the next change');
      assert.equal(seen.length, 3, 'the write taken by resync was not reported');
    } finally {
      watch.stop();
      await cleanup();
    }
  });

  it('sees an atomic replace with the same size and mtime (only the inode differs): a rotated API token', async () => {
    const { home, cleanup } = await tempHome();
    const file = join(home, 'api-token.json');
    let calls = 0;
    // Whole seconds: utimes sets those exactly, so both files get the very same mtime.
    const mtime = 1_700_000_000;
    await writeFile(file, '{"hash":"AAAA"}\n');
    await utimes(file, mtime, mtime);
    const before = await stat(file);
    const watch = watchFileChanges([file], { everyMs: 20, onChange: () => void (calls += 1) });
    try {
      await replaceAtomically(file, '{"hash":"BBBB"}\n');
      await utimes(file, mtime, mtime);
      const after = await stat(file);
      assert.equal(after.size, before.size);
      assert.equal(after.mtimeMs, before.mtimeMs);
      await waitFor(() => calls === 1, 'the replaced file to be reported');
    } finally {
      watch.stop();
      await cleanup();
    }
  });

  it('with events, reports a change before the next poll is due, also in a directory made after the start', async () => {
    const { home, cleanup } = await tempHome();
    const file = join(home, 'token.json');
    const later = join(home, 'made-later', 'state.json');
    const seen: string[] = [];
    await writeFile(file, 'one');
    // A poll an hour away: only the fs.watch event can be what reports the first change in time.
    const watch = watchFileChanges([file], { everyMs: 3_600_000, events: true, onChange: () => void seen.push('token') });
    const lateWatch = watchFileChanges([later], { everyMs: 20, events: true, onChange: () => void seen.push('state') });
    try {
      await replaceAtomically(file, 'two');
      await waitFor(() => seen.includes('token'), 'the event to report the change');
      await mkdir(join(home, 'made-later'));
      await writeFile(later, '{}');
      await waitFor(() => seen.includes('state'), 'the file in the new directory to be reported');
    } finally {
      watch.stop();
      lateWatch.stop();
      await cleanup();
    }
  });

  it('a failing onChange goes to onError and the watch goes on', async () => {
    const { home, cleanup } = await tempHome();
    const file = join(home, 'settings.yaml');
    const errors: unknown[] = [];
    let calls = 0;
    const watch = watchFileChanges([file], {
      everyMs: 20,
      onChange: () => {
        calls += 1;
        if (calls === 1) throw new Error('reload failed');
      },
      onError: (err) => errors.push(err),
    });
    try {
      await writeFile(file, 'one');
      await waitFor(() => errors.length === 1, 'the error to be reported');
      assert.match(String(errors[0]), /reload failed/);
      await writeFile(file, 'two, longer');
      await waitFor(() => calls === 2, 'the next change after the failure');
    } finally {
      watch.stop();
      await cleanup();
    }
  });
});
