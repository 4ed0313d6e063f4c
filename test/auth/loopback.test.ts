import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { SignInCancelledError, startLoopbackListener } from '../../src/auth/loopback.js';

async function isListening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`);
    return true;
  } catch {
    return false;
  }
}

describe('loopback redirect listener', () => {
  it('takes a form_post response with the right state, answers with the success page, and stops listening', async () => {
    const listener = await startLoopbackListener({ expectedState: 's1', timeoutMs: 10_000 });
    assert.match(listener.redirectUri, /^http:\/\/localhost:\d+$/);
    const res = await fetch(`http://127.0.0.1:${listener.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=abc&state=s1&client_info=xyz',
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /signed in/i);
    const r = await listener.response;
    assert.equal(r.code, 'abc');
    assert.equal(r.clientInfo, 'xyz');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await isListening(listener.port), false);
  });

  it('ignores a response whose state does not match (forged or stale) and keeps waiting', async () => {
    const listener = await startLoopbackListener({ expectedState: 'good', timeoutMs: 10_000 });
    const forged = await fetch(`http://127.0.0.1:${listener.port}/?code=evil&state=bad`);
    assert.equal(forged.status, 400);
    const favicon = await fetch(`http://127.0.0.1:${listener.port}/favicon.ico`);
    assert.equal(favicon.status, 404);
    await fetch(`http://127.0.0.1:${listener.port}/?code=real&state=good`);
    assert.equal((await listener.response).code, 'real');
  });

  it('passes an error response through and shows the error page', async () => {
    const listener = await startLoopbackListener({ expectedState: 's', timeoutMs: 10_000 });
    const res = await fetch(`http://127.0.0.1:${listener.port}/?error=access_denied&error_description=AADSTS65004%3A+declined&state=s`);
    assert.match(await res.text(), /AADSTS65004/);
    const r = await listener.response;
    assert.equal(r.error, 'access_denied');
  });

  it('times out and leaves no listener behind', async () => {
    const listener = await startLoopbackListener({ expectedState: 's', timeoutMs: 200 });
    await assert.rejects(listener.response, (err: unknown) => err instanceof SignInCancelledError && err.reason === 'timeout');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await isListening(listener.port), false);
  });

  it('cancels on abort (Ctrl-C) and leaves no listener behind', async () => {
    const abort = new AbortController();
    const listener = await startLoopbackListener({ expectedState: 's', timeoutMs: 10_000, signal: abort.signal });
    abort.abort();
    await assert.rejects(listener.response, (err: unknown) => err instanceof SignInCancelledError && err.reason === 'cancelled');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await isListening(listener.port), false);
  });

  it('listens on the configured port, and explains what to do when it is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(startLoopbackListener({ port, expectedState: 's', timeoutMs: 1000 }), /in use.*setup --port.*Mobile and desktop/s);
    } finally {
      blocker.close();
    }
    const listener = await startLoopbackListener({ port, expectedState: 's', timeoutMs: 1000 });
    assert.equal(listener.redirectUri, `http://localhost:${port}`);
    await listener.close();
  });
});
