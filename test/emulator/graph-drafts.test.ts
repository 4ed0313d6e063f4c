import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueGraphAccessToken } from '../../packages/emulator/src/access-token.js';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

describe('Graph drafts and message headers', () => {
  let emu: TestEmulator;
  let auth: Record<string, string>;
  before(async () => {
    emu = await startTestEmulator();
    const { directory } = emu.context;
    const { token } = await issueGraphAccessToken(emu.context, {
      app: directory.findApp(DEMO_APPS.singleTenant)!,
      tenantId: DEMO_TENANT_ID,
      user: directory.findUser(`alerts@${DEMO_DOMAIN}`)!,
      scopes: ['Mail.Send', 'Mail.ReadWrite'],
    });
    auth = { authorization: `Bearer ${token}` };
  });
  after(async () => {
    await emu.stop();
  });

  it('deletes a draft (204), after which it is gone (404)', async () => {
    const draft = await emu.call('POST', '/v1.0/me/messages', { subject: 'draft', toRecipients: [{ emailAddress: { address: `it-team@${DEMO_DOMAIN}` } }] }, auth);
    assert.equal(draft.status, 201, draft.text);
    const id = draft.json().id;
    assert.equal((await emu.call('DELETE', `/v1.0/me/messages/${id}`, undefined, auth)).status, 204);
    const gone = await emu.call('GET', `/v1.0/me/messages/${id}`, undefined, auth);
    assert.equal(gone.status, 404);
    assert.equal(gone.json().error.code, 'ErrorItemNotFound');
  });

  it('refuses more than 5 custom headers with InvalidInternetMessageHeaderCollection', async () => {
    const headers = Array.from({ length: 6 }, (_, i) => ({ name: `x-h${i}`, value: 'v' }));
    const res = await emu.call('POST', '/v1.0/me/sendMail', {
      message: { subject: 's', body: { contentType: 'text', content: 'b' }, toRecipients: [{ emailAddress: { address: `it-team@${DEMO_DOMAIN}` } }], internetMessageHeaders: headers },
    }, auth);
    assert.equal(res.status, 400);
    assert.equal(res.json().error.code, 'InvalidInternetMessageHeaderCollection');
  });
});
