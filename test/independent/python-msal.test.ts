/**
 * An independent client against the emulator: Microsoft's MSAL for Python (Debian's
 * python3-msal), not our code and not msal-node. It runs device code + a forced refresh
 * and client credentials (with a secret, and with a certificate credential made by `register` and
 * `certificate create`), then sends mail with each token through Graph.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { openSecretStore, type ClientCertificate } from '../../src/secrets/index.js';
import { testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { registrationTenant } from '../registration/support.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../python/msal_client.py', import.meta.url));
const SENDER = `alerts@${DEMO_DOMAIN}`;
const RECIPIENT = `it-team@${DEMO_DOMAIN}`;
/** Graph's audience: its app id, or its URI (Entra uses the form the scope named). */
const GRAPH_AUDIENCES = ['00000003-0000-0000-c000-000000000000', 'https://graph.microsoft.com'];

function pythonMsalMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import msal, requests; print(msal.__version__)'], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  return `${PYTHON} cannot import msal/requests (${(probe.stderr || String(probe.error)).trim().split('\n').pop()}); install Debian's python3-msal (scripts/ensure-system-deps.sh does it in npm test)`;
}

interface ScriptEvent {
  event: string;
  [key: string]: unknown;
}

interface ScriptRun {
  code: number | null;
  events: ScriptEvent[];
  stderr: string;
}

/** Runs msal_client.py with JSON arguments on stdin; `onEvent` sees each JSON line as it arrives. */
function runPythonClient(args: Record<string, unknown>, onEvent: (e: ScriptEvent) => Promise<void> | void = () => undefined): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    // PYTHONPATH and friends from the caller's environment must not swap in another msal.
    const child = spawn(PYTHON, ['-I', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } });
    const events: ScriptEvent[] = [];
    const pending: Promise<void>[] = [];
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let event: ScriptEvent;
      try {
        event = JSON.parse(line) as ScriptEvent;
      } catch {
        stderr += `(stdout, not JSON) ${line}\n`;
        return;
      }
      events.push(event);
      pending.push(Promise.resolve(onEvent(event)));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      Promise.all(pending).then(() => resolve({ code, events, stderr }), reject);
    });
    child.stdin.end(JSON.stringify(args));
  });
}

function explain(run: ScriptRun): string {
  return `exit ${run.code}\nevents: ${JSON.stringify(run.events, null, 1)}\nstderr: ${run.stderr.slice(-2000)}`;
}

const missing = pythonMsalMissing();
if (missing) console.log(`# skipping the python-msal tests: ${missing}`);

