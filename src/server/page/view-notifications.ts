import { GROUP_LABELS, describeMatchers } from '../../notify/index.js';
import { SEVERITIES } from '../../store/index.js';
import { attr, html, type Html } from './html.js';
import type { PageData } from './page-data.js';
import { fieldMessages } from './view-account.js';

function severityOptions(selected: string, inherit: string): Html {
  return html`<option value=""${attr('selected', selected === '')}>${inherit}</option>${SEVERITIES.map(
    (s) => html`<option value="${s}"${attr('selected', selected === s)}>${s}</option>`,
  )}`;
}

export function notificationsSection(data: PageData): Html {
  const n = data.notifications;
  const problems = data.notificationProblems.concat(data.problems.filter((p) => p.field.startsWith('mail.')));
  const recipientsField = n.recipientsField;
  return html`<section class="card" id="notifications" aria-labelledby="notifications-title">
<h2 id="notifications-title">Notifications</h2>
<p class="muted">Saved to the <code>notifications:</code> section of <code>${data.settingsFile}</code>; rules and silences written in the file are kept.</p>
<form id="notifications-form" data-api="/ui/api/notifications" novalidate>
<div class="row">
<div class="field" data-field="${recipientsField}">
<label for="recipients">Recipients</label>
<input type="text" id="recipients" name="recipients" value="${n.recipients}" autocomplete="off" aria-describedby="recipients-help recipients-msg">
<p class="help" id="recipients-help">Who gets the alerts and the daily report, separated by commas (saved as <code>${recipientsField}</code>).</p>
<span class="msg" id="recipients-msg" role="status">${fieldMessages(problems, recipientsField)}</span>
</div>
<div class="field" data-field="notifications.admin_recipients">
<label for="adminRecipients">Administrator recipients (optional)</label>
<input type="text" id="adminRecipients" name="adminRecipients" value="${n.adminRecipients}" autocomplete="off" aria-describedby="admin-help admin-msg">
<p class="help" id="admin-help">Who is warned about sign-in, consent and secret expiry; blank means the recipients.</p>
<span class="msg" id="admin-msg" role="status">${fieldMessages(problems, 'notifications.admin_recipients')}</span>
</div>
</div>

<div class="field" data-field="notifications.min_severity">
<label for="minSeverity">Minimum severity</label>
<select id="minSeverity" name="minSeverity" aria-describedby="minSeverity-help">${severityOptions(n.minSeverity, 'info (everything)')}</select>
<p class="help" id="minSeverity-help">Events below it send nothing (recoveries of alerts you were told about always do).</p>
<span class="msg" role="status">${fieldMessages(problems, 'notifications.min_severity')}</span>
</div>

<fieldset>
<legend>Which events</legend>
<div class="table-wrap"><table class="stack events-table">
<thead><tr><th scope="col">ImageManager event</th><th scope="col">Send</th><th scope="col">Minimum severity</th></tr></thead>
<tbody>${n.events.map(
    (e) => html`<tr>
<td><label for="ev-${e.id}">${e.title}</label><br><code class="muted">${e.id}</code></td>
<td data-label="Send"><input type="checkbox" id="ev-${e.id}" name="event.${e.id}.enabled"${attr('checked', e.enabled)}></td>
<td data-label="Minimum severity"><select name="event.${e.id}.minSeverity" aria-label="Minimum severity for ${e.title}">${severityOptions(e.minSeverity, 'as above')}</select></td>
</tr>`,
  )}</tbody>
</table></div>
</fieldset>

<fieldset>
<legend>Grouping and repeats</legend>
<p class="help">One e-mail per group: related events wait a moment and go out together; a problem that stays is repeated as a reminder.</p>
<div class="field" data-field="notifications.group_by"><span class="label" id="groupby-label">Group by</span>
<div role="group" aria-labelledby="groupby-label">${GROUP_LABELS.map(
    (g) => html`<label class="inline-check"><input type="checkbox" name="groupBy" value="${g}" data-multi${attr('checked', n.groupBy.includes(g))}> ${g}</label>`,
  )}</div>
<span class="msg" role="status">${fieldMessages(problems, 'notifications.group_by')}</span></div>
<div class="row">
<div class="field" data-field="notifications.group_wait"><label for="groupWait">Wait before the first e-mail</label>
<input type="text" id="groupWait" name="groupWait" value="${n.groupWait}" aria-describedby="durations-help"><span class="msg" role="status">${fieldMessages(problems, 'notifications.group_wait')}</span></div>
<div class="field" data-field="notifications.group_interval"><label for="groupInterval">At most one e-mail per group every</label>
<input type="text" id="groupInterval" name="groupInterval" value="${n.groupInterval}" aria-describedby="durations-help"><span class="msg" role="status">${fieldMessages(problems, 'notifications.group_interval')}</span></div>
<div class="field" data-field="notifications.repeat_interval"><label for="repeatInterval">Repeat while still failing every</label>
<input type="text" id="repeatInterval" name="repeatInterval" value="${n.repeatInterval}" aria-describedby="durations-help"><span class="msg" role="status">${fieldMessages(problems, 'notifications.repeat_interval')}</span></div>
</div>
<p class="help" id="durations-help">Durations such as 30s, 5m, 4h or 1d.</p>
</fieldset>

<fieldset>
<legend>Daily status report</legend>
<label class="inline-check"><input type="checkbox" name="dailyReportEnabled" id="dailyReportEnabled"${attr('checked', n.dailyReportEnabled)}> Send a daily status report</label>
<div class="row">
<div class="field" data-field="notifications.daily_report.time"><label for="dailyReportTime">At</label>
<input type="time" id="dailyReportTime" name="dailyReportTime" value="${n.dailyReportTime}"><span class="msg" role="status">${fieldMessages(problems, 'notifications.daily_report.time')}</span></div>
<div class="field" data-field="notifications.daily_report.timezone"><label for="dailyReportTimeZone">Time zone (optional)</label>
<input type="text" id="dailyReportTimeZone" name="dailyReportTimeZone" value="${n.dailyReportTimeZone}" placeholder="${data.serverTimeZone}" aria-describedby="tz-help"><span class="msg" role="status">${fieldMessages(problems, 'notifications.daily_report.timezone')}</span>
<p class="help" id="tz-help">The report's hour is in this zone, and so is every time on this page and in the e-mails. Blank: the server's time zone, ${data.serverTimeZone}. A name such as Europe/London.</p></div>
</div>
</fieldset>
<div class="problems" role="status" aria-live="polite">${problems
    .filter((p) => p.severity === 'error' && !['mail.to', 'notifications.recipients'].includes(p.field))
    .map((p) => html`<p class="problem ${p.severity}">${p.message}</p>`)}</div>
<div class="actions"><button type="submit" class="primary">Save notifications</button></div>
</form>
</section>`;
}

