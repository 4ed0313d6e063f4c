import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphSendError } from '../../src/graph/errors.js';
import { backoffDelay, decideRetry, DEFAULT_RETRY, parseRetryAfter, tokenFailureRetry, type AttemptState, type Outcome } from '../../src/graph/retry.js';
import { PgTokenCacheError, TOKEN_CACHE_RETRY_SECONDS } from '../../src/store/postgres/index.js';
import { CountingTokenProvider, fakeClient } from './support/clients.js';
import { graphError, networkError, response } from './support/fake-transport.js';

const state = (attempt: number, extra: Partial<AttemptState> = {}): AttemptState => ({ attempt, startedAt: 0, now: 0, refreshedToken: false, ...extra });
const decide = (outcome: Outcome, s: AttemptState, random = 0.5) => decideRetry(outcome, s, DEFAULT_RETRY, () => random);
const message = { to: 'it-team@contoso.com', subject: 'Test', text: 'Hello' };

async function failure(promise: Promise<unknown>): Promise<GraphSendError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GraphSendError, `a GraphSendError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the send to fail');
}

describe('retry decisions', () => {
  it('honours Retry-After on 429, 503 and 504, never waiting less', () => {
    for (const status of [429, 503, 504]) {
      for (const random of [0, 0.5, 0.999]) {
        const d = decide({ kind: 'response', status, retryAfterMs: 3_000 }, state(1), random);
        assert.equal(d.action, 'retry');
        assert.ok(d.action === 'retry' && d.delayMs >= 3_000 && d.delayMs <= 3_300, `${status}: ${JSON.stringify(d)}`);
      }
    }
  });

  it('backs off exponentially with jitter on other 5xx, 429 without Retry-After and transient network errors', () => {
    const delays = [1, 2, 3, 4].map((attempt) => {
      const d = decide({ kind: 'response', status: 500 }, state(attempt));
      assert.equal(d.action, 'retry');
      return d.action === 'retry' ? d.delayMs : 0;
    });
    assert.deepEqual(delays, [375, 750, 1500, 3000]);
    for (const random of [0, 1]) {
      const d = backoffDelay(3, DEFAULT_RETRY, () => random);
      assert.ok(d >= 1_000 && d <= 2_000);
    }
    assert.ok(backoffDelay(30, DEFAULT_RETRY, () => 1) <= DEFAULT_RETRY.maxDelayMs);
    for (const outcome of [
      { kind: 'response', status: 429 },
      { kind: 'response', status: 502 },
      { kind: 'network', code: 'ECONNRESET', message: 'read ECONNRESET' },
      { kind: 'network', message: 'socket hang up' },
      { kind: 'network', code: 'ETIMEDOUT', message: 'no answer within 60000 ms' },
    ] as Outcome[]) {
      assert.equal(decide(outcome, state(1)).action, 'retry', JSON.stringify(outcome));
    }
  });

  it('does not retry permanent errors: other 4xx, 501, TLS failures', () => {
    for (const status of [400, 403, 404, 409, 413, 501]) {
      const d = decide({ kind: 'response', status, code: 'ErrorAccessDenied' }, state(1));
      assert.deepEqual([d.action, d.action === 'fail' && d.retryable], ['fail', false], String(status));
    }
    const tls = decide({ kind: 'network', code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, state(1));
    assert.deepEqual([tls.action, tls.action === 'fail' && tls.retryable], ['fail', false]);
  });

  it('refreshes the token once on 401 InvalidAuthenticationToken, then gives up', () => {
    assert.equal(decide({ kind: 'response', status: 401, code: 'InvalidAuthenticationToken' }, state(1)).action, 'refresh-token');
    const again = decide({ kind: 'response', status: 401, code: 'InvalidAuthenticationToken' }, state(2, { refreshedToken: true }));
    assert.deepEqual([again.action, again.action === 'fail' && again.retryable], ['fail', false]);
  });

  it('bounds attempts and total time', () => {
    const last = decide({ kind: 'response', status: 503, retryAfterMs: 1_000 }, state(DEFAULT_RETRY.maxAttempts));
    assert.deepEqual([last.action, last.action === 'fail' && last.retryable], ['fail', true]);
    const late = decide({ kind: 'response', status: 429, retryAfterMs: 120_000 }, state(1, { now: 9 * 60_000 }));
    assert.equal(late.action, 'fail');
    assert.match(late.action === 'fail' ? late.reason : '', /600 s/);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('5', now), 5_000);
    assert.equal(parseRetryAfter(['2'], now), 2_000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('retries in the client (scripted Graph, fake clock)', () => {
  it('waits at least Retry-After before each retry and reports the attempts', async () => {
    const sentAt: number[] = [];
    const { client, clock, transport } = fakeClient((_req, i) => {
      sentAt.push(clock.now());
      return i < 2 ? graphError(429, 'ApplicationThrottled', 'MailboxConcurrency', { 'retry-after': '7' }) : response(202);
    });
    const result = await clock.run(client.send(message));
    assert.equal(result.attempts, 3);
    assert.equal(transport.requests.length, 3);
    assert.ok(sentAt[1]! - sentAt[0]! >= 7_000 && sentAt[2]! - sentAt[1]! >= 7_000, JSON.stringify(sentAt));
    assert.equal(result.requestIds.length, 3);
    assert.equal(client.stats().throttled, 2);
    const ids = new Set(transport.requests.map((r) => r.headers['client-request-id']));
    assert.equal(ids.size, 3, 'a new client-request-id per attempt');
    for (const r of transport.requests) {
      assert.equal(r.url, 'https://graph.example.test/v1.0/me/sendMail');
      assert.equal(r.headers.authorization, 'Bearer token-1');
    }
  });

  it('gives up after the attempt bound with a retryable error carrying the diagnosis', async () => {
    const { client, clock, transport } = fakeClient(() => graphError(503, 'ServiceUnavailable', 'down', { 'retry-after': '1' }));
    const err = await failure(clock.run(client.send(message)));
    assert.equal(transport.requests.length, DEFAULT_RETRY.maxAttempts);
    assert.deepEqual([err.status, err.code, err.attempts, err.retryable], [503, 'ServiceUnavailable', 6, true]);
    assert.equal(err.requestIds.length, 6);
    assert.ok(err.requestId);
    assert.equal(err.diagnosis?.guideStep, 'throttling');
  });

  it('honours a configured attempt bound and retries network resets', async () => {
    const { client, clock, transport } = fakeClient((_r, i) => (i < 2 ? networkError() : response(202)), { retry: { maxAttempts: 3 } });
    assert.equal((await clock.run(client.send(message))).attempts, 3);
    assert.equal(client.stats().networkErrors, 2);
    const failing = fakeClient(() => networkError('ECONNRESET', 'read ECONNRESET'), { retry: { maxAttempts: 2 } });
    const err = await failure(failing.clock.run(failing.client.send(message)));
    assert.deepEqual([err.code, err.status, err.attempts, err.retryable], ['NetworkError', 0, 2, true]);
    assert.equal(failing.transport.requests.length, 2);
    assert.equal(transport.requests.length, 3);
  });

  it('does not retry a permanent 4xx and attaches the catalog diagnosis', async () => {
    const { client, clock, transport } = fakeClient(() => graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'));
    const err = await failure(clock.run(client.send(message)));
    assert.equal(transport.requests.length, 1);
    assert.deepEqual([err.status, err.code, err.attempts, err.retryable], [403, 'ErrorAccessDenied', 1, false]);
    assert.equal(err.diagnosis?.code, 'ErrorAccessDenied');
    assert.match(err.diagnosis!.fix, /API permissions/);
  });

  it('gives up when Retry-After would pass the time allowed per message', async () => {
    const { client, clock, transport } = fakeClient(() => graphError(429, 'ApplicationThrottled', 'x', { 'retry-after': '400' }), { retry: { maxTotalMs: 60_000 } });
    const err = await failure(clock.run(client.send(message)));
    assert.equal(transport.requests.length, 1);
    assert.equal(err.retryable, true);
    assert.match(err.message, /60 s allowed/);
  });

  it('refreshes the token once on 401 InvalidAuthenticationToken, then succeeds', async () => {
    const provider = new CountingTokenProvider();
    const { client, clock, transport } = fakeClient(
      (req) => (req.headers.authorization === 'Bearer token-1' ? graphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.') : response(202)),
      { tokenProvider: provider },
    );
    const result = await clock.run(client.send(message));
    assert.equal(provider.forcedRefreshes, 1);
    assert.equal(result.attempts, 2);
    assert.deepEqual(transport.requests.map((r) => r.headers.authorization), ['Bearer token-1', 'Bearer token-2']);
    assert.equal(result.timings.retryWaitMs, 0, 'no backoff before the retry with the new token');
    assert.equal(client.stats().forcedTokenRefreshes, 1);
  });

  it('refreshes only once for a burst of sends that all saw the same expired token', async () => {
    const provider = new CountingTokenProvider();
    const { client, clock } = fakeClient(
      (req) => (req.headers.authorization === 'Bearer token-1' ? graphError(401, 'InvalidAuthenticationToken') : response(202)),
      { tokenProvider: provider },
    );
    const results = await clock.run(Promise.all(Array.from({ length: 8 }, () => client.send(message))));
    assert.equal(results.length, 8);
    assert.equal(provider.forcedRefreshes, 1);
  });

  it('refreshes once even when the provider handed each send a different stale token', async () => {
    let stale = 0;
    let forced = 0;
    const provider = {
      async getAccessToken(o?: { forceRefresh?: boolean }) {
        if (o?.forceRefresh) forced += 1;
        const accessToken = forced > 0 ? 'fresh' : `stale-${++stale}`;
        return { accessToken, expiresOn: new Date(Date.now() + 3_600_000), scopes: ['Mail.Send'] };
      },
    };
    const { client, clock, transport } = fakeClient((req) => (req.headers.authorization === 'Bearer fresh' ? response(202) : graphError(401, 'InvalidAuthenticationToken')), {
      tokenProvider: provider as never,
    });
    const results = await clock.run(Promise.all(Array.from({ length: 6 }, () => client.send(message))));
    assert.equal(forced, 1);
    assert.ok(results.every((r) => r.attempts === 2));
    assert.equal(transport.requests.filter((r) => r.headers.authorization === 'Bearer fresh').length, 6);
  });

  it('fails without retrying further when the refreshed token is refused too', async () => {
    const provider = new CountingTokenProvider();
    const { client, clock, transport } = fakeClient(() => graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.'), { tokenProvider: provider });
    const err = await failure(clock.run(client.send(message)));
    assert.equal(transport.requests.length, 2);
    assert.equal(provider.forcedRefreshes, 1);
    assert.deepEqual([err.status, err.code, err.retryable], [401, 'InvalidAuthenticationToken', false]);
    assert.equal(err.diagnosis?.guideStep, 'sign-in-again');
  });

  it('reports a token that cannot be obtained as TokenAcquisitionFailed with "sign in again", sending nothing', async () => {
    const revoked = {
      getAccessToken: async () => {
        throw Object.assign(new Error('invalid_grant: AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed.'), { errorCode: 'invalid_grant' });
      },
    };
    const { client, clock, transport } = fakeClient(() => response(202), { tokenProvider: revoked as never });
    const err = await failure(clock.run(client.send(message)));
    assert.equal(transport.requests.length, 0);
    assert.deepEqual([err.code, err.attempts, err.status], ['TokenAcquisitionFailed', 0, 0]);
    assert.equal(err.diagnosis?.code, 'AADSTS50173');
    assert.equal(err.diagnosis?.guideStep, 'sign-in-again');
  });
});

describe('tokenFailureRetry: a token that could not be had (issue 16)', () => {
  it('waits, not fails, when the shared token cache\'s database does not answer, also under the sign-in module\'s wrapper', () => {
    const down = new PgTokenCacheError('Could not read the token cache: the database refused the connection.');
    assert.deepEqual(tokenFailureRetry(down), { retryable: true, retryAfterMs: TOKEN_CACHE_RETRY_SECONDS * 1000 });
    const wrapped = Object.assign(new Error('Could not get an access token.'), { code: 'SignInFailed', cause: down });
    assert.deepEqual(tokenFailureRetry(wrapped), { retryable: true, retryAfterMs: TOKEN_CACHE_RETRY_SECONDS * 1000 });
  });

  it('a refusal with no wait in it is still not retried', () => {
    const refused = Object.assign(new Error('AADSTS65001: consent'), { code: 'invalid_grant', cause: new Error('consent_required') });
    assert.deepEqual(tokenFailureRetry(refused), { retryable: false, retryAfterMs: undefined });
  });
});
