import { connect, type Socket } from 'node:net';

/**
 * A CONNECT tunnel through a forward proxy (RFC 9110 section 9.3.6): ask the proxy for a TCP
 * connection to host:port and, on a 2xx, hand back the socket for TLS to run inside it. The proxy
 * sees only the host name, never the request or the tokens.
 */

export class ProxyError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

const MAX_HEADER_BYTES = 16 * 1024;

export function openTunnel(proxy: URL, host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.port || 80) });
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    let buffered = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(Object.assign(new ProxyError(`the proxy ${proxy.host} did not answer CONNECT ${authority} within ${timeoutMs} ms`, 'ETIMEDOUT'))),
    );
    socket.once('error', (err: NodeJS.ErrnoException) =>
      fail(new ProxyError(`cannot reach the proxy ${proxy.host} (HTTPS_PROXY): ${err.message}`, err.code ?? 'ECONNREFUSED')),
    );
    socket.once('connect', () => {
      const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
      if (proxy.username) {
        const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
        lines.push(`Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}`);
      }
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_HEADER_BYTES) fail(new ProxyError(`the proxy ${proxy.host} sent an oversized answer to CONNECT`, 'EPROTO'));
        return;
      }
      socket.off('data', onData);
      const statusLine = buffered.subarray(0, buffered.indexOf('\r\n')).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      if (status < 200 || status > 299) {
        const why = status === 407 ? ' (the proxy wants a user name and password: put them in HTTPS_PROXY as http://user:password@host:port)' : '';
        fail(new ProxyError(`the proxy ${proxy.host} refused CONNECT ${authority}: "${statusLine}"${why}`, status === 407 ? 'EPROXYAUTH' : 'EPROXYREFUSED', status));
        return;
      }
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      const rest = buffered.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}
