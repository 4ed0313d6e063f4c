import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { rotateApiToken } from '../../src/server/api-token.js';
import { serviceStorePath } from '../../src/server/paths.js';
import fs from 'node:fs';
import { runCli, testEnv } from '../support/cli.js';
import type { TestEmulator } from '../support/emulator.js';
import { skipReason, startTestPostgres, startWithEmulator, type TestPostgres } from '../support/postgres.js';
import { call, inbox, keepAliveAgent, notifyId, PER_FOLDER_NOTIFICATIONS, reliabilityHome, startServiceProcess, waitFor, type ServiceProcess } from '../reliability/support.js';

const started = await startTestPostgres();

describe('serve on PostgreSQL (issue 16): store.url selects the database; the API, the page and delivery use it', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  let emu: TestEmulator;
  let stop: () => Promise<void>;
  let home: string;
  let cleanupHome: () => Promise<void>;
  let service: ServiceProcess | undefined;

  before(async () => {
    ({ postgres, emu, stop } = await startWithEmulator(started));
    ({ home, cleanup: cleanupHome } = await reliabilityHome(emu, PER_FOLDER_NOTIFICATIONS));
  });
  after(async () => {
    await service?.stop();
    await cleanupHome?.();
    await stop?.();
  });

  it('migrates an empty database, takes events, delivers them through Graph, keeps them in PostgreSQL, never makes the SQLite file', async () => {
    const url = await postgres.createDatabase('serve');
    const { token } = await rotateApiToken(home);
    service = await startServiceProcess(home, { O365_NOTIFY_STORE_URL: url });
    assert.ok(!service.output().includes(postgres.password), 'the password is never logged');
    const agent = keepAliveAgent();
    try {
      assert.equal((await call(agent, service.url, 'GET', '/readyz')).status, 200);
      const folders = ['D:\\Backups\\FS01', 'D:\\Backups\\SQL01'];
      const events = folders.map((folder) => ({ type: 'imagemanager.verification_failed', severity: 'critical', agent: 'SRV-01', folder, summary: `Verification failed in ${folder}` }));
      assert.equal((await call(agent, service.url, 'POST', '/api/v1/events', { token, body: events })).status, 202);
      const mails = await waitFor(async () => {
        const m = await inbox(emu);
        return m.length >= 2 ? m : undefined;
      }, 'two alert e-mails');
      assert.equal(mails.length, 2);

      const pool = new pg.Pool({ connectionString: url });
      try {
        const rows = (await pool.query<{ id: string; status: string }>('SELECT id, status FROM notifications ORDER BY id')).rows;
        assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(mails.map((m) => notifyId(m))), 'the e-mails sent are the outbox rows in PostgreSQL');
        await waitFor(async () => (await pool.query(`SELECT count(*)::int AS n FROM notifications WHERE status = 'sent'`)).rows[0].n === 2 || undefined, 'both rows recorded as sent');
        assert.equal((await pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n, 2);
        // Shared with other instances: the sign-in (the token cache row, seeded from the home) and the mailbox's pacing.
        assert.ok((await pool.query('SELECT count(*)::int AS n FROM token_caches')).rows[0].n >= 1, 'the shared token cache (and sign-in state) rows');
        assert.ok((await pool.query('SELECT count(*)::int AS n FROM mailbox_slots')).rows[0].n >= 4, 'the mailbox slots the sends took');
        assert.ok((await pool.query('SELECT count(*)::int AS n FROM mailbox_rate')).rows[0].n >= 1, 'the mailbox rate row');
      } finally {
        await pool.end();
      }
      assert.ok(!fs.existsSync(serviceStorePath(home)), 'no SQLite store beside the database');

      const deliveries = await call(agent, service.url, 'GET', '/api/v1/deliveries', { token });
      assert.equal(deliveries.status, 200, deliveries.text);
      assert.equal(deliveries.json.items?.length ?? deliveries.json.deliveries?.length, 2, deliveries.text);
      const status = await call(agent, service.url, 'GET', '/api/v1/status', { token });
      assert.equal(status.status, 200, status.text);

      // /metrics: every sample carries this instance's id.
      const metrics = await call(agent, service.url, 'GET', '/metrics', { token });
      assert.equal(metrics.status, 200);
      const instance = /o365_notify_\w+\{instance="([^"]+)"/.exec(metrics.text)?.[1];
      assert.ok(instance, metrics.text.slice(0, 500));
      const samples = metrics.text.split('\n').filter((l) => l && !l.startsWith('#'));
      assert.ok(samples.every((l) => l.includes(`instance="${instance}"`)), 'every sample labelled');

      // `status` on the PostgreSQL home: the queue from the database and the instance alive, no password.
      // (what it holds arrives with the next heartbeat, every 2 s)
      const cli = await waitFor(async () => {
        const r = await runCli(['status'], { home, env: testEnv(home, { O365_NOTIFY_STORE_URL: url }) });
        return r.stdout.includes(service!.url) ? r : undefined;
      }, 'status listing the instance with its address');
      assert.match(cli.stdout, /Instances alive\s+1/, cli.stdout + cli.stderr);
      assert.ok(cli.stdout.includes(instance!), cli.stdout);
      assert.ok(cli.stdout.includes(service.url), 'what it holds: where it listens');
      assert.ok(!(cli.stdout + cli.stderr).includes(postgres.password));

      // The database down: not ready (503, the reason in words), no crash; ready again once it is back.
      await postgres.stopServer();
      const down = await waitFor(async () => {
        const r = await call(agent, service!.url, 'GET', '/readyz');
        return r.status === 503 ? r : undefined;
      }, '/readyz 503 while the database is down');
      assert.match(down.json.reasons.join(' '), /PostgreSQL at 127\.0\.0\.1:\d+/);
      assert.equal((await call(agent, service.url, 'GET', '/healthz')).status, 200, 'alive, not crashed');
      await postgres.startServer();
      await waitFor(async () => (await call(agent, service!.url, 'GET', '/readyz')).status === 200 || undefined, '/readyz 200 after the database is back');
      const after = [{ type: 'imagemanager.verification_failed', severity: 'critical', agent: 'SRV-02', folder: 'D:\\Backups\\WEB01', summary: 'Verification failed after the restart' }];
      assert.equal((await call(agent, service.url, 'POST', '/api/v1/events', { token, body: after })).status, 202);
      await waitFor(async () => (await inbox(emu)).length >= 3 || undefined, 'the e-mail of an event taken after the database restart');
    } finally {
      agent.destroy();
    }
    const stopped = await service.stop();
    service = undefined;
    assert.equal(stopped.code, 0, 'a graceful stop');
  });
});
