import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DEMO_APPS, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { readSettingsFile, saveSettings } from '../../src/config/index.js';
import { rotateApiToken } from '../../src/server/api-token.js';
import { runCli, setUpHome, startCli, testEnv } from '../support/cli.js';
import type { TestEmulator } from '../support/emulator.js';
import { approveDeviceCode } from '../support/msal.js';
import { skipReason, startTestPostgres, startWithEmulator, type TestPostgres } from '../support/postgres.js';
import { call, inbox, keepAliveAgent, PER_FOLDER_NOTIFICATIONS, SENDER, startServiceProcess, TEAM, waitFor, type ServiceProcess } from '../reliability/support.js';

/**
 * Issue 16.6: two real `serve` processes on one PostgreSQL database (two homes, one key). `login`
 * through the CLI on A's home signs B in too; `logout` on A makes B's next e-mail wait for a
 * sign-in, and A's next `login` sends it (B's sign-in watch polls the shared state).
 */

const started = await startTestPostgres();

describe('serve on PostgreSQL: the CLI signs every instance in and out (issue 16.6)', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  let emu: TestEmulator;
  let stop: () => Promise<void>;
  const cleanups: (() => Promise<void>)[] = [];
  const services: ServiceProcess[] = [];
  const key = randomBytes(32).toString('base64');

  before(async () => {
    ({ postgres, emu, stop } = await startWithEmulator(started, { fastDeviceCodes: true }));
  });
  after(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await stop?.();
    await Promise.all(cleanups.map((c) => c()));
  });

  /** A home set up (not signed in) with the e-mails of PER_FOLDER_NOTIFICATIONS. */
  async function home(): Promise<string> {
    const h = await setUpHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, to: TEAM });
    cleanups.push(h.cleanup);
    const { settings } = await readSettingsFile(h.home, testEnv(h.home));
    settings.otherSections.notifications = PER_FOLDER_NOTIFICATIONS;
    await saveSettings(h.home, settings, testEnv(h.home));
    return h.home;
  }

  async function login(home: string, env: NodeJS.ProcessEnv): Promise<void> {
    const cli = startCli(['login', '--device-code'], { home, env });
    const [, code] = await cli.waitFor(/enter the code (\S+) to authenticate/);
    assert.equal((await approveDeviceCode(emu, code!, SENDER)).status, 200);
    const done = await cli.done;
    assert.equal(done.code, 0, done.stdout + done.stderr);
  }

  it('login on A: B delivers without signing in; logout on A: B waits; login on A again: B sends what waited', async () => {
    const url = await postgres.createDatabase('o365_serve_sign_in');
    const envOf = (h: string) => testEnv(h, { O365_NOTIFY_KEY: key, O365_NOTIFY_STORE_URL: url });
    const homeA = await home();
    const homeB = await home();
    // The first start migrates under the advisory lock; the second finds it done.
    services.push(await startServiceProcess(homeA, { O365_NOTIFY_KEY: key, O365_NOTIFY_STORE_URL: url }));
    const b = await startServiceProcess(homeB, { O365_NOTIFY_KEY: key, O365_NOTIFY_STORE_URL: url });
    services.push(b);
    const { token } = await rotateApiToken(homeB);
    const agent = keepAliveAgent();
    const db = new pg.Pool({ connectionString: url, max: 1 });
    const event = (folder: string) => [{ type: 'imagemanager.verification_failed', severity: 'critical', agent: 'SRV-01', folder, summary: `Verification failed in ${folder}` }];
    const mailsFor = async (folder: string) => (await inbox(emu)).filter((m) => JSON.stringify(m).includes(folder));
    const statusOf = async (folder: string) => (await db.query<{ status: string }>(`SELECT status FROM notifications WHERE text LIKE '%' || $1 || '%'`, [folder])).rows.map((r) => r.status);
    try {
      await login(homeA, envOf(homeA));
      const statusB = await runCli(['--json', 'status'], { home: homeB, env: envOf(homeB) });
      assert.equal(JSON.parse(statusB.stdout).signedIn, true, `B's home reports A's sign-in: ${statusB.stdout}${statusB.stderr}`);

      assert.equal((await call(agent, b.url, 'POST', '/api/v1/events', { token, body: event('D:\\Backups\\FS01') })).status, 202);
      await waitFor(async () => ((await mailsFor('FS01')).length === 1 ? true : undefined), 'B delivered with A’s sign-in', 20_000);

      const logout = await runCli(['logout'], { home: homeA, env: envOf(homeA) });
      assert.equal(logout.code, 0, logout.stdout + logout.stderr);
      assert.equal((await call(agent, b.url, 'POST', '/api/v1/events', { token, body: event('D:\\Backups\\SQL01') })).status, 202);
      await waitFor(async () => ((await statusOf('SQL01')).includes('waiting-sign-in') ? true : undefined), 'B’s e-mail waits for a sign-in', 20_000);
      assert.equal((await mailsFor('SQL01')).length, 0, 'nothing sent with the signed-out account');

      // B's watch reads the shared state (every 5 s): A's sign-in sends what waited, B does nothing.
      await login(homeA, envOf(homeA));
      await waitFor(async () => ((await mailsFor('SQL01')).length === 1 ? true : undefined), 'B sent what waited once A signed in again', 20_000);
      assert.ok(!b.output().includes(key), 'the key is never logged');
    } finally {
      agent.destroy();
      await db.end();
    }
  });
});
