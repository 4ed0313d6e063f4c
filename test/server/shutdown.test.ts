import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { serviceRecordPath } from '../../src/server/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { serviceHome, startTestService } from './helpers.js';

describe('the one ordered shutdown of serve (issue 12.3)', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.close();
  });

  it('close() stops the worker, closes the store and removes the service record', async () => {
    const h = await serviceHome(emu);
    try {
      const { svc } = await startTestService(h.home);
      assert.equal(existsSync(serviceRecordPath(h.home)), true);
      await svc.close();
      assert.equal(svc.service.running, false);
      assert.equal(svc.store.isOpen, false);
      assert.equal(existsSync(serviceRecordPath(h.home)), false);
    } finally {
      await h.cleanup();
    }
  });

  it('a step that fails does not skip the rest: the store is still closed, and the failure is reported', async () => {
    const h = await serviceHome(emu);
    try {
      const { svc } = await startTestService(h.home);
      const closeHttp = svc.app.close.bind(svc.app);
      svc.app.close = (async () => {
        await closeHttp();
        throw new Error('the HTTP server failed to close');
      }) as unknown as typeof svc.app.close;
      await assert.rejects(svc.close(), /the HTTP server failed to close/);
      assert.equal(svc.service.running, false, 'the worker was stopped after the failed step');
      assert.equal(svc.store.isOpen, false, 'the store was closed after the failed step');
      assert.equal(existsSync(serviceRecordPath(h.home)), false);
    } finally {
      await h.cleanup();
    }
  });
});
