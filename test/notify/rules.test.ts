import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { NOTIFICATIONS_EXAMPLE, eventRuleFor, parseNotificationRules, routeFor } from '../../src/notify/rules.js';
import { parseDuration } from '../../src/notify/duration.js';

const NOW = Date.UTC(2025, 5, 1);

function problemsOf(section: unknown, defaultRecipients: string[] = ['admin@contoso.com']) {
  return parseNotificationRules(section, { defaultRecipients, now: NOW }).problems;
}

describe('notification rules', () => {
  it('has defaults that suit ImageManager admins', () => {
    const { rules, problems } = parseNotificationRules(undefined, { defaultRecipients: ['admin@contoso.com'], now: NOW });
    assert.deepEqual(problems, []);
    assert.deepEqual(rules.recipients, ['admin@contoso.com']);
    assert.deepEqual(rules.adminRecipients, ['admin@contoso.com']);
    assert.deepEqual(rules.defaultRoute.groupBy, ['agent']);
    assert.equal(rules.defaultRoute.groupWaitMs, 30_000);
    assert.equal(rules.defaultRoute.groupIntervalMs, 5 * 60_000);
    assert.equal(rules.defaultRoute.repeatIntervalMs, 4 * 60 * 60_000);
    assert.equal(rules.dailyReport.enabled, true);
    assert.equal(rules.dailyReport.time, '08:00');
    assert.deepEqual(eventRuleFor(rules, 'imagemanager.inactive_folder'), { enabled: true, minSeverity: 'info' });
  });

  it('parses the documented example (YAML, as settings.yaml holds it) without problems', () => {
    const section = (parseYaml(NOTIFICATIONS_EXAMPLE) as { notifications: unknown }).notifications;
    const { rules, problems } = parseNotificationRules(section, { now: NOW });
    assert.deepEqual(problems, []);
    assert.deepEqual(rules.recipients, ['backup-admins@contoso.com']);
    assert.deepEqual(rules.adminRecipients, ['it@contoso.com']);
    assert.equal(eventRuleFor(rules, 'imagemanager.images_in_store_root').enabled, false);
    assert.equal(eventRuleFor(rules, 'imagemanager.inactive_folder').minSeverity, 'warning');
    assert.equal(rules.dailyReport.timeZone, 'Europe/London');
    assert.equal(rules.silences.length, 1);
    assert.equal(rules.silences[0]!.endsAt, Date.UTC(2025, 6, 1, 18));
    const london = routeFor(rules, { type: 'imagemanager.verification_failed', agent: 'lon-fs02', folder: 'D:\\', severity: 'critical' });
    assert.equal(london.name, 'london', 'agent patterns are case-insensitive globs');
    assert.deepEqual(london.recipients, ['london-it@contoso.com']);
    assert.equal(routeFor(rules, { type: 'x', agent: 'PAR-FS01', folder: '', severity: 'info' }).name, 'default');
  });

  it('accepts camelCase spellings like the rest of settings.yaml', () => {
    const { rules, problems } = parseNotificationRules({ groupBy: ['agent', 'folder'], groupWait: '10s', repeatInterval: '1h', dailyReport: { time: '07:30' } }, { now: NOW });
    assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
    assert.deepEqual(rules.defaultRoute.groupBy, ['agent', 'folder']);
    assert.equal(rules.defaultRoute.groupWaitMs, 10_000);
    assert.equal(rules.defaultRoute.repeatIntervalMs, 3_600_000);
    assert.equal(rules.dailyReport.hour, 7);
    assert.equal(rules.dailyReport.minute, 30);
  });

  it('routes by the first matching rule, with per-rule grouping and timings', () => {
    const { rules } = parseNotificationRules(
      {
        rules: [
          { name: 'sql', match: { folder: '*\\SQL*' }, recipients: ['dba@contoso.com'], group_by: ['folder'], group_interval: '10m' },
          { match: { agent: 'SRV-*', severity: 'critical' }, recipients: 'oncall@contoso.com; admin@contoso.com' },
        ],
      },
      { defaultRecipients: ['admin@contoso.com'], now: NOW },
    );
    const sql = routeFor(rules, { type: 't', agent: 'SRV-1', folder: 'E:\\SQL02', severity: 'critical' });
    assert.equal(sql.name, 'sql');
    assert.deepEqual(sql.groupBy, ['folder']);
    assert.equal(sql.groupIntervalMs, 600_000);
    assert.equal(sql.groupWaitMs, 30_000, 'unset timings come from the defaults');
    const crit = routeFor(rules, { type: 't', agent: 'SRV-1', folder: 'D:\\', severity: 'critical' });
    assert.equal(crit.name, 'rule-2');
    assert.deepEqual(crit.recipients, ['oncall@contoso.com', 'admin@contoso.com']);
    assert.equal(routeFor(rules, { type: 't', agent: 'SRV-1', folder: 'D:\\', severity: 'warning' }).name, 'default');
  });

  it('reports every problem with a clear message and keeps the defaults for bad values', () => {
    const { rules, problems } = parseNotificationRules(
      {
        recipients: ['not-an-address', 'ok@contoso.com'],
        group_wait: 'soon',
        group_interval: '10m',
        repeat_interval: '5m',
        group_by: ['hostname'],
        events: { 'imagemanager.verify_failed': false, 'imagemanager.inactive_folder': { min_severity: 'urgent' }, 'custom.*': 'yes' },
        rules: [{ match: { agent: 'A' } }, { name: 'default', match: {}, recipients: ['x@contoso.com'] }],
        daily_report: { time: '25:00', timezone: 'Mars/Olympus' },
        silences: [{ match: { agent: 'X' } }, { match: {}, ends_at: '2030-01-01T00:00:00Z' }],
        extra_setting: 1,
        groupwait: '1s',
      },
      { defaultRecipients: [], now: NOW },
    );
    const text = problems.map((p) => `${p.severity} ${p.message}`).join('\n');
    for (const expected of [
      /error notifications\.recipients: "not-an-address" is not an e-mail address/,
      /error notifications\.group_wait: must be a duration such as 30s/,
      /error notifications\.repeat_interval: \(5m\) must not be shorter than group_interval \(10m\)/,
      /error notifications\.group_by: must be a list of type, agent, folder/,
      /error notifications\.events\.imagemanager\.verify_failed: is not an ImageManager event type/,
      /error notifications\.events\.imagemanager\.inactive_folder\.min_severity: must be one of info, warning, critical/,
      /error notifications\.events\.custom\.\*: must be true, false/,
      /error notifications\.rules\[0\]\.recipients: is required/,
      /error notifications\.rules\[1\]\.name: "default" is used/,
      /error notifications\.daily_report\.time: must be a time of day HH:MM/,
      /error notifications\.daily_report\.timezone: must be an IANA time zone/,
      /error notifications\.silences\[0\]\.ends_at: is required/,
      /error notifications\.silences\[1\]\.match: must name at least one/,
      /warning notifications\.extra_setting: is not a known setting/,
      /warning notifications\.groupwait: is not a known setting and is ignored\. Did you mean group_wait\?/,
    ]) {
      assert.match(text, expected);
    }
    assert.ok(problems.filter((p) => p.field === 'notifications.recipients').every((p) => p.guideStep === 'recipients'));
    assert.equal(rules.defaultRoute.groupWaitMs, 30_000);
    assert.equal(rules.defaultRoute.repeatIntervalMs, rules.defaultRoute.groupIntervalMs);
    assert.equal(rules.routes.length, 0);
  });

  it('warns when nobody would be e-mailed, and about a silence that has ended', () => {
    assert.match(problemsOf({}, []).map((p) => p.message).join(' '), /no recipients/);
    const p = problemsOf({ silences: [{ match: { agent: 'A' }, ends_at: '2020-01-01T00:00:00Z' }] });
    assert.match(p[0]!.message, /has passed/);
    assert.equal(p[0]!.severity, 'warning');
  });

  it('refuses a section that is not a mapping, without throwing', () => {
    for (const bad of [[1, 2], 'text', 42]) {
      const { problems, rules } = parseNotificationRules(bad, { defaultRecipients: ['a@contoso.com'], now: NOW });
      assert.equal(problems[0]!.severity, 'error');
      assert.deepEqual(rules.recipients, ['a@contoso.com']);
    }
  });

  it('parses durations', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration(90), 90_000);
    assert.equal(parseDuration('90'), 90_000);
    assert.equal(parseDuration('5 minutes'), undefined);
    assert.equal(parseDuration('-5s'), undefined);
    assert.equal(parseDuration(''), undefined);
  });
});
