import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { rotateApiToken } from '../../src/server/api-token.js';
import { serviceStorePath } from '../../src/server/paths.js';
import fs from 'node:fs';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { skipReason, startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { call, inbox, keepAliveAgent, notifyId, PER_FOLDER_NOTIFICATIONS, reliabilityHome, startServiceProcess, waitFor, type ServiceProcess } from '../reliability/support.js';

const started = await startTestPostgres();

describe('serve on PostgreSQL (issue 16): store.url selects the database; the API, the page and delivery use it', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  let emu: TestEmulator;
  let home: string;
  let cleanupHome: () => Promise<void>;
  let service: ServiceProcess | undefined;

  before(async () => {
    assert.ok(started.ok);
    postgres = started.postgres;
    emu = await startTestEmulator();
    ({ home, cleanup: cleanupHome } = await reliabilityHome(emu, PER_FOLDER_NOTIFICATIONS));
  });
  after(async () => {
    await service?.stop();
    await cleanupHome?.();
    await emu?.stop();
    await postgres?.stop();
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
      } finally {
        await pool.end();
      }
      assert.ok(!fs.existsSync(serviceStorePath(home)), 'no SQLite store beside the database');

      const deliveries = await call(agent, service.url, 'GET', '/api/v1/deliveries', { token });
      assert.equal(deliveries.status, 200, deliveries.text);
      assert.equal(deliveries.json.items?.length ?? deliveries.json.deliveries?.length, 2, deliveries.text);
      const status = await call(agent, service.url, 'GET', '/api/v1/status', { token });
      assert.equal(status.status, 200, status.text);
    } finally {
      agent.destroy();
    }
    const stopped = await service.stop();
    service = undefined;
    assert.equal(stopped.code, 0, 'a graceful stop');
  });
});
