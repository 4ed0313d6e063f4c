import { eventTypeInfo } from '../../notify/index.js';
import { html, type Html } from './html.js';
import type { PageData } from './page-data.js';
import { withCode } from './view-checklist.js';

const STATUS_LABELS: Record<string, string> = {
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  failed: 'failed',
  'waiting-sign-in': 'waiting for sign-in',
};

export function testSection(data: PageData): Html {
  const to = data.notifications.adminRecipients || data.notifications.recipients || data.auth.account || '';
  return html`<section class="card" id="test" aria-labelledby="test-title">
<h2 id="test-title">Send a test e-mail</h2>
<p class="muted">Goes through exactly the path notifications take: the sign-in, Microsoft Graph sendMail, the outbox.</p>
<form id="test-form" data-api="/ui/api/test-email" data-result="#test-result" data-pending="Sending..." novalidate>
<div class="field" data-field="to"><label for="test-to">To</label>
<input type="text" id="test-to" name="to" value="${to}" autocomplete="off" aria-describedby="test-to-help">
<p class="help" id="test-to-help">Addresses separated by commas; blank sends to the administrator recipients.</p></div>
<div class="actions"><button type="submit" class="primary">Send test e-mail</button></div>
</form>
<div id="test-result" class="result" role="status" aria-live="polite"></div>
</section>`;
}

/** The inside of #deliveries-live: queue depth and recent e-mails (replaced in place while the page is open). */
export function deliveriesFragment(data: PageData): Html {
  const q = data.status.queue;
  const counts: [string, number][] = [
    ['events not yet e-mailed', q.undeliveredEvents],
    ['e-mails queued', q.outbox.queued + q.outbox.sending],
    ['waiting for sign-in', q.outbox.waitingSignIn],
    ['failed', q.outbox.failed],
    ['sent', q.outbox.sent],
  ];
  return html`<div class="queue" id="queue-depth">${counts.map(([label, n]) => html`<div><strong>${n}</strong>${label}</div>`)}</div>
${
  data.deliveries.length === 0
    ? html`<p>No e-mail sent yet.</p>`
    : html`<div class="table-wrap"><table class="deliveries stack">
<thead><tr><th scope="col">Created</th><th scope="col">E-mail</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Diagnosis</th></tr></thead>
<tbody>${data.deliveries.map((d) => {
        const n = d.notification;
        const events = d.eventIds.map((id) => data.events.get(id)).filter((e) => e !== undefined);
        return html`<tr data-delivery="${n.id}" data-kind="${n.kind}" data-status="${n.status}">
<td data-label="Created">${data.time(n.createdAt)}</td>
<td data-label="E-mail"><strong>${n.subject}</strong><br><span class="muted">${n.kind} to ${n.to.join(', ')}</span>
${events.length > 0 ? html`<ul class="events">${events.map((e) => html`<li>${e.status === 'resolved' ? 'resolved: ' : ''}${eventTypeInfo(e.type).title}${e.agent ? ` on ${e.agent}` : ''}${e.folder ? ` (${e.folder})` : ''} [${e.severity}]</li>`)}${
          d.eventIds.length > events.length ? html`<li>and ${d.eventIds.length - events.length} more</li>` : ''
        }</ul>` : ''}</td>
<td data-label="Status"><span class="badge ${n.status}">${STATUS_LABELS[n.status] ?? n.status}</span>${n.sentAt ? html`<br><span class="muted">${data.time(n.sentAt)}</span>` : ''}</td>
<td data-label="Attempts">${n.attempts}</td>
<td data-label="Diagnosis">${n.diagnosis ? html`<strong>${n.diagnosis.code}</strong>: ${n.diagnosis.title}<br><span class="muted">${withCode(n.diagnosis.fix)}</span>` : n.lastError ? n.lastError : html`<span class="muted">none</span>`}</td>
</tr>`;
      })}</tbody></table></div>`
}`;
}

export function accessSection(data: PageData): Html {
  return html`<section class="card" id="access" aria-labelledby="access-title">
<h2 id="access-title">Page access</h2>
<p class="muted">${
    data.passwordSetAt
      ? `An admin password is set (since ${data.time(Date.parse(data.passwordSetAt))}): it opens this page without a sign-in link.`
      : 'No admin password: the page opens only with the one-time link the service prints. Set a password for later visits.'
  }</p>
<form id="password-form" data-api="/ui/api/password" novalidate>
<div class="row">
${data.passwordSetAt ? html`<div class="field" data-field="currentPassword"><label for="currentPassword">Current password</label><input type="password" id="currentPassword" name="currentPassword" autocomplete="current-password"><span class="msg" role="status"></span></div>` : ''}
<div class="field" data-field="password"><label for="newPassword">New password</label>
<input type="password" id="newPassword" name="password" autocomplete="new-password" aria-describedby="password-help"><span class="msg" role="status"></span>
<p class="help" id="password-help">At least 12 characters. Stored only as a scrypt hash. Blank with the current password removes it.</p></div>
</div>
<div class="problems" role="status" aria-live="polite"></div>
<div class="actions"><button type="submit">${data.passwordSetAt ? 'Change password' : 'Set password'}</button></div>
</form>
</section>`;
}
