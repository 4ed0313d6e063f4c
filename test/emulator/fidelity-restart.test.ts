import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { runCli, signedInHome } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/**
 * Issue 13.15: a tenant outlives its clients' restarts, so an emulator restarted on the same data
 * dir is the same tenant: same user and app ids, the same secrets, and the sign-ins it issued
 * (refresh tokens) keep working. `reset: true` (`emulator --reset`) makes a new tenant.
 */

const ALERTS = `alerts@${DEMO_DOMAIN}`;
const TEAM = `it-team@${DEMO_DOMAIN}`;

describe('an emulator restart on the same data dir keeps the tenant (issue 13.15)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'o365-emu-restart-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** Starts on `dir` (at `port` when given, so the product's stored emulator URL still answers). */
  async function start(dir: string, options: { port?: number; reset?: boolean } = {}): Promise<TestEmulator> {
    const emu = await startTestEmulator({ dataDir: dir, reset: options.reset, ...(options.port ? { port: options.port } : {}) });
    cleanups.push(() => emu.stop());
    return emu;
  }

  async function inbox(emu: TestEmulator, upn: string): Promise<string[]> {
    const res = await emu.call('GET', `/_emulator/mailboxes/${upn}/messages?folder=inbox`);
    assert.equal(res.status, 200, res.text);
    return (res.json() as { subject: string }[]).map((m) => m.subject);
  }

  it('the product signed in before the restart sends after it without a new sign-in, also through a refresh', async () => {
    const dir = await dataDir();
    const first = await start(dir);
    const port = first.port;
    const { home, cleanup } = await signedInHome(first, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: ALERTS, to: TEAM });
    cleanups.push(cleanup);
    const before = await runCli(['send', '--to', TEAM, '--subject', 'before the restart', '--text', 'x'], { home });
    assert.equal(before.code, 0, before.stdout + before.stderr);
    const usersBefore = (await first.call('GET', '/_emulator/state')).json().users;
    await first.close();

    const second = await start(dir, { port });
    assert.equal(second.restored, true);
    assert.deepEqual(second.seededSecrets, [], 'secret values are shown once, when they are made');
    assert.deepEqual((await second.call('GET', '/_emulator/state')).json().users, usersBefore, 'the same users with the same object ids');

    // The cached access token still names users that exist.
    const cached = await runCli(['send', '--to', TEAM, '--subject', 'after the restart', '--text', 'x'], { home });
    assert.equal(cached.code, 0, cached.stdout + cached.stderr);

    // Graph refuses the cached token once: the product refreshes with the refresh token issued before the restart.
    const fault = await second.call('POST', '/_emulator/faults', {
      endpoint: 'graph.sendMail', kind: 'error', status: 401, code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.', count: 1,
    });
    assert.equal(fault.status, 201, fault.text);
    const refreshes = async () => ((await second.call('GET', '/_emulator/stats')).json().tokenGrantsByType.refresh_token ?? 0) as number;
    const refreshesBefore = await refreshes();
    const refreshed = await runCli(['send', '--to', TEAM, '--subject', 'after a refresh', '--text', 'x'], { home });
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    assert.ok((await refreshes()) > refreshesBefore, 'the send went through a refresh with the pre-restart refresh token');
    assert.deepEqual((await inbox(second, TEAM)).filter((s) => s !== 'before the restart').sort(), ['after a refresh', 'after the restart']);
  });

  it('a seeded client secret keeps working after the restart; the tenant file holds only its hash', async () => {
    const dir = await dataDir();
    const first = await start(dir);
    const secret = first.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!;
    await first.close();
    const second = await start(dir);
    const token = await second.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, new URLSearchParams({
      client_id: DEMO_APPS.appOnly, client_secret: secret.value, grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default',
    }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(token.status, 200, token.text);
    const file = await readFile(second.tenantFile, 'utf8');
    assert.ok(!file.includes(secret.value), 'no secret value in the tenant file');
    assert.equal((await stat(second.tenantFile)).mode & 0o077, 0, 'the tenant file is readable by its owner only');
  });

  it('reset makes a new tenant: new secrets are shown and the old ones stop working', async () => {
    const dir = await dataDir();
    const first = await start(dir);
    const old = first.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly)!;
    await first.close();
    const second = await start(dir, { reset: true });
    assert.equal(second.restored, false);
    assert.ok(second.seededSecrets.length > 0);
    const token = await second.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, new URLSearchParams({
      client_id: DEMO_APPS.appOnly, client_secret: old.value, grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default',
    }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(token.status, 401, token.text);
    assert.match(token.json().error_description, /^AADSTS7000215/);
  });
});
