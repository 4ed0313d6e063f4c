/**
 * The built-in templates (see template.ts for the language). A file in `<home>/templates/` with
 * the same name replaces one part: `<name>.subject.txt`, `<name>.html` or `<name>.txt`, where
 * <name> is `alert`, `group`, `daily-report`, `health`, `test`, or an event type such as
 * `imagemanager.verification_failed` (used for e-mails about one alert of that type).
 *
 * HTML is table-based with inline CSS and no external assets, which is what Outlook, Outlook on the
 * web, Gmail and Apple Mail render alike.
 */

export const TEMPLATE_NAMES = ['alert', 'group', 'daily-report', 'health', 'test'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
export type TemplatePart = 'subject' | 'html' | 'text';

export const PART_FILE_SUFFIX: Record<TemplatePart, string> = {
  subject: '.subject.txt',
  html: '.html',
  text: '.txt',
};

const FONT = "font-family:'Segoe UI',Helvetica,Arial,sans-serif;";
const BADGE = 'display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600;';
const CELL = 'padding:8px;border-bottom:1px solid #eaecf0;vertical-align:top;text-align:left;';
const HEAD_CELL = 'padding:8px;border-bottom:1px solid #d0d5dd;text-align:left;font-size:12px;color:#475467;font-weight:600;';
const LABEL = 'padding:6px 12px 6px 0;color:#667085;width:150px;vertical-align:top;';
const VALUE = 'padding:6px 0;vertical-align:top;word-break:break-word;';

function page(body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{subject}}</title>
</head>
<body style="margin:0;padding:0;background-color:#f2f4f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f2f4f7;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:640px;background-color:#ffffff;border:1px solid #e4e7ec;${FONT}font-size:14px;line-height:1.5;color:#101828;">
<tr><td style="padding:20px 24px 12px 24px;border-top:6px solid {{accent}};">
<div style="font-size:12px;color:#667085;text-transform:uppercase;letter-spacing:0.06em;">{{eyebrow}}</div>
<h1 style="margin:6px 0 0 0;font-size:20px;line-height:1.3;font-weight:600;color:#101828;">{{headline}}</h1>
</td></tr>
${body}
<tr><td style="padding:14px 24px 18px 24px;border-top:1px solid #e4e7ec;font-size:12px;color:#667085;">
Sent by o365-notify at {{generatedAt}}.{{#if timeZoneNote}} {{timeZoneNote}}{{/if}} Notification ID {{id}}.
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}

const ALERT_HTML = page(`<tr><td style="padding:4px 24px 4px 24px;">
<span style="${BADGE}color:{{alert.stateColor}};background-color:{{alert.stateBg}};">{{alert.stateLabel}}</span>
<span style="${BADGE}color:{{alert.severityColor}};background-color:{{alert.severityBg}};">{{alert.severityLabel}}</span>
<p style="margin:12px 0 0 0;">{{alert.summary}}</p>
</td></tr>
<tr><td style="padding:8px 24px 12px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:13px;">
<tr><td style="${LABEL}">Check</td><td style="${VALUE}">{{alert.title}}</td></tr>
{{#if alert.agent}}<tr><td style="${LABEL}">Agent</td><td style="${VALUE}">{{alert.agent}}</td></tr>{{/if}}
{{#if alert.folder}}<tr><td style="${LABEL}">Managed folder</td><td style="${VALUE}">{{alert.folder}}</td></tr>{{/if}}
{{#if alert.since}}<tr><td style="${LABEL}">Failing since</td><td style="${VALUE}">{{alert.since}}</td></tr>{{/if}}
{{#if alert.resolvedAt}}<tr><td style="${LABEL}">Resolved at</td><td style="${VALUE}">{{alert.resolvedAt}} (after {{alert.duration}})</td></tr>{{/if}}
<tr><td style="${LABEL}">Last event</td><td style="${VALUE}">{{alert.lastSeen}} ({{alert.eventCount}} received)</td></tr>
{{#if alert.dedupKey}}<tr><td style="${LABEL}">Reference</td><td style="${VALUE}">{{alert.dedupKey}}</td></tr>{{/if}}
{{#each alert.details}}<tr><td style="${LABEL}">{{name}}</td><td style="${VALUE}">{{value}}</td></tr>{{/each}}
</table>
</td></tr>
{{#unless alert.isResolved}}<tr><td style="padding:0 24px 20px 24px;">
<div style="padding:12px 14px;background-color:#f9fafb;border-left:3px solid #d0d5dd;font-size:13px;color:#344054;">{{alert.advice}}</div>
</td></tr>{{/unless}}`);

const ALERT_TEXT = `{{headline}}

Status:         {{alert.stateLabel}} ({{alert.severityLabel}})
Check:          {{alert.title}}
{{#if alert.agent}}Agent:          {{alert.agent}}
{{/if}}{{#if alert.folder}}Managed folder: {{alert.folder}}
{{/if}}Summary:        {{alert.summary}}
{{#if alert.since}}Failing since:  {{alert.since}}
{{/if}}{{#if alert.resolvedAt}}Resolved at:    {{alert.resolvedAt}} (after {{alert.duration}})
{{/if}}Last event:     {{alert.lastSeen}} ({{alert.eventCount}} received)
{{#if alert.dedupKey}}Reference:      {{alert.dedupKey}}
{{/if}}{{#each alert.details}}{{name}}: {{value}}
{{/each}}{{#unless alert.isResolved}}
{{alert.advice}}
{{/unless}}
--
Sent by o365-notify at {{generatedAt}}.{{#if timeZoneNote}} {{timeZoneNote}}{{/if}} Notification ID {{id}}.
`;

const GROUP_HTML = page(`<tr><td style="padding:4px 24px 4px 24px;"><p style="margin:0;">{{intro}}</p></td></tr>
<tr><td style="padding:8px 24px 20px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:13px;">
<tr style="background-color:#f9fafb;"><th style="${HEAD_CELL}width:90px;">Status</th><th style="${HEAD_CELL}">Problem</th></tr>
{{#each alerts}}<tr>
<td style="${CELL}width:90px;"><span style="${BADGE}color:{{stateColor}};background-color:{{stateBg}};">{{stateLabel}}</span><br><span style="font-size:12px;color:{{severityColor}};font-weight:600;">{{severityLabel}}</span></td>
<td style="${CELL}word-break:break-word;"><strong>{{title}}</strong><br><span style="font-size:12px;color:#475467;">{{agent}}{{#if folder}} &middot; {{folder}}{{/if}} &middot; {{#if resolvedAt}}resolved {{resolvedAt}}{{else}}since {{since}}{{/if}}</span><br><span style="color:#475467;">{{summary}}</span>{{#each details}}<br><span style="font-size:12px;color:#475467;">{{name}}: {{value}}</span>{{/each}}{{#unless isResolved}}<div style="margin-top:6px;padding:6px 8px;background-color:#f9fafb;border-left:3px solid #d0d5dd;font-size:12px;color:#344054;">What to do: {{advice}}</div>{{/unless}}</td>
</tr>{{/each}}
{{#if more}}<tr><td colspan="2" style="${CELL}color:#475467;">... and {{more}} more not shown here.</td></tr>{{/if}}
</table>
</td></tr>`);

const GROUP_TEXT = `{{headline}}

{{intro}}

{{#each alerts}}[{{stateLabel}}] {{severityLabel}} - {{headline}}
    {{summary}}
    {{#if resolvedAt}}resolved {{resolvedAt}}{{else}}since {{since}}{{/if}}
{{#each details}}    {{name}}: {{value}}
{{/each}}{{#unless isResolved}}    What to do: {{advice}}
{{/unless}}
{{/each}}{{#if more}}... and {{more}} more not shown here.
{{/if}}
--
Sent by o365-notify at {{generatedAt}}.{{#if timeZoneNote}} {{timeZoneNote}}{{/if}} Notification ID {{id}}.
`;

const REPORT_HTML = page(`<tr><td style="padding:4px 24px 8px 24px;"><p style="margin:0;">{{intro}}</p></td></tr>
<tr><td style="padding:8px 24px 8px 24px;"><h2 style="margin:0;font-size:15px;">Current state</h2></td></tr>
<tr><td style="padding:0 24px 16px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:13px;">
<tr style="background-color:#f9fafb;"><th style="${HEAD_CELL}width:40%;">Agent / folder</th><th style="${HEAD_CELL}">State and problems</th></tr>
{{#each rows}}<tr>
<td style="${CELL}word-break:break-word;"><strong>{{agent}}</strong>{{#if folder}}<br><span style="color:#475467;">{{folder}}</span>{{/if}}</td>
<td style="${CELL}"><span style="${BADGE}color:{{stateColor}};background-color:{{stateBg}};">{{stateLabel}}</span>{{#each problems}}<br>{{this}}{{/each}}</td>
</tr>{{else}}<tr><td colspan="2" style="${CELL}color:#475467;">No agent has reported to o365-notify yet.</td></tr>{{/each}}
{{#if moreRows}}<tr><td colspan="2" style="${CELL}color:#475467;">... and {{moreRows}} more not shown here.</td></tr>{{/if}}
</table>
</td></tr>
<tr><td style="padding:8px 24px 8px 24px;"><h2 style="margin:0;font-size:15px;">Events {{windowLabel}}</h2></td></tr>
<tr><td style="padding:0 24px 16px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:13px;">
<tr style="background-color:#f9fafb;"><th style="${HEAD_CELL}">Check</th><th style="${HEAD_CELL}">Severity</th><th style="${HEAD_CELL}">Failing</th><th style="${HEAD_CELL}">Resolved</th></tr>
{{#each eventCounts}}<tr><td style="${CELL}">{{title}}</td><td style="${CELL}">{{severityLabel}}</td><td style="${CELL}">{{firing}}</td><td style="${CELL}">{{resolved}}</td></tr>{{else}}<tr><td colspan="4" style="${CELL}color:#475467;">No events.</td></tr>{{/each}}
</table>
</td></tr>
{{#if recentEvents}}<tr><td style="padding:8px 24px 8px 24px;"><h2 style="margin:0;font-size:15px;">Latest events</h2></td></tr>
<tr><td style="padding:0 24px 20px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:12px;">
{{#each recentEvents}}<tr><td style="${CELL}white-space:nowrap;color:#475467;">{{time}}</td><td style="${CELL}"><span style="color:{{severityColor}};font-weight:600;">{{statusLabel}}</span> {{headline}}<br><span style="color:#475467;">{{summary}}</span></td></tr>{{/each}}
{{#if moreEvents}}<tr><td colspan="2" style="${CELL}color:#475467;">... and {{moreEvents}} earlier events.</td></tr>{{/if}}
</table>
</td></tr>{{/if}}
{{#if agentReports}}<tr><td style="padding:8px 24px 8px 24px;"><h2 style="margin:0;font-size:15px;">Reports from agents</h2></td></tr>
<tr><td style="padding:0 24px 20px 24px;font-size:13px;">
{{#each agentReports}}<p style="margin:0 0 8px 0;"><strong>{{agent}}</strong> {{time}}: {{summary}}</p>{{/each}}
</td></tr>{{/if}}`);

const REPORT_TEXT = `{{headline}}

{{intro}}

CURRENT STATE
{{#each rows}}{{stateLabel}}  {{agent}}{{#if folder}} / {{folder}}{{/if}}
{{#each problems}}    - {{this}}
{{/each}}{{else}}No agent has reported to o365-notify yet.
{{/each}}{{#if moreRows}}... and {{moreRows}} more not shown here.
{{/if}}
EVENTS {{windowLabel}}
{{#each eventCounts}}{{title}} ({{severityLabel}}): {{firing}} failing, {{resolved}} resolved
{{else}}No events.
{{/each}}{{#if recentEvents}}
LATEST EVENTS
{{#each recentEvents}}{{time}}  {{statusLabel}} {{headline}}: {{summary}}
{{/each}}{{#if moreEvents}}... and {{moreEvents}} earlier events.
{{/if}}{{/if}}{{#if agentReports}}
REPORTS FROM AGENTS
{{#each agentReports}}{{agent}} {{time}}: {{summary}}
{{/each}}{{/if}}
--
Sent by o365-notify at {{generatedAt}}.{{#if timeZoneNote}} {{timeZoneNote}}{{/if}} Notification ID {{id}}.
`;

const HEALTH_HTML = page(`<tr><td style="padding:4px 24px 8px 24px;"><p style="margin:0;">{{message}}</p></td></tr>
{{#if fix}}<tr><td style="padding:8px 24px 8px 24px;">
<div style="padding:12px 14px;background-color:#fffaeb;border-left:3px solid #f79009;font-size:13px;color:#344054;"><strong>What to do:</strong> {{fix}}</div>
</td></tr>{{/if}}
<tr><td style="padding:8px 24px 20px 24px;font-size:13px;color:#475467;">
{{#if cause}}<p style="margin:0 0 6px 0;">Why: {{cause}}</p>{{/if}}
{{#if guideStep}}<p style="margin:0 0 6px 0;">Guide step: {{guideStep}}{{#if where}} ({{where}}){{/if}}</p>{{/if}}
{{#if code}}<p style="margin:0;">Code: {{code}}</p>{{/if}}
</td></tr>`);

const HEALTH_TEXT = `{{headline}}

{{message}}
{{#if fix}}
What to do: {{fix}}
{{/if}}{{#if cause}}Why: {{cause}}
{{/if}}{{#if guideStep}}Guide step: {{guideStep}}{{#if where}} ({{where}}){{/if}}
{{/if}}{{#if code}}Code: {{code}}
{{/if}}
--
Sent by o365-notify at {{generatedAt}}.{{#if timeZoneNote}} {{timeZoneNote}}{{/if}} Notification ID {{id}}.
`;

const TEST_HTML = page(`<tr><td style="padding:4px 24px 20px 24px;"><p style="margin:0;">{{message}}</p></td></tr>`);

const TEST_TEXT = `{{headline}}

{{message}}

--
Sent by o365-notify at {{generatedAt}}.{{#if timeZoneNote}} {{timeZoneNote}}{{/if}} Notification ID {{id}}.
`;

export const BUILTIN_TEMPLATES: Readonly<Record<TemplateName, Readonly<Record<TemplatePart, string>>>> = {
  alert: { subject: '[{{subjectTag}}] {{headline}}', html: ALERT_HTML, text: ALERT_TEXT },
  group: { subject: '[{{subjectTag}}] {{headline}}', html: GROUP_HTML, text: GROUP_TEXT },
  'daily-report': { subject: '[{{subjectTag}}] {{headline}}', html: REPORT_HTML, text: REPORT_TEXT },
  health: { subject: '[{{subjectTag}}] {{headline}}', html: HEALTH_HTML, text: HEALTH_TEXT },
  test: { subject: '{{headline}}', html: TEST_HTML, text: TEST_TEXT },
};

export function isBuiltinTemplate(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}
