import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { GuideStep } from '../../src/diagnose/index.js';
import { secretExpiryThreshold, signInRefusalNotice } from '../../src/notify/health.js';
import { NotificationService } from '../../src/notify/service.js';
import { openStore, sqliteNotifyStore } from '../../src/store/index.js';
import { FakeClock, FakeSender, HOUR, harness, rulesFrom } from './helpers.js';

const DAY = 24 * HOUR;

describe('health notices', () => {
  it('computes the secret expiry thresholds', () => {
    const now = Date.UTC(2025, 5, 1);
    assert.equal(secretExpiryThreshold('2025-08-01', now), null);
    assert.equal(secretExpiryThreshold('2025-07-01', now), '30d');
    assert.equal(secretExpiryThreshold('2025-06-08', now), '7d');
    assert.equal(secretExpiryThreshold('2025-06-02', now), '1d');
    assert.equal(secretExpiryThreshold('2025-06-01', now), 'expired');
    assert.equal(secretExpiryThreshold('not a date', now), null);
  });

  it('warns the administrator once per threshold (30, 7, 1 days, expired), across restarts', async () => {
    const settings = { admin_recipients: ['it@contoso.com'], daily_report: false };
    const h = harness(settings, { clock: new FakeClock(Date.UTC(2025, 5, 1, 9)) });
    try {
      const expires = '2025-07-01';
      assert.equal((await h.service.checkSecretExpiry(expires))!.emailed, true);
      assert.equal((await h.service.checkSecretExpiry(expires))!.emailed, false);
      h.clock.advance(3 * DAY);
      assert.equal((await h.service.checkSecretExpiry(expires))!.emailed, false, 'still within 30 days: already told');
      await h.service.tick(h.clock.now);
      assert.equal(h.sender.sent.length, 1);
      const first = h.sender.sent[0]!;
      assert.deepEqual(first.to, ['it@contoso.com']);
      assert.equal(first.importance, 'high');
      assert.match(first.subject, /^\[Action needed\] The client secret expires in 30 days$/);
      assert.match(first.text, /expires on 2025-07-01, in 30 days/);
      assert.match(first.text, /Certificates & secrets > Client secrets > New client secret/);

      h.store.close();
      const store = openStore(path.join(h.dir, 'store.db'));
      const sender = new FakeSender();
      const service = new NotificationService({ store: sqliteNotifyStore(store), channel: sender, rules: rulesFrom(settings), clock: h.clock.read });
      assert.equal((await service.checkSecretExpiry(expires))!.emailed, false, 'remembered across a restart');
      h.clock.now = Date.UTC(2025, 5, 25);
      assert.equal((await service.checkSecretExpiry(expires))!.emailed, true);
      h.clock.now = Date.UTC(2025, 5, 30, 1);
      assert.equal((await service.checkSecretExpiry(expires))!.emailed, true);
      h.clock.now = Date.UTC(2025, 6, 1, 1);
      assert.equal((await service.checkSecretExpiry(expires))!.emailed, true);
      assert.equal((await service.checkSecretExpiry(expires))!.emailed, false);
      await service.tick(h.clock.now);
      assert.deepEqual(
        sender.sent.map((m) => m.subject),
        [
          '[Action needed] The client secret expires in 7 days',
          '[Action needed] The client secret expires in 1 day',
          '[Action needed] The client secret has expired',
        ],
      );
      assert.deepEqual((await service.status()).healthNotices.map((n) => n.threshold), ['30d', '7d', '1d', 'expired']);
      store.close();
    } finally {
      h.close();
    }
  });

  it('a notice that was resolved and comes back is sent again', async () => {
    const h = harness();
    try {
      const notice = { kind: 'sign-in-renewal' as const, message: 'The refresh token is 80 days old; run `o365-notify login`.' };
      assert.equal((await h.service.recordHealthNotice(notice)).emailed, true);
      assert.equal((await h.service.recordHealthNotice(notice)).emailed, false);
      assert.equal(await h.service.resolveHealthNotice('sign-in-renewal'), 1);
      assert.equal((await h.service.status()).healthNotices.length, 0);
      assert.equal((await h.service.recordHealthNotice(notice)).emailed, true);
      await h.service.tick(h.clock.now);
      assert.equal(h.sender.sent.length, 2);
      assert.match(h.sender.sent[0]!.subject, /sign-in for sending mail needs renewal/);
      assert.match(h.sender.sent[0]!.html, /80 days old/);
    } finally {
      h.close();
    }
  });

  it('a new secret Expires date ends the old date\'s warnings with one "resolved" e-mail (issue 9.12)', async () => {
    const h = harness({ admin_recipients: ['it@contoso.com'], daily_report: false }, { clock: new FakeClock(Date.UTC(2025, 5, 25, 9)) });
    try {
      assert.equal((await h.service.checkSecretExpiry('2025-07-01'))!.emailed, true, '7 days left: warned');
      await h.service.tick(h.clock.now);
      assert.equal(await h.service.checkSecretExpiry('2026-06-01'), null, 'the new secret is far off');
      assert.deepEqual((await h.service.status()).healthNotices, [], 'the old date\'s warning is over');
      assert.equal(await h.service.checkSecretExpiry('2026-06-01'), null);
      await h.service.tick(h.clock.now);
      assert.deepEqual(h.sender.sent.map((m) => m.subject), [
        '[Action needed] The client secret expires in 7 days',
        '[Resolved] The client secret that expires on 2025-07-01 is no longer the one recorded: a new Expires date was entered',
      ]);
      assert.match(h.sender.sent[1]!.text, /Expires date as 2026-06-01/);
    } finally {
      h.close();
    }
  });

  it('a new token ends refusals the token endpoint answered, not a refusal by Graph; a send after the refusal ends that one (issue 9.12)', async () => {
    const h = harness({ admin_recipients: ['it@contoso.com'], daily_report: false });
    try {
      const diagnosis = (code: string, guideStep: GuideStep) => ({ code, title: code, cause: 'c', fix: 'f', guideStep });
      const t0 = h.clock.now;
      await h.service.recordHealthNotice(signInRefusalNotice(diagnosis('AADSTS65001', 'admin-consent'), true)!);
      h.clock.advance(1000);
      await h.service.recordHealthNotice(signInRefusalNotice(diagnosis('AADSTS7000218', 'public-client-flows'), false)!);
      await h.service.recordHealthNotice({ ...signInRefusalNotice(diagnosis('ErrorAccessDenied', 'api-permissions'), true)!, kind: 'app-registration' });
      await h.service.tick(h.clock.now);
      assert.equal(h.sender.sent.length, 3);
      const flows = h.sender.sent.find((m) => /Allow public client flows/.test(m.subject))!;
      assert.equal(flows.subject, '[Action needed] The app registration refuses the sign-in: Allow public client flows');
      assert.match(flows.text, /Authentication > Advanced settings/);
      assert.doesNotMatch(flows.text, /run `o365-notify login`/);

      assert.equal(await h.service.tokenWorks(t0), 1, 'a token from before the later refusals ends only the first');
      assert.equal(await h.service.tokenWorks(h.clock.now), 1, 'the Graph refusal (ErrorAccessDenied) waits for a send');
      assert.deepEqual((await h.service.status()).healthNotices.map((n) => n.subject), ['ErrorAccessDenied']);
      assert.equal(await h.service.tokenWorks(h.clock.now), 0, 'nothing twice');
      await h.service.tick(h.clock.now);
      const resolved = h.sender.sent.filter((m) => m.subject.startsWith('[Resolved]'));
      assert.deepEqual(resolved.map((m) => m.subject).sort(), ['[Resolved] Consent for Mail.Send is in place again', '[Resolved] The app registration\'s Allow public client flows no longer refuses the sign-in (AADSTS7000218 is gone)']);
    } finally {
      h.close();
    }
  });
});
