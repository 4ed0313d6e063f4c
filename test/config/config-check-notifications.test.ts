import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultSettings } from '../../src/config/index.js';
import { parseNotificationRules, routeFor, settingsProblems } from '../../src/notify/index.js';
import { rulesFromSettings } from '../../src/server/index.js';
import { cleanText, emailAddressProblem, hasControlCharacters, isEmailAddress } from '../../src/shared/index.js';
import { runCli, tempHome } from '../support/cli.js';

// Issue 9.9: the settings of the report, as an administrator would write them.
const SETTINGS = `account:
  type: single-tenant
  clientId: 6731de76-14a6-49ae-97bc-6eba6914391e
  tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
  auth: device-code
mail:
  to: [it-team@contoso.com, "ops@contoso.com."]
notifications:
  group_wait: banana
  rules:
    - name: london
      match: { agnet: "LON-*" }
      recipients: [london-it@contoso.com]
`;

describe('config check runs every check the service runs (issue 9.9)', () => {
  it('reports the bad address, the bad duration and the unknown match key, and exits 1', async () => {
    const { home, cleanup } = await tempHome();
    try {
      await writeFile(join(home, 'settings.yaml'), SETTINGS, { mode: 0o600 });
      const r = await runCli(['config', 'check'], { home });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /mail\.to: "ops@contoso\.com\." is not an e-mail address .*the other addresses still do/);
      assert.match(r.stdout, /notifications\.group_wait: must be a duration such as 30s/);
      assert.match(r.stdout, /notifications\.rules\[0\]\.match\.agnet: is not a label to match on .*Did you mean agent\?/);
      assert.doesNotMatch(r.stdout, /no problems/);
      const json = JSON.parse((await runCli(['config', 'check', '--json'], { home })).stdout);
      assert.equal(json.ok, false);
      assert.ok(json.errors >= 3);
    } finally {
      await cleanup();
    }
  });

  it('the service drops only the bad address, and the rule with the typo never catches every alert', () => {
    const settings = defaultSettings();
    settings.mail.to = ['it-team@contoso.com', 'ops@contoso.com.'];
    settings.otherSections.notifications = { rules: [{ name: 'london', match: { agnet: 'LON-*' }, recipients: ['london-it@contoso.com'] }] };
    const rules = rulesFromSettings(settings);
    assert.deepEqual(rules.recipients, ['it-team@contoso.com']);
    const route = routeFor(rules, { type: 'imagemanager.verification_failed', agent: 'NYC-01', folder: 'x', severity: 'critical' });
    assert.equal(route.name, 'default', 'an alert from New York is not sent to the London team');
    assert.deepEqual(route.recipients, ['it-team@contoso.com']);
  });

  it('one bad address in a rule drops only itself; the rule still routes to the others', () => {
    const { rules, problems } = parseNotificationRules({
      rules: [{ match: { agent: 'LON-*' }, recipients: ['london-it@contoso.com', 'bad@@contoso.com'] }],
    });
    assert.deepEqual(rules.routes[0]!.recipients, ['london-it@contoso.com']);
    assert.equal(problems.filter((p) => p.severity === 'error').length, 1);
  });

  it('a silence with an unknown match key is refused instead of silencing more than meant', () => {
    const { rules, problems } = parseNotificationRules({ silences: [{ match: { agent: 'SRV-1', sevrity: 'info' }, ends_at: '2099-01-01T00:00:00Z' }] });
    assert.equal(rules.silences.length, 0);
    assert.ok(problems.some((p) => p.severity === 'error' && p.field.endsWith('match.sevrity')));
  });

  it('the page\'s save and setup use the same function: settingsProblems includes notifications:', () => {
    const settings = defaultSettings();
    settings.otherSections.notifications = { group_wait: 'banana' };
    assert.ok(settingsProblems(settings).some((p) => p.field === 'notifications.group_wait' && p.severity === 'error'));
  });
});

describe('one e-mail validator and one control-character rule (issue 9.9)', () => {
  it('the validator refuses what Graph refuses, everywhere', () => {
    for (const bad of ['ops@contoso.com.', 'a b@contoso.com', 'a@contoso', 'a@@contoso.com', 'a@contoso.com\r\nBcc: x@y.com', 'a@-x.com']) {
      assert.ok(emailAddressProblem(bad), bad);
      assert.equal(isEmailAddress(bad), false, bad);
    }
    for (const good of ['it-team@contoso.com', "o'brien@contoso.co.uk", 'first.last+alerts@sub.contoso.onmicrosoft.com']) assert.ok(isEmailAddress(good), good);
  });

  it('control characters: none on one line; tab and line breaks in text; direction overrides removed from both', () => {
    assert.equal(hasControlCharacters('a\tb'), true);
    assert.equal(hasControlCharacters('a\tb\r\nc', 'text'), false);
    assert.equal(hasControlCharacters('a\u0085b', 'text'), true);
    assert.equal(cleanText('invoice\u202Efdp.exe', 'text'), 'invoicefdp.exe');
    assert.equal(cleanText('a\r\nb\u2028c', 'text'), 'a\nb\nc');
    assert.equal(cleanText('a\r\nb'), 'a b');
  });
});

describe('home directory mode (issue 9, small ones)', () => {
  it('config check warns about a home that other users can open', async () => {
    const { home, cleanup } = await tempHome();
    try {
      await writeFile(join(home, 'settings.yaml'), SETTINGS.replace(/notifications:[\s\S]*/, '').replace(', "ops@contoso.com."', ''));
      await chmod(home, 0o755);
      const r = await runCli(['config', 'check'], { home });
      assert.match(r.stdout, /home directory .* has mode 0755: other users can open it\. Run `chmod 700/);
    } finally {
      await cleanup();
    }
  });
});
