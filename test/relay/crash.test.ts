import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestEmulator } from '../support/emulator.js';
import { ADMIN, SENDER, TEAM } from '../server/helpers.js';
import { inbox, startServiceProcess, waitFor, type ServiceProcess } from '../reliability/support.js';
import { relayHome, type TempHome } from './support.js';
import { freePort, RawSmtp } from './smtp-session.js';

const CLIENTS = 10;
const PER_CLIENT = 50;

describe('kill -9 while 10 SMTP clients submit 500 messages', () => {
  let emu: TestEmulator;
  let home: TempHome;
  let close: (() => Promise<void>) | undefined;
  let svc: ServiceProcess | undefined;

  before(async () => {
    ({ emu, home, close } = await relayHome());
  });
  after(async () => {
    await svc?.stop();
    await close?.();
  });

  it('every message that got 250 is delivered; duplicates at most the messages in flight', { timeout: 180_000 }, async () => {
    // Slow Graph sends: the kill lands while the worker has sends open.
    await emu.call('POST', '/_emulator/faults', { endpoint: 'graph.sendMail', kind: 'slow', delayMs: 40, durationSeconds: 3600 });
    const port = await freePort();
    const env = { O365_NOTIFY_SMTP_ENABLED: 'true', O365_NOTIFY_SMTP_PORT: String(port), O365_NOTIFY_SMTP_MESSAGES_PER_MINUTE: '100000', O365_NOTIFY_SMTP_MAX_CONNECTIONS_PER_CLIENT: '50' };
    svc = await startServiceProcess(home.home, env);

    const acknowledged = new Set<string>();
    const next = Array.from({ length: CLIENTS }, () => 0);
    let resent = 0;
    let killed = false;
    /** One client: sends its messages in order until done or its connection drops (the client resends the rest later). */
    const client = async (c: number) => {
      let s: RawSmtp;
      try {
        s = await RawSmtp.connect(port);
        if (!(await s.reply()).startsWith('220')) return;
        await s.command('EHLO crash');
      } catch {
        return;
      }
      while (next[c]! < PER_CLIENT) {
        const subject = `crash ${c}-${next[c]}`;
        // Half to each mailbox: the emulator keeps the newest 500 messages per folder.
        const to = c % 2 === 0 ? TEAM : ADMIN;
        const answer = await s.send(SENDER, [to], `From: ${SENDER}\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nmessage ${subject}\r\n`).catch(() => '');
        if (!answer.startsWith('250')) break;
        acknowledged.add(subject);
        next[c]!++;
        if (!killed && acknowledged.size >= 200) {
          killed = true;
          svc!.child.kill('SIGKILL');
        }
      }
      s.close();
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    assert.ok(killed, 'the service was killed mid-way');
    await svc.exited;
    const before = acknowledged.size;
    assert.ok(before < CLIENTS * PER_CLIENT, `killed before all were sent (${before})`);

    svc = await startServiceProcess(home.home, env);
    // The clients send what they were not told 250 for (one per client may have been stored already).
    resent = next.filter((n) => n < PER_CLIENT).length;
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    assert.equal(acknowledged.size, CLIENTS * PER_CLIENT);

    const arrived = await waitFor(async () => {
      const subjects = [...(await inbox(emu, TEAM)), ...(await inbox(emu, ADMIN))].map((m) => m.subject as string).filter((s) => s.startsWith('crash '));
      return new Set(subjects).size >= acknowledged.size ? subjects : undefined;
    }, 'every acknowledged message arrived', 60_000).catch(async (err) => {
      const subjects = [...(await inbox(emu, TEAM)), ...(await inbox(emu, ADMIN))].map((m) => m.subject as string).filter((s) => s.startsWith('crash '));
      throw new Error(`${(err as Error).message}: ${new Set(subjects).size} of ${acknowledged.size} arrived; service output tail: ${svc!.output().slice(-3000)}`);
    });
    const counts = new Map<string, number>();
    for (const s of arrived) counts.set(s, (counts.get(s) ?? 0) + 1);
    for (const subject of acknowledged) assert.ok(counts.has(subject), `${subject} was acknowledged but not delivered`);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    // In flight at the kill: the worker's sends (4) and one SMTP transaction per client whose 250 was lost.
    assert.ok(duplicates <= 4 + resent, `${duplicates} duplicates, more than the ${4 + resent} messages in flight`);
    process.stdout.write(`# crash: ${before} acknowledged before the kill, ${duplicates} duplicates (bound ${4 + resent})\n`);
  });
});
