import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, REDACT_PATHS, REDACTED, redact, registerSecretForRedaction, registerTokenCacheForRedaction, scrubText } from '../../src/infra/index.js';

const JWT =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJzY3AiOiJNYWlsLlNlbmQifQ.TWFkZS11cC1zaWduYXR1cmUtYnl0ZXMtZm9yLXRoZS10ZXN0';
const REFRESH = '0.AXoAv4j5cvGGr0GRqy180BHbR0_aBcDeFgHiJkLmNoPqRsTuVwXyZ-0123456789.AgABAAEAAAD--DLA3VO7QrddgJg7WevrAgDs_wQA9P8';
const MSA_REFRESH = 'M.C540_BAY.0.U.-CgAbCdEfGhIjKlMnOpQrStUvWxYz0123456789!AbCdEf$';
const SECRET_VALUE = 'Xy18Q~aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789_';

describe('scrubText', () => {
  const cases: Array<[string, string, string]> = [
    ['a JWT in a message', `token was ${JWT} (expired)`, JWT],
    ['an Authorization header', `Authorization: Bearer ${JWT.slice(0, 40)}abc`, JWT.slice(0, 40)],
    ['a Bearer token that is not a JWT', 'authorization: Bearer opaque-Token_123.456', 'opaque-Token_123.456'],
    ['client_secret in a form body', 'grant_type=client_credentials&client_secret=s3cr3t-value&scope=x', 's3cr3t-value'],
    ['refresh_token in a form body', `grant_type=refresh_token&refresh_token=${REFRESH}&client_id=abc`, REFRESH],
    ['an Entra refresh token on its own', `rotated to ${REFRESH}`, REFRESH],
    ['a Microsoft account refresh token', `rt ${MSA_REFRESH} done`, MSA_REFRESH],
    ['a JSON token response', `{"token_type":"Bearer","access_token":"${JWT}","refresh_token":"abc\\"def","id_token":"x.y.z"}`, 'abc\\"def'],
    ['key: value text', 'clientSecret: hunter2hunter2, next', 'hunter2hunter2'],
    ['an authorization code in a redirect URL', 'GET /?code=0.AAAA-authcode-123&state=xyz', '0.AAAA-authcode-123'],
    ['a client secret Value', `secret is ${SECRET_VALUE}.`, SECRET_VALUE],
    ['a password parameter', 'username=a@b.com&password=P@ss w', 'P@ss'],
  ];
  for (const [name, text, secret] of cases) {
    it(`removes ${name}`, () => {
      const out = scrubText(text);
      assert.ok(!out.includes(secret), out);
      assert.ok(out.includes(REDACTED), out);
    });
  }

  it('keeps ordinary text, error codes and identifiers', () => {
    const text =
      'AADSTS700025: Client is public so neither client_assertion nor client_secret should be presented. ' +
      'Trace ID: 0b7a3f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b error code=invalid_client tenant contoso.onmicrosoft.com';
    assert.equal(scrubText(text), text);
    assert.equal(scrubText('error_codes: [700025], token_type: Bearer'), 'error_codes: [700025], token_type: Bearer');
  });

  it('removes values registered at run time, whatever their shape', () => {
    registerSecretForRedaction('plain-looking-value-42');
    assert.equal(scrubText('x plain-looking-value-42 y'), `x ${REDACTED} y`);
    registerTokenCacheForRedaction(JSON.stringify({ AccessToken: { a: { secret: 'opaque-access-token-1' } }, RefreshToken: { r: { secret: 'opaque-refresh-token-2' } } }));
    assert.equal(scrubText('opaque-access-token-1 / opaque-refresh-token-2'), `${REDACTED} / ${REDACTED}`);
  });
});

describe('redact', () => {
  it('replaces sensitive keys at any depth and scrubs strings, without touching the input', () => {
    const input = {
      clientSecret: 'abc',
      nested: { refresh_token: 'r', headers: { Authorization: 'Bearer x', 'content-type': 'json' }, list: [{ access_token: 'a' }] },
      url: 'https://x/?code=secretcode&state=1',
      secretExpires: '2026-01-01',
      status: 202,
    };
    const copy = structuredClone(input);
    const out = redact(input) as typeof input;
    assert.deepEqual(input, copy);
    assert.equal(out.clientSecret, REDACTED);
    assert.equal(out.nested.refresh_token, REDACTED);
    assert.equal(out.nested.headers.Authorization, REDACTED);
    assert.equal(out.nested.headers['content-type'], 'json');
    assert.equal((out.nested.list[0] as { access_token: string }).access_token, REDACTED);
    assert.equal(out.url, `https://x/?code=${REDACTED}&state=1`);
    assert.equal(out.secretExpires, '2026-01-01');
    assert.equal(out.status, 202);
  });

  it('handles errors and cycles', () => {
    const err = Object.assign(new Error(`failed with ${JWT}`), { body: { client_secret: 'x' } });
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    const out = redact({ err, cyclic }) as { err: { message: string; stack: string; body: { client_secret: string } }; cyclic: { self: unknown } };
    assert.ok(!out.err.message.includes(JWT));
    assert.ok(!out.err.stack.includes(JWT));
    assert.equal(out.err.body.client_secret, REDACTED);
    assert.equal(out.cyclic.self, '[Circular]');
  });

  it('exports pino redact paths for the sensitive keys', () => {
    for (const p of ['client_secret', '*.refresh_token', 'req.headers.authorization', 'access_token']) assert.ok(REDACT_PATHS.includes(p), p);
  });
});

describe('createLogger', () => {
  function capture() {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    return { lines, destination };
  }

  it('writes JSON lines with secrets and tokens removed from fields, messages, bindings and errors', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination, level: 'debug' });
    const child = logger.child({ request: { headers: { authorization: `Bearer ${JWT}` } } });
    child.info({ client_secret: SECRET_VALUE, body: `refresh_token=${REFRESH}` }, `got token ${JWT}`);
    logger.warn('format %s and %s', JWT, 'ok');
    logger.error({ err: new Error(`AADSTS7000215: Invalid client secret provided. secret=${SECRET_VALUE}`) }, 'sign-in failed');
    logger.debug({ tokenResponse: { access_token: JWT, refresh_token: REFRESH, expires_in: 3599 } }, 'refreshed');
    assert.equal(lines.length, 4);
    for (const line of lines) {
      JSON.parse(line);
      for (const secret of [JWT, REFRESH, SECRET_VALUE]) assert.ok(!line.includes(secret), line);
    }
    const last = JSON.parse(lines[3]!) as { tokenResponse: { expires_in: number } };
    assert.equal(last.tokenResponse.expires_in, 3599, 'harmless fields stay');
    assert.match(lines[2]!, /AADSTS7000215: Invalid client secret provided/);
  });
});
