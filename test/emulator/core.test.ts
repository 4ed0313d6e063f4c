import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpsCall, startTestEmulator, type TestEmulator } from '../support/emulator.js';

describe('emulator core', () => {
  let emu: TestEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
  });

  it('serves HTTPS with a certificate from its own CA, and refuses clients that do not trust it', async () => {
    const ok = await emu.call('GET', '/_emulator/state');
    assert.equal(ok.status, 200);
    await assert.rejects(httpsCall(emu.url + '/_emulator/state', {}), /self-signed|unable to verify|certificate/i);
  });

  it('seeds the demo tenant with one app per supported account type and never exposes secret values', async () => {
    const state = (await emu.call('GET', '/_emulator/state')).json();
    const audiences = state.apps.map((a: { signInAudience: string }) => a.signInAudience).sort();
    assert.deepEqual([...new Set(audiences)].sort(), ['AzureADMultipleOrgs', 'AzureADMyOrg', 'AzureADandPersonalMicrosoftAccount']);
    const text = JSON.stringify(state);
    assert.ok(emu.seededSecrets.length >= 3);
    for (const s of emu.seededSecrets) assert.ok(!text.includes(s.value), 'secret value leaked in /_emulator/state');
    assert.ok(!text.includes('valueSha256'));
  });

  it('answers whatever host name it is reached by, with a certificate valid for Microsoft\'s names', async () => {
    // What a hosts-file entry mapping login.microsoftonline.com to the emulator looks like on the wire.
    for (const name of ['login.microsoftonline.com', 'graph.microsoft.com', 'localhost']) {
      const res = await httpsCall(`https://127.0.0.1:${emu.port}/_emulator/stats`, {
        ca: emu.caPem,
        servername: name,
        headers: { host: `${name}:${emu.port}` },
      });
      assert.equal(res.status, 200, name);
    }
    await assert.rejects(
      httpsCall(`https://127.0.0.1:${emu.port}/_emulator/stats`, { ca: emu.caPem, servername: 'example.org' }),
      /altnames|does not match/i,
    );
  });

  it('injects counted faults into the endpoint family and counts them', async () => {
    const add = await emu.call('POST', '/_emulator/faults', { endpoint: 'control.stats', kind: 'throttle', count: 2, retryAfterSeconds: 7 });
    assert.equal(add.status, 201);
    const first = await emu.call('GET', '/_emulator/stats');
    assert.equal(first.status, 429);
    assert.equal(first.headers['retry-after'], '7');
    assert.equal((await emu.call('GET', '/_emulator/stats')).status, 429);
    const third = await emu.call('GET', '/_emulator/stats');
    assert.equal(third.status, 200);
    assert.equal(third.json().throttled429, 2);
  });

  it('rejects a malformed fault with the list of problems', async () => {
    const res = await emu.call('POST', '/_emulator/faults', { endpoint: '', kind: 'explode' });
    assert.equal(res.status, 400);
    assert.ok(res.json().problems.length >= 2);
  });

  it('moves its clock forward on request', async () => {
    const before_ = Date.now();
    const res = await emu.call('POST', '/_emulator/clock', { advanceSeconds: 86_400 });
    assert.equal(res.status, 200);
    assert.ok(Date.parse(res.json().now) >= before_ + 86_400_000 - 1000);
    await emu.call('POST', '/_emulator/clock', { reset: true });
  });
});