describe('MSAL for Python (python3-msal) against the emulator', { skip: missing }, () => {
  let emulator: TestEmulator;
  const tag = `py-${randomBytes(4).toString('hex')}`;

  before(async () => {
    emulator = await startTestEmulator();
    // Entra asks for 5 s between polls; 1 s keeps the test short (python-msal honours `interval`).
    const behaviour = await emulator.call('PUT', '/_emulator/behaviour', { deviceCodeIntervalSeconds: 1 });
    assert.equal(behaviour.status, 200, behaviour.text);
  });

  after(async () => {
    await emulator?.stop();
  });

  const common = () => ({
    ca_bundle: emulator.caPath,
    graph_url: `${emulator.url}/v1.0`,
    to: RECIPIENT,
    subject: tag,
    timeout: 25,
  });

  test('device code, approved by the user, then a forced refresh; both tokens send mail', async () => {
    const approvals: unknown[] = [];
    const run = await runPythonClient(
      {
        ...common(),
        mode: 'device_code',
        authority: `${emulator.url}/${DEMO_TENANT_ID}`,
        client_id: DEMO_APPS.singleTenant,
        scopes: ['Mail.Send'],
      },
      async (event) => {
        if (event.event !== 'device_code') return;
        const approve = await emulator.call('POST', '/_emulator/devicecode/approve', { userCode: event.user_code, upn: SENDER });
        approvals.push({ status: approve.status, body: approve.text });
      },
    );
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(approvals.map((a) => (a as { status: number }).status), [200], JSON.stringify(approvals));

    const deviceCode = run.events.find((e) => e.event === 'device_code')!;
    assert.match(String(deviceCode.user_code), /^[A-Z0-9]{6,12}$/);
    assert.match(String(deviceCode.verification_uri), /\/devicelogin$/);
    assert.match(String(deviceCode.message), new RegExp(String(deviceCode.user_code)));

    const tokens = run.events.filter((e) => e.event === 'token');
    assert.deepEqual(tokens.map((t) => t.grant), ['device_code', 'refresh_token']);
    for (const t of tokens) {
      assert.equal(t.token_type, 'Bearer');
      assert.ok(GRAPH_AUDIENCES.includes(String(t.aud)), `aud ${String(t.aud)}`);
      assert.equal(t.tid, DEMO_TENANT_ID);
      assert.equal(t.upn, SENDER);
      assert.equal(t.appid, DEMO_APPS.singleTenant);
      assert.ok(String(t.scp).split(' ').includes('Mail.Send'), `scp: ${String(t.scp)}`);
      assert.ok(Number(t.expires_in) >= 3600, `expires_in ${String(t.expires_in)}`);
      assert.equal(t.has_refresh_token, true, 'offline_access: python-msal always asks for it');
      assert.equal(t.has_id_token, true);
    }
    assert.notEqual(tokens[0]!.fingerprint, tokens[1]!.fingerprint, 'the refresh issued a new access token');

    const account = run.events.find((e) => e.event === 'account')!;
    assert.equal(account.username, SENDER, 'MSAL built its account from the id token and client_info');

    const sends = run.events.filter((e) => e.event === 'sendMail');
    assert.deepEqual(sends.map((s) => [s.path, s.status, s.body]), [
      ['/me/sendMail', 202, null],
      ['/me/sendMail', 202, null],
    ]);

    const inbox = await emulator.call('GET', `/_emulator/mailboxes/${encodeURIComponent(RECIPIENT)}/messages`);
    assert.equal(inbox.status, 200, inbox.text);
    const mine = (inbox.json() as { subject: string; from: { address: string } | null }[]).filter((m) => m.subject.startsWith(tag));
    assert.deepEqual(mine.map((m) => m.subject).sort(), [`${tag} device code`, `${tag} refreshed`]);
    for (const m of mine) assert.equal(m.from?.address, SENDER);
  });

  test('client credentials with the secret; the app-only token sends as a named mailbox', async () => {
    const secret = emulator.seededSecrets.find((s) => s.clientId === DEMO_APPS.appOnly);
    assert.ok(secret, 'the demo seed creates a secret for the app-only app');
    const run = await runPythonClient({
      ...common(),
      mode: 'client_credentials',
      // A verified domain instead of the GUID: Entra accepts both as the tenant segment.
      authority: `${emulator.url}/${DEMO_DOMAIN}`,
      client_id: DEMO_APPS.appOnly,
      client_secret: secret.value,
      sender: SENDER,
    });
    assert.equal(run.code, 0, explain(run));
    const token = run.events.find((e) => e.event === 'token')!;
    assert.equal(token.grant, 'client_credentials');
    assert.ok(GRAPH_AUDIENCES.includes(String(token.aud)), `aud ${String(token.aud)}`);
    assert.equal(token.tid, DEMO_TENANT_ID);
    assert.deepEqual(token.roles, ['Mail.Send']);
    assert.equal(token.scp, null, 'an app-only token carries roles, not scp');
    assert.equal(token.upn, null);
    assert.equal(token.has_refresh_token, false, 'client credentials never return a refresh token');

    const send = run.events.find((e) => e.event === 'sendMail')!;
    assert.deepEqual([send.path, send.status], [`/users/${SENDER}/sendMail`, 202]);

    const inbox = await emulator.call('GET', `/_emulator/mailboxes/${encodeURIComponent(RECIPIENT)}/messages`);
    const mine = (inbox.json() as { subject: string; from: { address: string } | null; appId?: string }[]).filter(
      (m) => m.subject === `${tag} client credentials`,
    );
    assert.equal(mine.length, 1, inbox.text);
    assert.equal(mine[0]!.from?.address, SENDER);
  });

  test('a wrong secret fails with AADSTS7000215 as python-msal reports it', async () => {
    const run = await runPythonClient({
      ...common(),
      mode: 'client_credentials',
      authority: `${emulator.url}/${DEMO_TENANT_ID}`,
      client_id: DEMO_APPS.appOnly,
      client_secret: 'not-the-secret',
      sender: SENDER,
    });
    assert.equal(run.code, 1, explain(run));
    const error = run.events.find((e) => e.event === 'error')!;
    assert.equal(error.error, 'invalid_client');
    assert.match(String(error.error_description), /^AADSTS7000215: Invalid client secret provided\./);
    assert.deepEqual(error.error_codes, [7000215]);
  });

  test("the emulator's stats count each grant python-msal used", async () => {
    const stats = (await emulator.call('GET', '/_emulator/stats')).json() as { tokenGrantsByType: Record<string, number>; messagesDelivered: number };
    assert.equal(stats.tokenGrantsByType.device_code, 1);
    assert.equal(stats.tokenGrantsByType.refresh_token, 1);
    assert.equal(stats.tokenGrantsByType.client_credentials, 1, 'the failed attempt with a wrong secret is not counted');
    assert.equal(stats.messagesDelivered, 3);
  });
});

