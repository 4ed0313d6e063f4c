/**
 * Issue 9.7: memory grew with every new TLS connection (121 -> 332 MB in a 2-minute outage) because
 * the system roots plus the emulator CA were passed as `ca` per request, so Node built a new
 * certificate store for each connection. Now one TLS context per CA set is built once and shared:
 * 300 new connections (Connection: close, as in an outage where every attempt is a new socket)
 * through the Graph client and msal-node's network client build no further context and the RSS
 * stays flat. Measured: before the fix 300 contexts and +300 MB, after it none and +9 MB.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { HttpsNetworkClient } from '../../src/auth/network-client.js';
import { createHttpsTransport } from '../../src/graph/http.js';
import { createTestCa, type TestCa } from '../support/test-ca.js';

const CONNECTIONS = 300;

function gcAndRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

describe('one TLS context per target, reused by every connection', () => {
  let ca: TestCa;
  let server: Server;
  let url: string;
  let connections = 0;

  before(async () => {
    ca = createTestCa('o365-notify test CA (issue 9.7)');
    const leaf = ca.issue(['localhost', '127.0.0.1']);
    server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => {
      res.setHeader('connection', 'close');
      res.setHeader('content-type', 'application/json');
      res.end('{"error":"temporarily_unavailable"}');
    });
    server.on('secureConnection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://localhost:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.close();
  });

  test(`${CONNECTIONS} new connections build no new TLS context and do not grow the memory`, async () => {
    const original = tls.createSecureContext;
    let built = 0;
    tls.createSecureContext = (options?: tls.SecureContextOptions) => {
      built++;
      return original(options);
    };
    try {
      const transport = createHttpsTransport({ ca: ca.certPem });
      const client = new HttpsNetworkClient({ ca: ca.certPem });
      // Warm up (first context, lazy module state), then measure.
      await transport.request({ method: 'GET', url: `${url}/v1.0/me`, headers: { connection: 'close' }, timeoutMs: 5000 });
      await client.sendGetRequestAsync(`${url}/common/discovery/instance`);
      const baseline = gcAndRss();
      const builtBefore = built;
      const connectedBefore = connections;
      for (let i = 0; i < CONNECTIONS / 2; i++) {
        await transport.request({ method: 'GET', url: `${url}/v1.0/me`, headers: { connection: 'close' }, timeoutMs: 5000 });
        await client.sendGetRequestAsync(`${url}/common/discovery/instance`);
      }
      const grown = gcAndRss() - baseline;
      transport.close();
      assert.equal(connections - connectedBefore, CONNECTIONS, 'every request was a new TLS connection');
      assert.equal(built - builtBefore, 0, `TLS contexts built for ${CONNECTIONS} connections`);
      console.log(`# RSS growth over ${CONNECTIONS} new TLS connections: ${(grown / 1048576).toFixed(1)} MB`);
      assert.ok(grown < 40 * 1048576, `RSS grew by ${(grown / 1048576).toFixed(1)} MB over ${CONNECTIONS} connections`);
    } finally {
      tls.createSecureContext = original;
    }
  });
});
