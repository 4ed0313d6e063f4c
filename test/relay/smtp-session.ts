import net from 'node:net';

/** A raw SMTP conversation over a plain socket: send lines, read replies (multi-line aware). */
export class RawSmtp {
  private buffer = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      this.buffer += c.toString('latin1');
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawSmtp> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawSmtp(socket);
  }

  /** A session over a socket already connected (e.g. from a chosen local address). */
  static wrap(socket: net.Socket): RawSmtp {
    return new RawSmtp(socket);
  }

  /** The next complete reply (all its lines), or '' when the server closed the connection. */
  async reply(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m[0].length);
        return m[0];
      }
      if (this.closed) return '';
      if (Date.now() > deadline) throw new Error(`no SMTP reply within ${timeoutMs} ms; got ${JSON.stringify(this.buffer.slice(0, 200))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async command(line: string | Buffer): Promise<string> {
    this.socket.write(typeof line === 'string' ? `${line}\r\n` : line);
    return this.reply();
  }

  /** MAIL, RCPT..., DATA with `message` (dot-stuffed here), the final reply. */
  async send(from: string, to: string[], message: Buffer | string): Promise<string> {
    const mail = await this.command(`MAIL FROM:<${from}>`);
    if (!mail.startsWith('250')) return mail;
    for (const r of to) {
      const rcpt = await this.command(`RCPT TO:<${r}>`);
      if (!rcpt.startsWith('250')) return rcpt;
    }
    const data = await this.command('DATA');
    if (!data.startsWith('354')) return data;
    const body = (Buffer.isBuffer(message) ? message : Buffer.from(message, 'utf8')).toString('latin1').replace(/^\./gm, '..');
    return this.command(Buffer.from(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
