import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { defaultSettings, saveSettings, settingsPath, type Settings } from '../../src/config/index.js';
import { openSecretStore } from '../../src/secrets/index.js';

const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SECRET = 'Abc8Q~Zyx1Wvu2Tsr3Qpo4Nml5Kji6Hgf7Edc8Bae';

let root: string;
let counter = 0;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-config-cmd-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function freshHome(): Promise<string> {
  const home = path.join(root, `home-${++counter}`);
  await fs.mkdir(home, { mode: 0o700 });
  return home;
}

function envFor(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: root, O365_NOTIFY_KEYRING: 'off', ...extra };
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _e, cb) {
        append(String(chunk));
        cb();
      },
    });
  const code = await main(argv, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: new PassThrough(),
    env,
  });
  return { code, stdout, stderr };
}

async function configured(home: string, edit: (s: Settings) => void = () => undefined): Promise<void> {
  const s = defaultSettings();
  Object.assign(s.account, { type: 'single-tenant', clientId: CLIENT_ID, tenantId: TENANT_ID, secretExpires: '2099-12-31' });
  s.mail.to = ['ops@contoso.com'];
  edit(s);
  await saveSettings(home, s, {});
}

describe('o365-notify config show', () => {
  it('shows the defaults for a new home, creating nothing', async () => {
    const home = await freshHome();
    const r = await run(['--home', home, 'config', 'show'], envFor());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no file yet: run `o365-notify setup`/);
    assert.match(r.stdout, /account\.auth\s+browser\s+\[default\]/);
    assert.match(r.stdout, /client secret\s+not set/);
    assert.match(r.stdout, /redirect URI\s+http:\/\/localhost /);
    assert.deepEqual(await fs.readdir(home), []);
  });

  it('masks the client secret: "set (expires ...)", never its value', async () => {
    const home = await freshHome();
    await configured(home);
    const env = envFor();
    await (await openSecretStore(home, env)).setClientSecret(SECRET);
    const text = await run(['--home', home, 'config', 'show'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /client secret\s+set \(expires 2099-12-31\)/);
    assert.match(text.stdout, new RegExp(`authority\\s+https://login.microsoftonline.com/${TENANT_ID}`));
    assert.ok(!text.stdout.includes(SECRET));
    const json = await run(['config', 'show', '--json'], envFor({ O365_NOTIFY_HOME: home }));
    assert.equal(json.code, 0, json.stderr);
    assert.ok(!json.stdout.includes(SECRET));
    const data = JSON.parse(json.stdout);
    assert.equal(data.clientSecret, 'set (expires 2099-12-31)');
    assert.equal(data.settings.account.clientId, CLIENT_ID);
    assert.equal(data.keySource, 'key-file');
    assert.equal(data.path, settingsPath(home));
  });

  it('says which values come from the environment', async () => {
    const home = await freshHome();
    await configured(home);
    const r = await run(['--home', home, '--json', 'config', 'show'], envFor({ O365_NOTIFY_TENANT_ID: 'contoso.onmicrosoft.com' }));
    const data = JSON.parse(r.stdout);
    assert.equal(data.settings.account.tenantId, 'contoso.onmicrosoft.com');
    assert.equal(data.sources['account.tenantId'], 'O365_NOTIFY_TENANT_ID');
    assert.equal(data.authority, 'https://login.microsoftonline.com/contoso.onmicrosoft.com');
    const text = await run(['--home', home, 'config', 'show'], envFor({ O365_NOTIFY_TENANT_ID: 'contoso.onmicrosoft.com' }));
    assert.match(text.stdout, /account\.tenantId\s+contoso\.onmicrosoft\.com\s+\[from O365_NOTIFY_TENANT_ID\]/);
  });

  it('a broken settings file fails with the file and line', async () => {
    const home = await freshHome();
    await fs.writeFile(settingsPath(home), 'account:\n  type: [\n');
    const r = await run(['--home', home, 'config', 'show'], envFor());
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`${settingsPath(home)}, line`), r.stderr);
  });
});

