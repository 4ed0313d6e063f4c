import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rotateApiToken } from '../../src/server/index.js';
import { tempHome } from '../support/cli.js';
import { configureHome, request, startTestService } from './helpers.js';

describe('backpressure and readiness', () => {
  it('429 with Retry-After once the store holds its limit of undelivered events, before the body is read; /readyz follows the worker', async () => {
    const { home, cleanup } = await tempHome();
    try {
      // Not signed in, and a long group wait: nothing leaves, so events stay undelivered.
      await configureHome(home, { recipients: ['ops@contoso.com'], group_wait: '1h', daily_report: false });
      const { token } = await rotateApiToken(home);
      const { svc } = await startTestService(home, { intake: { maxUndeliveredEvents: 3 } });
      try {
        const post = (body: unknown) => request(svc.url, 'POST', '/api/v1/events', { token, body });
        const ok = await post([1, 2, 3].map((i) => ({ type: 'custom.disk_check', agent: `SRV-${i}`, summary: 'Disk almost full' })));
        assert.equal(ok.status, 202);

        const full = await post({ type: 'custom.disk_check', agent: 'SRV-4', summary: 'Disk almost full' });
        assert.equal(full.status, 429);
        assert.equal(full.json.error, 'store-saturated');
        assert.match(full.headers.get('retry-after') ?? '', /^\d+$/);
        assert.match(full.json.message, /o365-notify status/);

        // Refused up front: a big upload is not even read (no 413, no 400), it is told to come back later.
        const big = await request(svc.url, 'POST', '/api/v1/events', { token, body: 'x'.repeat(2_000_000), headers: { 'content-type': 'application/json' } });
        assert.equal(big.status, 429);
        const alerts = await request(svc.url, 'POST', '/api/v1/alerts', { token, body: { version: '4', alerts: [] } });
        assert.equal(alerts.status, 429);
        assert.equal(svc.store.undeliveredEvents(), 3);

        // Without the token it is still a 401 first: nothing about the store leaks.
        assert.equal((await request(svc.url, 'POST', '/api/v1/events', { body: {} })).status, 401);

        assert.equal((await request(svc.url, 'GET', '/readyz')).status, 200);
        await svc.service.stop();
        const notReady = await request(svc.url, 'GET', '/readyz');
        assert.equal(notReady.status, 503);
        assert.deepEqual(notReady.json, { ready: false, reasons: ['the delivery worker is not running'] });
        assert.equal((await request(svc.url, 'GET', '/healthz')).status, 200, 'the process is still up');
      } finally {
        await svc.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('an unconfigured home: events are kept, status says sign-in is needed', async () => {
    const { home, cleanup } = await tempHome();
    try {
      await configureHome(home, { recipients: ['ops@contoso.com'], group_wait: '200ms', daily_report: false });
      const { token } = await rotateApiToken(home);
      const { svc } = await startTestService(home);
      try {
        const r = await request(svc.url, 'POST', '/api/v1/events', { token, body: { type: 'custom.x', agent: 'A', summary: 'x' } });
        assert.equal(r.status, 202);
        const deadline = Date.now() + 10_000;
        let status;
        do {
          await new Promise((res) => setTimeout(res, 100));
          status = await request(svc.url, 'GET', '/api/v1/status', { token });
        } while (status.json.service.queue.outbox.waitingSignIn === 0 && Date.now() < deadline);
        // The alert e-mail and the administrator's warning both wait for a sign-in; neither is dropped.
        assert.equal(status.json.service.queue.outbox.waitingSignIn, 2);
        assert.deepEqual(status.json.service.healthNotices.map((n: any) => n.kind), ['sign-in-renewal']);
        assert.equal(status.json.service.waitingForSignIn, true);
        assert.equal(status.json.signIn.signInRequired, true);
        assert.equal(status.json.service.lastError.diagnosis.guideStep, 'sign-in-again');
        assert.match(status.json.service.lastError.at, /^\d{4}-\d\d-\d\dT/);

        // The settings page saves, then asks the service to re-read: the new rules apply at once.
        await configureHome(home, { recipients: ['night-shift@contoso.com'], group_wait: '200ms', daily_report: false });
        assert.deepEqual(svc.service.rules.recipients, ['ops@contoso.com']);
        await svc.reloadSettings();
        assert.deepEqual(svc.service.rules.recipients, ['night-shift@contoso.com']);
      } finally {
        await svc.close();
      }
    } finally {
      await cleanup();
    }
  });
});
