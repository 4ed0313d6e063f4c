import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rotateApiToken } from '../../src/server/api-token.js';
import type { TestEmulator } from '../support/emulator.js';
import { skipReason, startTestPostgres, startWithEmulator, type TestPostgres } from '../support/postgres.js';
import { call, inbox, keepAliveAgent, PER_FOLDER_NOTIFICATIONS, reliabilityHome, startServiceProcess, waitFor, type ServiceProcess } from '../reliability/support.js';

const started = await startTestPostgres();

describe('serve on PostgreSQL (issue 16.7): the database restarted while a client posts', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  let emu: TestEmulator;
  let stop: () => Promise<void>;
  let home: string;
  let cleanupHome: () => Promise<void>;
  let service: ServiceProcess | undefined;
  // What the first test leaves for the second: the events acknowledged with 202.
  const acknowledged: string[] = [];

  before(async () => {
    ({ postgres, emu, stop } = await startWithEmulator(started));
    ({ home, cleanup: cleanupHome } = await reliabilityHome(emu, PER_FOLDER_NOTIFICATIONS));
  });
  after(async () => {
    await service?.stop();
    await cleanupHome?.();
    await stop?.();
  });

  it('keeps running through three restarts while 4 clients post: /readyz 503 then 200, no exit', { timeout: 40_000 }, async () => {
    const url = await postgres.createDatabase('restart_load');
    const { token } = await rotateApiToken(home);
    const svc = await startServiceProcess(home, { O365_NOTIFY_STORE_URL: url });
    service = svc;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void svc.exited.then((e) => (exit = e));
    const agent = keepAliveAgent();
    // A dropped or refused /readyz (the process gone) counts as no answer yet: `exit` tells the two apart.
    const readyz = async () => (await call(agent, svc.url, 'GET', '/readyz').catch(() => undefined))?.status;
    let posting = true;
    let n = 0;
    // 4 clients posting in a loop through the whole restart (connections checked out at the stop):
    // each event its own folder, so each is one e-mail; at most MAX acknowledged, as the emulator
    // keeps 500 messages per folder.
    const MAX = 450;
    const post = async () => {
      while (posting && !exit && acknowledged.length < MAX) {
        const folder = `D:\\Backups\\R${n++}`;
        const body = [{ type: 'imagemanager.verification_failed', severity: 'critical', agent: 'SRV-01', folder, summary: `Verification failed in ${folder}` }];
        let taken = false;
        try {
          const r = await call(agent, svc.url, 'POST', '/api/v1/events', { token, body });
          taken = r.status === 202;
        } catch {
          // a refused or dropped connection: not acknowledged
        }
        if (taken) acknowledged.push(folder);
        // A pace (not a wait for a condition): posts in flight at each stop, under MAX over three restarts.
        await new Promise((r) => setTimeout(r, taken ? 15 : 50));
      }
    };
    const poster = Promise.all([post(), post(), post(), post()]);
    try {
      // Three restarts: each stop cuts the connections of the units then under way.
      for (let restart = 1; restart <= 3; restart++) {
        const before = acknowledged.length;
        await waitFor(() => acknowledged.length >= Math.min(before + 5, MAX) || exit || undefined, `events acknowledged before restart ${restart}`);
        await postgres.stopServer();
        await waitFor(async () => exit ? 'exited' : (await readyz()) === 503 || undefined, '/readyz 503 while the database is down');
        assert.equal(exit, undefined, `the process exited while the database was down (restart ${restart}): ${JSON.stringify(exit)}\n${svc.output().slice(-3000)}`);
        await postgres.startServer();
        await waitFor(async () => exit ? 'exited' : (await readyz()) === 200 || undefined, '/readyz 200 after the database is back');
        assert.equal(exit, undefined, `the process exited after restart ${restart}: ${JSON.stringify(exit)}\n${svc.output().slice(-3000)}`);
      }
      const last = acknowledged.length;
      await waitFor(() => acknowledged.length >= Math.min(last + 5, MAX) || exit || undefined, 'events acknowledged after the restarts');
      posting = false;
      await poster;
      assert.equal(exit, undefined, `the process exited: ${JSON.stringify(exit)}\n${svc.output().slice(-3000)}`);
    } finally {
      posting = false;
      await poster;
      agent.destroy();
    }
  });

  // Open (docs/postgres.md): a few events acknowledged around a restart are not sent (6 of ~450 here).
  it('delivers every event acknowledged with 202 through the restarts', { timeout: 20_000, todo: 'issue 16.7: a few events acknowledged around a restart are not sent yet (docs/postgres.md)' }, async () => {
    assert.ok(service && acknowledged.length > 0, 'the first test ran');
    const svc = service;
    const summaries = (m: any[]) => new Set(m.map((x) => String(x.subject ?? '') + String(x.body?.content ?? '')));
    await waitFor(async () => {
      const text = [...summaries(await inbox(emu))].join('\n');
      return acknowledged.every((f) => text.includes(`${f} on SRV-01`)) || undefined;
    }, 'every acknowledged event in a sent e-mail', 15_000).catch(async (err) => {
      const text = [...summaries(await inbox(emu))].join('\n');
      const missing = acknowledged.filter((f) => !text.includes(`${f} on SRV-01`));
      throw new Error(`${(err as Error).message}: ${missing.length} of ${acknowledged.length} missing (${missing.slice(0, 5).join(', ')})\n${svc.output().slice(-3000)}`);
    });
    const stopped = await svc.stop();
    service = undefined;
    assert.equal(stopped.code, 0, 'a graceful stop');
  });
});