describe('o365-notify config check', () => {
  it('exits 0 when the settings follow the guide', async () => {
    const home = await freshHome();
    await configured(home);
    const r = await run(['--home', home, 'config', 'check'], envFor());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no problems found/);
  });

  it('lists every problem with its guide step and exits 1', async () => {
    const home = await freshHome();
    await configured(home, (s) => {
      s.account.type = 'multi-tenant-personal';
      s.account.clientId = 'my-app';
      s.account.auth = 'app-only';
    });
    const r = await run(['--home', home, 'config', 'check'], envFor());
    assert.equal(r.code, 1);
    assert.match(r.stdout, /error\s+account\.clientId is not a GUID.*\[guide step: client-id\]/);
    assert.match(r.stdout, /error\s+account\.tenantId must be blank.*\[guide step: tenant-id\]/);
    assert.match(r.stdout, /error\s+account\.auth app-only is not possible.*\[guide step: account-type\]/);
    assert.match(r.stdout, /error\s+account\.sender is required.*\[guide step: mailbox\]/);
    assert.match(r.stdout, /error\s+account\.auth app-only needs a client secret.*\[guide step: client-secret\]/);
    assert.match(r.stdout, /5 errors, 0 warnings/);
    const json = await run(['--home', home, 'config', 'check', '--json'], envFor());
    assert.equal(json.code, 1);
    const data = JSON.parse(json.stdout);
    assert.equal(data.ok, false);
    assert.equal(data.errors, 5);
    for (const p of data.problems) assert.deepEqual(Object.keys(p).sort(), ['field', 'guideStep', 'message', 'severity']);
  });

  it('warnings alone exit 0', async () => {
    const home = await freshHome();
    await configured(home, (s) => (s.mail.to = []));
    const r = await run(['--home', home, 'config', 'check'], envFor());
    assert.equal(r.code, 0);
    assert.match(r.stdout, /warning\s+notifications\.recipients: no recipients/);
    assert.match(r.stdout, /0 errors, 1 warning/);
  });

  it('flags a stored secret that is the Secret ID, without printing it', async () => {
    const home = await freshHome();
    await configured(home);
    const secretId = '0b7a3f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    await (await openSecretStore(home, envFor())).setClientSecret(secretId);
    const r = await run(['--home', home, 'config', 'check'], envFor());
    assert.equal(r.code, 1);
    assert.match(r.stdout, /"Secret ID", not the secret/);
    assert.ok(!r.stdout.includes(secretId));
  });

  it('reports a changed key for the stored secret', async () => {
    const home = await freshHome();
    await configured(home);
    await (await openSecretStore(home, envFor({ O365_NOTIFY_KEY: randomBytes(32).toString('base64') }))).setClientSecret(SECRET);
    const r = await run(['--home', home, 'config', 'check'], envFor({ O365_NOTIFY_KEY: randomBytes(32).toString('base64') }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /error\s+.*different key.*\[guide step: client-secret\]/);
  });

  it('reports unusable values once, with their line, and the environment variable that set them', async () => {
    const home = await freshHome();
    await fs.writeFile(settingsPath(home), `account:\n  type: personal-only\n  clientId: ${CLIENT_ID}\nmail:\n  to: [ops@contoso.com]\n`);
    const r = await run(['--home', home, 'config', 'check', '--json'], envFor({ O365_NOTIFY_SERVICE_PORT: 'http' }));
    assert.equal(r.code, 1);
    const data = JSON.parse(r.stdout) as { problems: Array<{ field: string; message: string }> };
    const type = data.problems.filter((p) => p.field === 'account.type');
    assert.equal(type.length, 1);
    assert.match(type[0]!.message, /settings.yaml line 2/);
    assert.match(data.problems.find((p) => p.field === 'service.port')!.message, /O365_NOTIFY_SERVICE_PORT/);
  });

  it('checks that the emulator CA file exists', async () => {
    const home = await freshHome();
    await configured(home, (s) => (s.endpoints = { emulator: 'https://127.0.0.1:8443', emulatorCa: path.join(home, 'missing-ca.pem') }));
    const r = await run(['--home', home, 'config', 'check'], envFor());
    assert.equal(r.code, 1);
    assert.match(r.stdout, /endpoints\.emulatorCa .*missing-ca\.pem does not exist/);
  });

  it('a broken settings file is one error naming the line', async () => {
    const home = await freshHome();
    await fs.writeFile(settingsPath(home), 'account:\n  type: single-tenant\n   clientId: x\n');
    const r = await run(['--home', home, 'config', 'check', '--json'], envFor());
    assert.equal(r.code, 1);
    const data = JSON.parse(r.stdout);
    assert.equal(data.problems.length, 1);
    assert.match(data.problems[0].message, /settings\.yaml, line \d/);
  });
});

describe('o365-notify config usage', () => {
  it('needs show or check', async () => {
    assert.equal((await run(['config'], envFor())).code, 2);
    const r = await run(['config', 'list'], envFor());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown config command "list"/);
    assert.equal((await run(['config', 'show', '--verbose'], envFor())).code, 2);
    const help = await run(['config', '--help'], envFor());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /config check/);
  });
});
