/**
 * A child process for bench/relay.ts: `bare` is smtp-server accepting and discarding every
 * message (the ceiling of the SMTP stack on this machine), `relay` is the o365-notify listener
 * with its store (250 only after the commit). Prints `PORT n`; on SIGTERM prints `PEAK bytes`
 * (the highest RSS sampled) and exits.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { smtpOptions } from '../src/config/index.js';
import { openStore } from '../src/store/index.js';
import { startRelay } from '../src/relay/index.js';

const mode = process.argv[2];
let peak = process.memoryUsage().rss;
setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20).unref();

let port: number;
if (mode === 'bare') {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    size: 64 * 1024 * 1024,
    logger: false,
    onData(stream, _session, cb) {
      stream.on('end', () => cb());
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
} else {
  const home = await mkdtemp(join(tmpdir(), 'o365-bench-relay-'));
  // As `serve` opens it: the service's default durability, checkpoints in a worker thread.
  const store = openStore(join(home, 'o365-notify.db'), { durability: 'process-crash', backgroundCheckpoints: true });
  const relay = await startRelay({
    home,
    smtp: smtpOptions({ port: 0, messagesPerMinute: 1_000_000, maxMessageMb: 64 }),
    relay: store.relay,
    identity: async () => ({ mailbox: 'alerts@contoso.com', canSend: true }),
    openMessages: async () => 0,
    fsync: false,
  });
  port = relay.port;
}
// SIGUSR2 (after the warm-up) starts the CPU count that SIGTERM reports: the process's user +
// system time, all threads, in microseconds - a figure a busy shared machine disturbs far less
// than messages per second.
let cpuFrom = process.cpuUsage();
process.on('SIGUSR2', () => {
  cpuFrom = process.cpuUsage();
  process.stdout.write('MARK\n');
});
process.stdout.write(`PORT ${port}\n`);
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(cpuFrom);
  process.stdout.write(`CPU ${cpu.user + cpu.system}\n`);
  process.stdout.write(`PEAK ${Math.max(peak, process.memoryUsage().rss)}\n`);
  process.exit(0);
});
