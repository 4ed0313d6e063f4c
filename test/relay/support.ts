import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { openStore } from '../../src/store/index.js';
import { addRelayUser } from '../../src/relay/index.js';
import { serviceStorePath } from '../../src/server/paths.js';
import type { TestEmulator } from '../support/emulator.js';

/** An SMTP user in the home's store (what `smtp user add` does). */
export async function addUser(home: string, name: string, password: string, lists: { allowedFrom?: string[]; allowedRecipients?: string[] } = {}): Promise<void> {
  const store = openStore(serviceStorePath(home));
  try {
    await addRelayUser(store.relay, { name, password, ...lists });
  } finally {
    store.close();
  }
}

/** nodemailer with STARTTLS required, trusting the relay's generated certificate. */
export async function mailer(port: number, certificatePath: string, auth?: { user: string; pass: string }) {
  const ca = await readFile(certificatePath, 'utf8');
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, requireTLS: true, auth, tls: { ca, servername: 'localhost' } });
}

/** Every inbox that holds a message with this subject: who received it. */
export async function receivedBy(emu: TestEmulator, subject: string): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  for (const box of (await emu.call('GET', '/_emulator/mailboxes')).json() as { address: string }[]) {
    const messages = (await emu.call('GET', `/_emulator/mailboxes/${box.address}/messages?folder=inbox&includeContent=1`)).json() as any[];
    const m = messages.find((x) => x.subject === subject);
    if (m) out.set(box.address, m);
  }
  return out;
}
