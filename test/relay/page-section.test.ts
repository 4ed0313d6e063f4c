import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSettings } from '../../src/config/index.js';
import { openStore } from '../../src/store/index.js';
import { addRelayUser } from '../../src/relay/index.js';
import { gatherRelayData, relaySection } from '../../src/server/page/view-relay.js';
import type { PageData } from '../../src/server/page/page-data.js';

describe("settings page: the SMTP relay section", () => {
  it("shows the values to type into ImageManager and the recent messages, escaped", async () => {
    const store = openStore(':memory:');
    try {
      await addRelayUser(store.relay, { name: 'imagemanager', password: 'long-enough-pass' });
      await store.relay.accept({
        id: 'm1', receivedAt: Date.UTC(2026, 11, 3, 10), clientAddress: '127.0.0.1', smtpUser: 'imagemanager', envelopeFrom: 'alerts@contoso.com',
        recipients: ['it@contoso.com'], size: 10, headerFrom: null, messageId: null, subject: '<script>x</script> Verification failed', raw: Buffer.from('x'), spoolFile: null,
      });
      const settings = defaultSettings();
      settings.smtp = { enabled: true, port: 2526, tlsPort: 4650 };
      const relay = await gatherRelayData(store, settings);
      const page = (relaySection({ relay, auth: { account: 'alerts@contoso.com' }, time: (ms: number) => new Date(ms).toISOString() } as unknown as PageData)).html;
      for (const text of ['SMTP server', '127.0.0.1', '2526', '4650', 'STARTTLS', 'imagemanager', 'alerts@contoso.com', 'it@contoso.com', 'queued']) assert.ok(page.includes(text), text);
      assert.ok(!page.includes('<script>x'), 'subjects are escaped');
      assert.ok(page.includes('&lt;script&gt;x&lt;/script&gt; Verification failed'));
      assert.ok(!page.includes('long-enough-pass'));
    } finally {
      store.close();
    }
  });
});
