/**
 * The registration as evidence (issue 15 item 2): doctor and the settings page check the app
 * registration itself against the guide - as `register` left it, or read again by an
 * administrator - and show each difference on the guide step that fixes it, in the portal's words.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { adminSession, call, startPageService } from '../page/helpers.js';
import { runCli, testEnv } from '../support/cli.js';
import { registrationTenant } from './support.js';

const ADMIN = `admin@${DEMO_DOMAIN}`;
const SENDER = `alerts@${DEMO_DOMAIN}`;

interface Check {
  name: string;
  ok: boolean;
  skipped?: boolean;
  detail: string;
}

interface Step {
  id: string;
  state: string;
  evidence: string;
  problems: { message: string }[];
}

describe('doctor and the settings page read the app registration', () => {
  const tenant = registrationTenant();
  const { newHome, withDeviceCode } = tenant;

  const emulatorFlags = tenant.flags;

  function registrationCheck(stdout: string): Check {
    const check = (JSON.parse(stdout.trim().split('\n').at(-1)!) as { checks: Check[] }).checks.find((c) => c.name === 'registration');
    assert.ok(check, `doctor has a registration check: ${stdout}`);
    return check;
  }

  async function checklist(home: string): Promise<Map<string, Step>> {
    const svc = await startPageService({ home });
    try {
      const session = await adminSession(svc);
      const state = await call(`${svc.url}/ui/api/state`, { headers: { host: new URL(session.origin).host, cookie: session.cookie } });
      assert.equal(state.status, 200, state.text);
      return new Map((state.json().checklist as Step[]).map((s) => [s.id, s]));
    } finally {
      await svc.stop();
    }
  }

  it('delegated: what register made passes; drift made in the portal is found by doctor --read-registration and on the page; register fixes it', async () => {
    const home = await newHome();
    const name = 'ImageManager (evidence test)';
    const made = await withDeviceCode(['register', ...emulatorFlags(), '--grant-admin-consent', '--name', name], home, ADMIN);
    assert.equal(made.code, 0, made.stdout + made.stderr);
    const clientId = (parseYaml(await readFile(join(home, 'settings.yaml'), 'utf8')) as { account: { clientId: string } }).account.clientId;

    // No administrator at hand: doctor checks the registration as register read it.
    const first = await runCli(['doctor', '--json', '--no-send'], { home });
    const recorded = registrationCheck(first.stdout);
    assert.equal(recorded.ok, true, recorded.detail);
    assert.match(recorded.detail, /as `register` read it on .* follows the guide/);
    const page = await checklist(home);
    assert.equal(page.get('public-client-flows')!.state, 'done', page.get('public-client-flows')!.evidence);
    assert.match(page.get('public-client-flows')!.evidence, /Allow public client flows: Yes\. \(From the app registration as `register` read it/);
    assert.equal(page.get('admin-consent')!.state, 'done');
    assert.match(page.get('admin-consent')!.evidence, /Admin consent is granted for Mail\.Send \(Delegated\)/);
    assert.equal(page.get('registered')!.state, 'done');

    // Someone changes the app in the portal.
    const patch = await tenant.emu.call('PATCH', `/_emulator/apps/${clientId}`, { allowPublicClientFlows: false, redirectUris: { mobileAndDesktop: [], web: ['http://localhost'] }, delegatedPermissions: [] });
    assert.equal(patch.status, 200, patch.text);
    const read = await withDeviceCode(['doctor', '--read-registration', '--no-send'], home, ADMIN);
    assert.equal(read.code, 1, read.stdout + read.stderr);
    assert.match(read.stdout, /FAIL {2}registration: the app registration as `doctor --read-registration` read it on .* differs from the guide:/);
    assert.match(read.stdout, /\d\. The app registration differs from the guide: Authentication > Advanced settings > Allow public client flows is No; the guide says Yes\./);
    assert.match(read.stdout, /Authentication > Web > Redirect URIs is http:\/\/localhost \(under Web/);
    assert.match(read.stdout, /API permissions > Microsoft Graph is none; the guide says Mail\.Send \(Delegated\)/);
    assert.match(read.stdout, new RegExp(`run \`o365-notify register --client-id ${clientId}\` to change it for you`));
    assert.doesNotMatch(read.stdout, /ok {2}authority/, 'doctor stops at the registration');

    // The page now shows the same steps, from the fresh read.
    const drifted = await checklist(home);
    for (const id of ['public-client-flows', 'mail-send']) {
      const step = drifted.get(id)!;
      assert.equal(step.state, 'failed', `${id}: ${step.evidence}`);
      assert.match(step.evidence, /In the app registration as `doctor --read-registration` read it/);
    }
    assert.match(drifted.get('public-client-flows')!.problems[0]!.message, /Allow public client flows is No; the guide says Yes/);

    const fixed = await withDeviceCode(['register', ...emulatorFlags(), '--client-id', clientId], home, ADMIN);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    const after_ = registrationCheck((await runCli(['doctor', '--json', '--no-send'], { home })).stdout);
    assert.equal(after_.ok, true, after_.detail);
  });

  it('app-only: an expired client secret listed on the app is found from the registration, with the command that renews it', async () => {
    const home = await newHome();
    const made = await withDeviceCode(
      ['register', ...emulatorFlags(), '--auth', 'app-only', '--sender', SENDER, '--grant-admin-consent', '--name', 'ImageManager (evidence app-only)'],
      home,
      ADMIN,
    );
    assert.equal(made.code, 0, made.stdout + made.stderr);
    const record = await readFile(join(home, 'registration.json'), 'utf8');
    const secret = await (await openSecretStore(home, testEnv(home))).getClientSecret();
    assert.ok(secret && !record.includes(secret), 'the record holds no secret value');
    const clientId = (JSON.parse(record) as { application: { appId: string } }).application.appId;
    await tenant.emu.call('POST', '/_emulator/faults', { action: 'expire-secret', clientId });
    const read = await withDeviceCode(['doctor', '--read-registration', '--no-send'], home, ADMIN);
    assert.equal(read.code, 1, read.stdout + read.stderr);
    assert.match(read.stdout, /FAIL {2}registration: .*differs from the guide:/);
    assert.match(read.stdout, /Certificates & secrets: the client secret "o365-notify" expired on \d{4}-\d{2}-\d{2}\. Run `o365-notify secret rotate`/);
    const page = await checklist(home);
    assert.equal(page.get('identifiers')!.state, 'failed');
    assert.match(page.get('identifiers')!.problems.map((p) => p.message).join(' '), /expired on/);
  });

  it('nothing read: doctor says the check is skipped and how to read the registration', async () => {
    const home = await newHome();
    const setup = await runCli(['setup', '--account-type', 'single-tenant', '--client-id', '11111111-2222-4333-8444-555555555501', '--tenant-id', DEMO_TENANT_ID, '--auth', 'device-code', ...['--emulator', tenant.emu.url, '--emulator-ca', tenant.emu.caPath]], { home });
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    const doctor = await runCli(['doctor', '--no-send'], { home });
    assert.match(doctor.stdout, /skip {2}registration: not read .*`o365-notify doctor --read-registration` reads it as an administrator/);
  });
});