function ends(data: PageData, ms: number): string {
  return data.time(ms);
}

export function silencesSection(data: PageData): Html {
  const { store, settings } = data.silences;
  const active = store.filter((s) => s.removedAt === null && s.endsAt > data.now);
  const fromFile = settings.filter((s) => s.endsAt > data.now);
  return html`<section class="card" id="silences" aria-labelledby="silences-title">
<h2 id="silences-title">Silences</h2>
<p class="muted">A silence holds back the e-mails of matching alerts until it ends (for maintenance, a decommissioned agent...).</p>
${
  active.length + fromFile.length === 0
    ? html`<p>No silence is active.</p>`
    : html`<div class="table-wrap"><table class="stack silences-table"><thead><tr><th scope="col">Matches</th><th scope="col">Ends</th><th scope="col">Comment</th><th scope="col"><span class="muted">Remove</span></th></tr></thead><tbody>
${active.map(
  (s) => html`<tr data-silence="${s.id}"><td>${describeMatchers(s.matchers)}</td><td data-label="Ends">${ends(data, s.endsAt)}</td><td data-label="Comment">${s.comment}</td>
<td><button type="button" class="small" data-post="/ui/api/silences/${s.id}" data-method="DELETE" aria-label="End the silence ${describeMatchers(s.matchers)}">End now</button></td></tr>`,
)}
${fromFile.map((s) => html`<tr><td>${describeMatchers(s.matchers)}</td><td data-label="Ends">${ends(data, s.endsAt)}</td><td data-label="Comment">${s.comment}</td><td class="muted">in the settings file</td></tr>`)}
</tbody></table></div>`
}
<form id="silence-form" data-api="/ui/api/silences" novalidate>
<h3>Add a silence</h3>
<div class="row">
<div class="field" data-field="agent"><label for="silence-agent">Agent</label><input type="text" id="silence-agent" name="agent" placeholder="e.g. SRV-OLD or LON-*"><span class="msg" role="status"></span></div>
<div class="field" data-field="folder"><label for="silence-folder">Folder</label><input type="text" id="silence-folder" name="folder" placeholder="any"><span class="msg" role="status"></span></div>
<div class="field" data-field="type"><label for="silence-type">Event type</label><input type="text" id="silence-type" name="type" placeholder="e.g. imagemanager.inactive_folder"><span class="msg" role="status"></span></div>
</div>
<div class="row">
<div class="field" data-field="endsAt"><label for="silence-ends">Ends at <span class="muted" id="browser-zone">(your browser's time)</span></label><input type="datetime-local" id="silence-ends" name="endsAt" required><span class="msg" role="status"></span></div>
<div class="field"><label for="silence-comment">Comment</label><input type="text" id="silence-comment" name="comment" maxlength="500"></div>
</div>
<div class="problems" role="status" aria-live="polite"></div>
<div class="actions"><button type="submit">Add silence</button></div>
</form>
</section>`;
}
