/**
 * The page speaks its own labels (issue 10.3): the checks are `config check`'s, but a message on
 * the page never names a settings.yaml key (`account.tenantId`, `notifications.recipients`), a
 * command to run instead (`o365-notify setup`), or shows backticks. One bad recipient gets one
 * message, the same wherever the list is checked, and it is true about the other addresses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSettings, type Settings } from '../../src/config/index.js';
import { parseNotificationRules, settingsProblems } from '../../src/notify/index.js';
import { applyNotificationsForm } from '../../src/server/page/notifications-form.js';
import { pageProblems } from '../../src/server/page/page-words.js';

const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TENANT_ID = '99999999-8888-7777-6666-555555555555';

function settings(change: (s: Settings) => void): Settings {
  const s = defaultSettings();
  change(s);
  return s;
}

/** What the page must not say to a person. */
const TECHNICAL = /\b(account|mail|notifications)\.[A-Za-z_]+|`|o365-notify setup|settings\.yaml/;

describe("settings problems in the page's words", () => {
  const cases: [string, Settings][] = [
    ['nothing set', settings(() => {})],
    ['tenant given for multitenant + personal', settings((s) => Object.assign(s.account, { type: 'multi-tenant-personal', clientId: CLIENT_ID, tenantId: TENANT_ID }))],
    ['a domain as client ID, tenant missing', settings((s) => Object.assign(s.account, { type: 'single-tenant', clientId: 'contoso.onmicrosoft.com' }))],
    ['tenant = client ID', settings((s) => Object.assign(s.account, { type: 'single-tenant', clientId: CLIENT_ID, tenantId: CLIENT_ID }))],
    ['app-only without sender or secret', settings((s) => Object.assign(s.account, { type: 'multi-tenant', clientId: CLIENT_ID, auth: 'app-only' }))],
    ['personal accounts only', settings((s) => Object.assign(s.account, { type: 'personal', clientId: CLIENT_ID }))],
    ['a bad recipient', settings((s) => (s.mail.to = ['it@contoso.com', 'it-team']))],
    ['no recipients', settings((s) => (s.mail.to = []))],
  ];
  for (const [name, s] of cases) {
    it(`${name}: no setting key, command or backtick`, () => {
      const problems = settingsProblems(s, { clientSecret: undefined });
      assert.ok(problems.length > 0, 'the case has problems');
      const shown = pageProblems(problems);
      assert.deepEqual(
        shown.map((p) => [p.field, p.severity]),
        problems.map((p) => [p.field, p.severity]),
        'the same checks, fields and severities',
      );
      for (const p of shown) assert.doesNotMatch(p.message, TECHNICAL, p.message);
    });
  }

  it('uses the labels of the fields', () => {
    const [tenant] = pageProblems(settingsProblems(cases[1]![1]).filter((p) => p.field === 'account.tenantId'));
    assert.match(tenant!.message, /^Tenant ID must be blank for "Accounts in any organizational directory .*Leave Tenant ID blank/);
    const [type] = pageProblems(settingsProblems(cases[5]![1]).filter((p) => p.field === 'account.type'));
    assert.match(type!.message, /Supported account types to "Accounts in any organizational directory/);
    assert.doesNotMatch(type!.message, /multi-tenant-personal/);
  });
});

describe('one bad recipient, one message', () => {
  const base = defaultSettings();

  it('saved as mail.to or notifications.recipients, the page says the same words', () => {
    const inMailTo = applyNotificationsForm(base, { recipients: 'it@contoso.com, it-team', dailyReportEnabled: 'on' }).problems;
    const withSection = structuredClone(base);
    withSection.otherSections.notifications = { recipients: ['ops@contoso.com'] };
    const inSection = applyNotificationsForm(withSection, { recipients: 'it@contoso.com, it-team', dailyReportEnabled: 'on' }).problems;
    const about = (problems: typeof inMailTo) => pageProblems(problems).filter((p) => p.message.includes('it-team'));
    assert.equal(about(inMailTo).length, 1, JSON.stringify(inMailTo));
    assert.equal(about(inSection).length, 1, JSON.stringify(inSection));
    assert.equal(about(inMailTo)[0]!.message, about(inSection)[0]!.message);
    assert.match(about(inMailTo)[0]!.message, /^Recipients: "it-team" is not an e-mail address \(it needs the form name@domain\): it gets nothing; the other addresses still do\.$/);
  });

  it('is true about the others: with no valid address left it does not say "the other addresses still do"', () => {
    const alone = pageProblems(applyNotificationsForm(base, { recipients: 'it-team', dailyReportEnabled: 'on' }).problems).filter((p) => p.message.includes('it-team'));
    assert.equal(alone.length, 1);
    assert.doesNotMatch(alone[0]!.message, /other addresses still do/);
    assert.match(alone[0]!.message, /nobody is e-mailed/);
    const all = pageProblems(applyNotificationsForm(base, { recipients: 'it-team', dailyReportEnabled: 'on' }).problems);
    assert.equal(all.filter((p) => /nobody is e-mailed/.test(p.message)).length, 1, `said once: ${JSON.stringify(all)}`);
  });

  it('administrator and daily-report lists with no usable address fall back to the recipients, and say so', () => {
    const s = structuredClone(base);
    s.mail.to = ['ops@contoso.com'];
    s.otherSections.notifications = { admin_recipients: ['boss'], daily_report: { recipients: ['reports'] } };
    const result = parseNotificationRules(s.otherSections.notifications, { defaultRecipients: s.mail.to });
    assert.deepEqual(result.rules.adminRecipients, ['ops@contoso.com']);
    assert.deepEqual(result.rules.dailyReport.recipients, ['ops@contoso.com'], 'the report is not sent to nobody');
    const text = pageProblems(result.problems).map((p) => p.message);
    assert.ok(text.some((m) => /"boss" .*the recipients get these warnings instead\.$/.test(m)), text.join('\n'));
    assert.ok(text.some((m) => /"reports" .*the recipients get the report instead\.$/.test(m)), text.join('\n'));
    assert.ok(!text.some((m) => /nobody/.test(m)), text.join('\n'));
  });

  it('a list whose addresses are all bad, with default recipients behind it, says the defaults are used', () => {
    const s = structuredClone(base);
    s.mail.to = ['ops@contoso.com'];
    s.otherSections.notifications = { recipients: ['it-team'] };
    const problems = pageProblems(settingsProblems(s));
    const about = problems.filter((p) => p.message.includes('it-team'));
    assert.equal(about.length, 1, JSON.stringify(problems));
    assert.match(about[0]!.message, /it gets nothing; the default recipients get the e-mails instead\.$/);
    assert.ok(!problems.some((p) => /nobody is e-mailed/.test(p.message)), JSON.stringify(problems));
  });
});
