import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { authorityMetadataPath, loadAuthorityMetadata } from '../../src/auth/authority-metadata.js';
import { DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { appOnlyHome } from '../support/app-only.js';
import { runCli } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/** Issue 14: msal-node's authority metadata kept in the home, so CLI processes do not fetch it each time. */
describe('authority metadata cached per home', () => {
  let emu: TestEmulator;
  let home: string;
  let cleanup: () => Promise<void>;

  const discoveryRequests = async (): Promise<number> =>
    ((await emu.call('GET', '/_emulator/stats')).json().requestsByEndpoint['entra.openidConfiguration'] as number | undefined) ?? 0;

  const readFileJson = async () => JSON.parse(await readFile(authorityMetadataPath(home), 'utf8')) as { authority: string; fetchedAt: string };

  /** The file is written after the token answer, asynchronously: wait for it (deadline) rather than sleep. */
  const waitForFile = async (check: (f: { authority: string; fetchedAt: string }) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const f = await readFileJson();
        if (check(f)) return f;
      } catch {
        // not written yet
      }
      if (Date.now() > deadline) throw new Error('authority-metadata.json was not written in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const login = async () => {
    const run = await runCli(['login'], { home });
    assert.equal(run.code, 0, run.stdout + run.stderr);
  };

  before(async () => {
    emu = await startTestEmulator();
    ({ home, cleanup } = await appOnlyHome(emu, { sender: `alerts@${DEMO_DOMAIN}` }));
  });
  after(async () => {
    await emu.stop();
    await cleanup();
  });

  it('the first run fetches and stores it; later runs make no discovery request', async () => {
    const before = await discoveryRequests();
    await login();
    const stored = await waitForFile(() => true);
    assert.equal(stored.authority, `${emu.url}/${DEMO_TENANT_ID}`);
    const afterFirst = await discoveryRequests();
    assert.ok(afterFirst - before <= 1, `at most one discovery request on the first run (${afterFirst - before})`);
    for (let i = 0; i < 3; i++) await login();
    assert.equal(await discoveryRequests(), afterFirst, 'runs 2-4 took the metadata from the home');
    const text = await readFile(authorityMetadataPath(home), 'utf8');
    assert.doesNotMatch(text, /access_token|client_secret|eyJ/, 'only public endpoint metadata is stored');
  });

  it('a stale file (older than 24 h) is refreshed: one discovery request, then none', async () => {
    const file = await readFileJson();
    const old = new Date(Date.now() - 25 * 3600_000).toISOString();
    await writeFile(authorityMetadataPath(home), JSON.stringify({ ...file, fetchedAt: old }));
    assert.deepEqual(await loadAuthorityMetadata(home, file.authority), {}, 'stale metadata is not used');
    const before = await discoveryRequests();
    await login();
    assert.equal(await discoveryRequests(), before + 1);
    await waitForFile((f) => f.fetchedAt !== old);
    await login();
    assert.equal(await discoveryRequests(), before + 1);
  });

  it('a changed authority (another tenant name in the settings) fetches it again', async () => {
    const settingsFile = join(home, 'settings.yaml');
    const settings = await readFile(settingsFile, 'utf8');
    assert.match(settings, new RegExp(DEMO_TENANT_ID));
    await writeFile(settingsFile, settings.replace(DEMO_TENANT_ID, DEMO_DOMAIN));
    const before = await discoveryRequests();
    await login();
    assert.equal(await discoveryRequests(), before + 1);
    const stored = await waitForFile((f) => f.authority === `${emu.url}/${DEMO_DOMAIN}`);
    assert.equal(stored.authority, `${emu.url}/${DEMO_DOMAIN}`);
    await login();
    assert.equal(await discoveryRequests(), before + 1);
  });

  it('a damaged file is ignored (one discovery request), never an error', async () => {
    await writeFile(authorityMetadataPath(home), '{ not json');
    const before = await discoveryRequests();
    await login();
    assert.equal(await discoveryRequests(), before + 1);
    await waitForFile(() => true);
  });
});
