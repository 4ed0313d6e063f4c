import { hostname } from 'node:os';
import { smtpOptions, type Settings } from '../../config/index.js';
import type { RelayStore } from '../../store/index.js';
import { html, type Html } from './html.js';
import type { PageData } from './page-data.js';

/**
 * The settings page's "SMTP relay" section (issue 11): the exact values to type into
 * ImageManager's notification settings, and the relay's recent messages.
 */
export interface RelayPageData {
  enabled: boolean;
  server: string;
  port: number;
  tlsPort: number | null;
  users: string[];
  fromAddress: string | undefined;
  recent: { receivedAt: number; envelopeFrom: string; recipients: string[]; subject: string; status: string; lastError: string | null }[];
}

export async function gatherRelayData(store: { relay: RelayStore }, settings: Settings): Promise<RelayPageData> {
  const smtp = smtpOptions(settings.smtp);
  const wildcard = smtp.host === '0.0.0.0' || smtp.host === '::';
  const recent = await store.relay.recentMessages(10);
  return {
    enabled: smtp.enabled,
    server: wildcard ? hostname() : smtp.host,
    port: smtp.port,
    tlsPort: smtp.tlsPort ?? null,
    users: (await store.relay.users()).map((u) => u.name),
    fromAddress: settings.account.auth === 'app-only' ? settings.account.sender : undefined,
    recent: recent.map((m) => ({ receivedAt: m.receivedAt, envelopeFrom: m.envelopeFrom, recipients: m.recipients, subject: m.subject, status: m.status, lastError: m.lastError })),
  };
}

export function relaySection(data: PageData): Html {
  const r = data.relay;
  const from = r.fromAddress ?? data.auth.account ?? 'the signed-in mailbox';
  const rows: [string, string][] = [
    ['SMTP server', r.server],
    ['Port', String(r.port)],
    ['Security', 'STARTTLS'],
    ['User name', r.users.length > 0 ? r.users.join(' or ') : 'make one: o365-notify smtp user add imagemanager'],
    ['Password', 'the one smtp user add showed (only its hash is stored)'],
    ['From address', from],
  ];
  if (r.tlsPort) rows.splice(2, 0, ['Port (implicit TLS / SMTPS)', String(r.tlsPort)]);
  return html`<section class="card" id="relay" aria-labelledby="relay-title">
<h2 id="relay-title">SMTP relay</h2>
<p class="muted">${r.enabled ? 'On: ImageManager and other SMTP senders deliver through this service.' : 'Off: set smtp.enabled: true in the settings (or run serve --smtp-port 2525) to take SMTP mail.'}</p>
<h3>In ImageManager's notification settings</h3>
<table><tbody>${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td><code>${v}</code></td></tr>`)}</tbody></table>
<h3>Recent relayed messages</h3>
${
  r.recent.length === 0
    ? html`<p class="muted">None yet. Try: o365-notify smtp test</p>`
    : html`<div class="table-wrap"><table class="stack"><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Status</th></tr></thead><tbody>${r.recent.map(
        (m) => html`<tr><td data-label="Received">${data.time(m.receivedAt)}</td><td data-label="From">${m.envelopeFrom || '<>'}</td><td data-label="To">${m.recipients.join(', ')}</td><td data-label="Subject">${m.subject}</td><td data-label="Status">${m.status}${m.lastError ? html`: ${m.lastError}` : ''}</td></tr>`,
      )}</tbody></table></div>`
}
</section>`;
}
