/**
 * What a corporate network does, diagnosed (issue 10.10): the texts Node, msal-node and the proxy
 * tunnel produce for TLS inspection, a firewall, a missing proxy, DNS; `explain` knows them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diagnose } from '../../src/diagnose/index.js';
import { runCli, tempHome } from '../support/cli.js';

const CASES: [string, unknown, string, RegExp][] = [
  ['TLS inspection (Node)', Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', /NODE_EXTRA_CA_CERTS/],
  ['TLS inspection (msal-node wraps it)', { errorCode: 'network_error', errorMessage: 'Network request failed: self-signed certificate in certificate chain' }, 'SELF_SIGNED_CERT_IN_CHAIN', /NODE_EXTRA_CA_CERTS/],
  ['local issuer', 'Error: unable to get local issuer certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', /inspection CA/],
  ['firewall', Object.assign(new Error('connect ETIMEDOUT 20.190.151.7:443'), { code: 'ETIMEDOUT' }), 'ETIMEDOUT', /HTTPS_PROXY=http:\/\/proxy/],
  ['refused, in a cause', new Error('token request failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.8:3128'), { code: 'ECONNREFUSED' }) }), 'ECONNREFUSED', /HTTPS_PROXY/],
  ['no DNS', 'getaddrinfo ENOTFOUND login.microsoftonline.com', 'ENOTFOUND', /proxy/],
  ['proxy sign-in', 'the proxy proxy:8080 refused CONNECT graph.microsoft.com:443: "HTTP/1.1 407 Proxy Authentication Required"', 'EPROXYAUTH', /user:password@/],
  ['clock', 'Error: certificate has expired', 'CERT_HAS_EXPIRED', /clock/],
];

describe('network failures get a diagnosis', () => {
  for (const [name, input, code, fix] of CASES) {
    test(name, () => {
      const d = diagnose(input);
      assert.ok(d, `no diagnosis for ${name}`);
      assert.equal(d.code, code);
      assert.equal(d.guideStep, 'network');
      assert.match(d.fix, fix);
      assert.equal(d.known, true);
    });
  }

  test('an Entra ID answer still wins over a network word in its text', () => {
    assert.equal(diagnose('AADSTS7000215: Invalid client secret provided. (after ETIMEDOUT retries)')?.code, 'AADSTS7000215');
  });

  test('`explain` knows them', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const run = await runCli(['explain', 'ClientAuthError: network_error: Network request failed: unable to verify the first certificate'], { home });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Server certificate not trusted \(TLS inspection\?\)/);
      assert.match(run.stdout, /NODE_EXTRA_CA_CERTS/);
      const timedOut = await runCli(['explain', 'connect ETIMEDOUT 40.126.32.134:443'], { home });
      assert.match(timedOut.stdout, /No answer from Microsoft/);
    } finally {
      await cleanup();
    }
  });
});