describe('MSAL for Python with a certificate-credential app made by `register` and `certificate create`', { skip: missing }, () => {
  const tenant = registrationTenant();
  const to = `py-cert@${DEMO_DOMAIN}`;
  let home: string;
  let clientId: string;

  before(async () => {
    home = await tenant.newHome();
    const registered = await tenant.withDeviceCode(['register', ...tenant.flags(), '--auth', 'app-only', '--sender', SENDER, '--to', to, '--grant-admin-consent', '--name', 'ImageManager (python-msal)'], home, `admin@${DEMO_DOMAIN}`);
    assert.equal(registered.code, 0, registered.stdout + registered.stderr);
    const created = await tenant.withDeviceCode(['certificate', 'create', '--expires', '90d'], home, `admin@${DEMO_DOMAIN}`);
    assert.equal(created.code, 0, created.stdout + created.stderr);
    clientId = (parseYaml(await readFile(join(home, 'settings.yaml'), 'utf8')) as { account: { clientId: string } }).account.clientId;
  });

  const stored = async () => (await (await openSecretStore(home, testEnv(home))).getClientCertificate())!;
  /** The portal's Thumbprint (SHA-1 hex): what MSAL for Python's client_credential asks for. */
  const withCertificate = (certificate: ClientCertificate, subject: string) =>
    runPythonClient({
      mode: 'client_credentials',
      authority: `${tenant.emu.url}/${DEMO_TENANT_ID}`,
      client_id: clientId,
      private_key: certificate.privateKeyPem,
      thumbprint: new X509Certificate(certificate.certificatePem).fingerprint.replace(/:/g, ''),
      ca_bundle: tenant.emu.caPath,
      graph_url: `${tenant.emu.url}/v1.0`,
      sender: SENDER,
      to,
      subject,
    });

  test('signs in with the certificate (x5t, RS256: private_key_jwt) and sends', async () => {
    const run = await withCertificate(await stored(), 'python-msal certificate');
    assert.equal(run.code, 0, explain(run));
    const token = run.events.find((e) => e.event === 'token')!;
    assert.equal(token.appid, clientId);
    assert.deepEqual(token.roles, ['Mail.Send']);
    const send = run.events.find((e) => e.event === 'sendMail')!;
    assert.deepEqual([send.path, send.status], [`/users/${SENDER}/sendMail`, 202]);
    const inbox = (await tenant.emu.call('GET', `/_emulator/mailboxes/${to}/messages`)).json() as { subject: string }[];
    assert.ok(inbox.some((m) => m.subject.startsWith('python-msal certificate')), JSON.stringify(inbox.map((m) => m.subject)));
  });

  test('after `certificate rotate`: the new certificate signs in, the old one is refused with AADSTS700027', async () => {
    const old = await stored();
    const rotated = await tenant.withDeviceCode(['certificate', 'rotate', '--expires', '90d'], home, `admin@${DEMO_DOMAIN}`);
    assert.equal(rotated.code, 0, rotated.stdout + rotated.stderr);
    const fresh = await withCertificate(await stored(), 'python-msal rotated');
    assert.equal(fresh.code, 0, explain(fresh));
    const refused = await withCertificate(old, 'python-msal old certificate');
    assert.equal(refused.code, 1, explain(refused));
    const error = refused.events.find((e) => e.event === 'error')!;
    assert.equal(error.error, 'invalid_client');
    assert.match(String(error.error_description), /^AADSTS700027: /);
  });
});
