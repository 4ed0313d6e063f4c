/**
 * The HTTPS transport (src/net) on a corporate network, on loopback: a real forward CONNECT proxy
 * (HTTPS_PROXY, with and without Basic sign-in) for the Graph client and msal-node's network
 * client, and a TLS-inspecting proxy whose certificates come from a "corporate" CA: refused with
 * "unable to verify the first certificate" until NODE_EXTRA_CA_CERTS names that CA (issue 10.10).
 * The target names are Microsoft's (graph.microsoft.com, login.microsoftonline.com): this machine
 * cannot resolve or reach them, only the proxies can (they map them to the loopback test server),
 * so an answer proves the request went through the proxy.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HttpsNetworkClient } from '../../src/auth/network-client.js';
import { createHttpsTransport } from '../../src/graph/http.js';
import { createMailClient, GraphSendError } from '../../src/graph/index.js';
import { proxyFor } from '../../src/net/index.js';
import { createTestCa, type TestCa } from '../support/test-ca.js';

const GRAPH = 'graph.microsoft.com';
const LOGIN = 'login.microsoftonline.com';

function port(server: Server | HttpsServer): number {
  return (server.address() as AddressInfo).port;
}

/** A forward proxy: CONNECT host:port -> 127.0.0.1:port; records each tunnel; optional Basic sign-in. */
function forwardProxy(options: { credentials?: string } = {}): Promise<{ server: Server; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = createServer((client: Socket) => {
    client.once('data', (head: Buffer) => {
      const text = head.toString('latin1');
      const m = /^CONNECT ([^\s]+):(\d+) HTTP\/1\.1\r\n/.exec(text);
      if (!m) return client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      if (options.credentials && !text.includes(`Proxy-Authorization: Basic ${Buffer.from(options.credentials).toString('base64')}`)) {
        return client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n');
      }
      tunnels.push(`${m[1]}:${m[2]}`);
      const upstream = connect({ host: '127.0.0.1', port: Number(m[2]) }, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        client.pipe(upstream).pipe(client);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, tunnels })));
}

/** A TLS-inspecting proxy: accepts CONNECT, then terminates TLS itself with a certificate from `ca`. */
function inspectingProxy(ca: TestCa): Promise<{ server: Server; inner: HttpsServer }> {
  const leaf = ca.issue([GRAPH, LOGIN]);
  const inner = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ inspected: true, path: req.url }));
  });
  const server = createServer((client: Socket) => {
    client.once('data', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n', () => inner.emit('connection', client));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, inner })));
}

describe('HTTPS through a forward proxy and through TLS inspection', () => {
  let microsoftCa: TestCa;
  let corporateCa: TestCa;
  let upstream: HttpsServer;
  let plain: Awaited<ReturnType<typeof forwardProxy>>;
  let guarded: Awaited<ReturnType<typeof forwardProxy>>;
  let inspecting: Awaited<ReturnType<typeof inspectingProxy>>;
  let scratch: string;
  let corporateCaFile: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'o365-net-'));
    microsoftCa = createTestCa('Test stand-in for Microsoft\'s CA');
    corporateCa = createTestCa('Contoso TLS Inspection CA');
    corporateCaFile = join(scratch, 'contoso-inspection-ca.pem');
    await writeFile(corporateCaFile, corporateCa.certPem);
    const leaf = microsoftCa.issue([GRAPH, LOGIN, 'localhost', '127.0.0.1']);
    upstream = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ host: req.headers.host, path: req.url }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    plain = await forwardProxy();
    guarded = await forwardProxy({ credentials: 'svc-o365:pa ss' });
    inspecting = await inspectingProxy(corporateCa);
  });

  after(async () => {
    for (const s of [upstream, plain?.server, guarded?.server, inspecting?.server]) s?.close();
    inspecting?.inner.close();
    await rm(scratch, { recursive: true, force: true });
  });

  test('the Graph client reaches graph.microsoft.com only through HTTPS_PROXY, certificate verified', async () => {
    const env = { HTTPS_PROXY: `http://127.0.0.1:${port(plain.server)}` };
    const transport = createHttpsTransport({ ca: microsoftCa.certPem, env });
    try {
      const res = await transport.request({ method: 'GET', url: `https://${GRAPH}:${port(upstream)}/v1.0/me`, headers: {}, timeoutMs: 10_000 });
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body.toString()), { host: `${GRAPH}:${port(upstream)}`, path: '/v1.0/me' });
      assert.deepEqual(plain.tunnels, [`${GRAPH}:${port(upstream)}`]);
    } finally {
      transport.close();
    }
  });

  test("msal-node's network client reaches login.microsoftonline.com through the proxy, with the proxy's Basic sign-in from HTTPS_PROXY", async () => {
    const url = `https://${LOGIN}:${port(upstream)}/contoso/v2.0/.well-known/openid-configuration`;
    const refused = new HttpsNetworkClient({ ca: microsoftCa.certPem, env: { HTTPS_PROXY: `http://127.0.0.1:${port(guarded.server)}` } });
    await assert.rejects(refused.sendGetRequestAsync(url), /407 Proxy Authentication Required.*user name and password/);
    const client = new HttpsNetworkClient({ ca: microsoftCa.certPem, env: { HTTPS_PROXY: `http://svc-o365:pa%20ss@127.0.0.1:${port(guarded.server)}` } });
    const res = await client.sendGetRequestAsync<{ path: string }>(url);
    assert.equal(res.status, 200);
    assert.equal(res.body.path, '/contoso/v2.0/.well-known/openid-configuration');
    assert.deepEqual(guarded.tunnels, [`${LOGIN}:${port(upstream)}`]);
  });

  test('TLS inspection: "unable to verify the first certificate" until NODE_EXTRA_CA_CERTS names the corporate CA; never accepted unverified', async () => {
    const proxy = `http://127.0.0.1:${port(inspecting.server)}`;
    const url = `https://${GRAPH}:443/v1.0/me/sendMail`;
    const blind = createHttpsTransport({ env: { HTTPS_PROXY: proxy } });
    try {
      await assert.rejects(blind.request({ method: 'GET', url, headers: {}, timeoutMs: 10_000 }), (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
        assert.match(err.message, /unable to verify the first certificate/);
        return true;
      });
    } finally {
      blind.close();
    }
    const client = new HttpsNetworkClient({ env: { HTTPS_PROXY: proxy } });
    await assert.rejects(client.sendGetRequestAsync(`https://${LOGIN}/common/discovery/instance`), /unable to verify the first certificate/);

    const env = { HTTPS_PROXY: proxy, NODE_EXTRA_CA_CERTS: corporateCaFile };
    const trusting = createHttpsTransport({ env });
    try {
      const res = await trusting.request({ method: 'GET', url, headers: {}, timeoutMs: 10_000 });
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body.toString()).inspected, true);
    } finally {
      trusting.close();
    }
    const trustingClient = new HttpsNetworkClient({ env });
    assert.equal((await trustingClient.sendGetRequestAsync<{ inspected: boolean }>(`https://${LOGIN}/common/discovery/instance`)).body.inspected, true);
  });

  test('the mail client behind TLS inspection: the failure carries the diagnosis that names NODE_EXTRA_CA_CERTS; a dead proxy is named too', async () => {
    const tokenProvider = { getAccessToken: async () => ({ accessToken: 'eyJ.test.token', expiresOn: new Date(Date.now() + 3_600_000), scopes: ['Mail.Send'] }) };
    const message = { to: 'it-team@contoso.com', subject: 'Backup failed', text: 'SRV-FS01' };
    const inspected = createMailClient({
      baseUrl: `https://${GRAPH}/v1.0`,
      tokenProvider,
      mode: 'delegated',
      retry: { maxAttempts: 1 },
      transport: createHttpsTransport({ env: { HTTPS_PROXY: `http://127.0.0.1:${port(inspecting.server)}` } }),
    });
    await assert.rejects(inspected.send(message), (err: GraphSendError) => {
      assert.equal(err.diagnosis?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', JSON.stringify(err.diagnosis));
      assert.equal(err.diagnosis?.guideStep, 'network');
      assert.match(err.diagnosis?.fix ?? '', /NODE_EXTRA_CA_CERTS/);
      return true;
    });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = port(closed);
    closed.close();
    const deadProxy = createMailClient({
      baseUrl: `https://${GRAPH}/v1.0`,
      tokenProvider,
      mode: 'delegated',
      retry: { maxAttempts: 1 },
      transport: createHttpsTransport({ env: { HTTPS_PROXY: `http://127.0.0.1:${deadPort}` } }),
    });
    await assert.rejects(deadProxy.send(message), (err: GraphSendError) => {
      assert.equal(err.diagnosis?.code, 'ECONNREFUSED', JSON.stringify(err.diagnosis));
      assert.match(err.message, /cannot reach the proxy 127\.0\.0\.1:\d+ \(HTTPS_PROXY\)/);
      assert.match(err.diagnosis?.fix ?? '', /HTTPS_PROXY/);
      return true;
    });
  });

  test('NO_PROXY and loopback go direct; a malformed HTTPS_PROXY is named', () => {
    const env = { HTTPS_PROXY: 'proxy.contoso.com:8080', NO_PROXY: '.contoso.com, graph.microsoft.com:8443,10.0.0.5' };
    assert.equal(proxyFor(new URL('https://login.microsoftonline.com/x'), env)?.href, 'http://proxy.contoso.com:8080/');
    assert.equal(proxyFor(new URL('https://graph.microsoft.com/v1.0'), env)?.host, 'proxy.contoso.com:8080', 'the NO_PROXY entry has another port');
    assert.equal(proxyFor(new URL('https://graph.microsoft.com:8443/v1.0'), env), undefined);
    assert.equal(proxyFor(new URL('https://mail.contoso.com/'), env), undefined);
    assert.equal(proxyFor(new URL('https://contoso.com/'), env), undefined);
    assert.equal(proxyFor(new URL('https://10.0.0.5/'), env), undefined);
    assert.equal(proxyFor(new URL('https://127.0.0.1:8443/'), env), undefined, 'loopback (the emulator) is never proxied');
    assert.equal(proxyFor(new URL('https://localhost:8443/'), env), undefined);
    assert.equal(proxyFor(new URL('https://graph.microsoft.com/'), { https_proxy: 'http://p:3128', no_proxy: '*' }), undefined);
    assert.throws(() => proxyFor(new URL('https://graph.microsoft.com/'), { HTTPS_PROXY: 'socks5://p:1080' }), /only http:\/\/ proxies/);
  });
});
