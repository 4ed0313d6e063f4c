import fs from 'node:fs';
import { smtpOptions, type Settings } from '../../config/index.js';
import { serviceStorePath } from '../../server/index.js';
import { openStore } from '../../store/index.js';
import { writeLine, type CliContext } from '../command.js';

/** The relay's part of `status`: whether it is on, where, its users and its messages. */
export interface RelayStatus {
  enabled: boolean;
  host: string;
  port: number;
  tlsPort: number | null;
  users: number;
  messages: Record<string, number>;
  lastMessage: { id: string; receivedAt: string; status: string; subject: string; recipients: number; error: string | null } | null;
}

export async function readRelayStatus(home: string, settings: Settings): Promise<RelayStatus> {
  const smtp = smtpOptions(settings.smtp);
  const status: RelayStatus = { enabled: smtp.enabled, host: smtp.host, port: smtp.port, tlsPort: smtp.tlsPort ?? null, users: 0, messages: {}, lastMessage: null };
  const file = serviceStorePath(home);
  if (!fs.existsSync(file)) return status;
  const store = openStore(file);
  try {
    status.users = (await store.relay.users()).length;
    status.messages = await store.relay.counts();
    const last = (await store.relay.recentMessages(1))[0];
    if (last) {
      status.lastMessage = { id: last.id, receivedAt: new Date(last.receivedAt).toISOString(), status: last.status, subject: last.subject, recipients: last.recipients.length, error: last.lastError };
    }
  } finally {
    store.close();
  }
  return status;
}

export function printRelayStatus(ctx: CliContext, r: RelayStatus): void {
  const line = (label: string, value: string) => writeLine(ctx.stdout, `${label.padEnd(22)} ${value}`);
  writeLine(ctx.stdout, '');
  line('SMTP relay', r.enabled ? `on, ${r.host} port ${r.port} (STARTTLS)${r.tlsPort ? `, port ${r.tlsPort} (TLS)` : ''}; ${r.users} user(s)` : 'off (smtp.enabled: true, or `serve --smtp-port`)');
  const m = r.messages;
  if (Object.keys(m).length > 0) line('Relayed messages', `${m.queued ?? 0} queued, ${m.sending ?? 0} sending, ${m['waiting-sign-in'] ?? 0} waiting for a sign-in; ${m.sent ?? 0} sent, ${m.failed ?? 0} failed`);
  if (r.lastMessage) line('Last relayed', `${r.lastMessage.receivedAt} "${r.lastMessage.subject}" (${r.lastMessage.status})${r.lastMessage.error ? `: ${r.lastMessage.error}` : ''}`);
}
