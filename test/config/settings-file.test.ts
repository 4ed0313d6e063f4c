import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  defaultSettings,
  ENVIRONMENT_VARIABLES,
  loadSettings,
  readSettings,
  readSettingsFile,
  resolveHome,
  saveSettings,
  SETTING_FIELDS,
  SettingsError,
  SettingsFileError,
  settingsPath,
} from '../../src/config/index.js';

const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

let root: string;
let counter = 0;
async function freshHome(): Promise<string> {
  const home = path.join(root, `home-${++counter}`);
  await fs.mkdir(home);
  return home;
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-settings-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('resolveHome', () => {
  it('prefers --home, then O365_NOTIFY_HOME, and is always absolute', () => {
    assert.equal(resolveHome('/srv/a', { O365_NOTIFY_HOME: '/srv/b' }), '/srv/a');
    assert.equal(resolveHome(undefined, { O365_NOTIFY_HOME: '/srv/b' }), '/srv/b');
    assert.equal(resolveHome('rel', {}), path.resolve('rel'));
  });

  it('defaults to the per-user data directory of each platform', () => {
    assert.equal(resolveHome(undefined, { HOME: '/home/ann' }, 'linux'), '/home/ann/.config/o365-notify');
    assert.equal(resolveHome(undefined, { HOME: '/home/ann', XDG_CONFIG_HOME: '/cfg' }, 'linux'), '/cfg/o365-notify');
    // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
    assert.equal(resolveHome(undefined, { HOME: '/home/ann', XDG_CONFIG_HOME: 'cfg' }, 'linux'), '/home/ann/.config/o365-notify');
    assert.equal(
      resolveHome(undefined, { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32'),
      'C:\\Users\\ann\\AppData\\Roaming\\o365-notify',
    );
    assert.equal(resolveHome(undefined, { HOME: '/Users/ann' }, 'darwin'), '/Users/ann/Library/Application Support/o365-notify');
  });
});

describe('settings file', () => {
  it('a missing file gives the defaults and creates nothing', async () => {
    const home = await freshHome();
    const settings = await loadSettings(home, {});
    assert.deepEqual(settings, defaultSettings());
    assert.equal(settings.account.auth, 'browser');
    assert.equal(settings.mail.messagesPerMinute, 30);
    assert.equal(settings.service.host, '127.0.0.1');
    assert.equal(settings.service.port, 8025);
    assert.deepEqual(await fs.readdir(home), []);
  });

  it('saves commented YAML with mode 0600 that loads back to the same settings', async () => {
    const home = await freshHome();
    const settings = defaultSettings();
    Object.assign(settings.account, {
      type: 'single-tenant',
      clientId: CLIENT_ID,
      tenantId: TENANT_ID,
      auth: 'app-only',
      sender: 'alerts@contoso.com',
      redirectPort: 53100,
      secretExpires: '2026-03-31',
    });
    settings.mail.to = ['ops@contoso.com', 'boss@contoso.com'];
    settings.mail.messagesPerMinute = 20;
    settings.endpoints = { emulator: 'https://127.0.0.1:8443', emulatorCa: '/tmp/ca.pem' };
    settings.service = { host: '127.0.0.1', port: 9000, durability: 'power-loss' };
    const file = await saveSettings(home, settings, {});
    assert.equal(file, settingsPath(home));
    if (process.platform !== 'win32') assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    const text = await fs.readFile(file, 'utf8');
    assert.match(text, /# Application \(client\) ID/);
    assert.match(text, /# Supported account types/);
    assert.match(text, /Personal Microsoft accounts only" is not supported/);
    assert.deepEqual(await loadSettings(home, {}), settings);
    // Nothing but the settings file: the save is atomic, no temp files left behind.
    assert.deepEqual(await fs.readdir(home), ['settings.yaml']);
  });

  it('round trip keeps the user\'s comments, unknown settings and unknown sections', async () => {
    const home = await freshHome();
    await fs.writeFile(
      settingsPath(home),
      [
        '# my own header',
        'account:',
        '  # the app the IT team registered',
        '  type: multi-tenant   # chosen in 2024',
        `  clientId: ${CLIENT_ID}`,
        '  futureOption: keep me',
        'notifications:',
        '  # rules from a later version',
        '  rules:',
        '    - type: verification-failed',
        '      severity: critical',
        'mail:',
        '  to: [ops@contoso.com]',
        '',
      ].join('\n'),
    );
    const read = await readSettingsFile(home, {});
    assert.deepEqual(read.settings.otherSections, { notifications: { rules: [{ type: 'verification-failed', severity: 'critical' }] } });
    const unknown = read.problems.find((p) => p.field === 'account.futureOption');
    assert.equal(unknown?.severity, 'warning');
    read.settings.account.tenantId = TENANT_ID;
    read.settings.mail.to.push('boss@contoso.com');
    await saveSettings(home, read.settings, {});
    const text = await fs.readFile(settingsPath(home), 'utf8');
    for (const kept of ['# my own header', '# the app the IT team registered', '# chosen in 2024', 'futureOption: keep me', '# rules from a later version', 'severity: critical']) {
      assert.ok(text.includes(kept), `kept "${kept}" in:\n${text}`);
    }
    assert.match(text, /# Directory \(tenant\) ID/, 'a new field gets its comment');
    const again = await loadSettings(home, {});
    assert.equal(again.account.tenantId, TENANT_ID);
    assert.deepEqual(again.mail.to, ['ops@contoso.com', 'boss@contoso.com']);
    assert.deepEqual(again.otherSections, read.settings.otherSections);
  });

  it('a section of an unknown name survives saving into a new home', async () => {
    const settings = defaultSettings();
    settings.otherSections.notifications = { rules: [{ type: 'x' }] };
    const home = await freshHome();
    await saveSettings(home, settings, {});
    assert.deepEqual((await loadSettings(home, {})).otherSections, settings.otherSections);
  });

  it('unsetting a field removes it from the file', async () => {
    const home = await freshHome();
    const settings = defaultSettings();
    Object.assign(settings.account, { type: 'multi-tenant-personal', clientId: CLIENT_ID, tenantId: TENANT_ID });
    await saveSettings(home, settings, {});
    settings.account.tenantId = undefined;
    await saveSettings(home, settings, {});
    assert.doesNotMatch(await fs.readFile(settingsPath(home), 'utf8'), /tenantId:/);
    assert.equal((await loadSettings(home, {})).account.tenantId, undefined);
  });

  it('broken YAML is an error naming the file and the line, and is not overwritten', async () => {
    const home = await freshHome();
    const broken = 'account:\n  type: single-tenant\n  clientId: [unclosed\nmail:\n  to: x\n';
    await fs.writeFile(settingsPath(home), broken);
    await assert.rejects(loadSettings(home, {}), (err: unknown) => {
      assert.ok(err instanceof SettingsFileError);
      assert.equal(err.file, settingsPath(home));
      assert.equal(typeof err.line, 'number');
      assert.ok(err.line! >= 3, `line ${err.line}`);
      assert.match(err.message, new RegExp(`${settingsPath(home).replace(/[.\\/]/g, '\\$&')}, line \\d+`));
      return true;
    });
    await assert.rejects(saveSettings(home, defaultSettings(), {}), SettingsFileError);
    assert.equal(await fs.readFile(settingsPath(home), 'utf8'), broken);
  });

  it('a file that is a list, not sections, is refused', async () => {
    const home = await freshHome();
    await fs.writeFile(settingsPath(home), '- a\n- b\n');
    await assert.rejects(loadSettings(home, {}), /line 1: the top level must be sections/);
  });

  it('values of the wrong type are listed with their line; loadSettings refuses them all at once', async () => {
    const home = await freshHome();
    await fs.writeFile(
      settingsPath(home),
      'account:\n  type: single-tennant\n  auth: browser\n  redirectPort: eighty\n  secretExpires: 2025-02-30\nservice:\n  port: 70000\n',
    );
    const read = await readSettings(home, {});
    const byField = Object.fromEntries(read.problems.map((p) => [p.field, p]));
    assert.match(byField['account.type']!.message, /settings.yaml line 2: account.type must be one of single-tenant, multi-tenant, multi-tenant-personal, personal/);
    assert.match(byField['account.redirectPort']!.message, /line 4: .*port number/);
    assert.match(byField['account.secretExpires']!.message, /line 5: .*YYYY-MM-DD/);
    assert.match(byField['service.port']!.message, /line 7/);
    await assert.rejects(loadSettings(home, {}), (err: unknown) => {
      assert.ok(err instanceof SettingsError);
      assert.equal(err.problems.length, 4);
      return true;
    });
  });

  it('a misspelt field gets a suggestion', async () => {
    const home = await freshHome();
    await fs.writeFile(settingsPath(home), `account:\n  clientID: ${CLIENT_ID}\n  tenant_id: ${TENANT_ID}\n`);
    const read = await readSettings(home, {});
    assert.match(read.problems.find((p) => p.field === 'account.clientID')!.message, /Did you mean account.clientId\?/);
    assert.match(read.problems.find((p) => p.field === 'account.tenant_id')!.message, /Did you mean account.tenantId\?/);
  });
});

describe('environment overrides', () => {
  it('every setting has an O365_NOTIFY_* variable, listed in the exported table', () => {
    for (const spec of SETTING_FIELDS) {
      assert.match(spec.env, /^O365_NOTIFY_[A-Z_]+$/);
      assert.ok(ENVIRONMENT_VARIABLES.some((v) => v.name === spec.env && v.setting === spec.key), spec.key);
    }
    for (const name of ['O365_NOTIFY_HOME', 'O365_NOTIFY_KEY', 'O365_NOTIFY_KEY_FILE', 'O365_NOTIFY_CLIENT_ID', 'O365_NOTIFY_TENANT_ID', 'O365_NOTIFY_TO', 'O365_NOTIFY_EMULATOR', 'O365_NOTIFY_EMULATOR_CA']) {
      assert.ok(ENVIRONMENT_VARIABLES.some((v) => v.name === name), name);
    }
    assert.equal(new Set(ENVIRONMENT_VARIABLES.map((v) => v.name)).size, ENVIRONMENT_VARIABLES.length);
  });

  it('override the file, field by field, and say where each value came from', async () => {
    const home = await freshHome();
    await fs.writeFile(settingsPath(home), `account:\n  type: single-tenant\n  clientId: ${CLIENT_ID}\n  tenantId: ${TENANT_ID}\n`);
    const env = {
      O365_NOTIFY_ACCOUNT_TYPE: 'Multi-Tenant',
      O365_NOTIFY_CLIENT_ID: ' 11111111-2222-3333-4444-555555555555 ',
      O365_NOTIFY_TENANT_ID: '', // empty: ignored
      O365_NOTIFY_AUTH: 'app-only',
      O365_NOTIFY_SENDER: 'alerts@contoso.com',
      O365_NOTIFY_REDIRECT_PORT: '53100',
      O365_NOTIFY_SECRET_EXPIRES: '2026-01-31',
      O365_NOTIFY_TO: 'a@contoso.com, b@contoso.com;c@contoso.com',
      O365_NOTIFY_MESSAGES_PER_MINUTE: '10',
      O365_NOTIFY_EMULATOR: 'https://127.0.0.1:8443/',
      O365_NOTIFY_EMULATOR_CA: '/tmp/ca.pem',
      O365_NOTIFY_SERVICE_HOST: 'localhost',
      O365_NOTIFY_SERVICE_PORT: '9025',
      O365_NOTIFY_SERVICE_DURABILITY: 'power-loss',
      O365_NOTIFY_SERVICE_TLS: 'true',
      O365_NOTIFY_SERVICE_TLS_CERTIFICATE: '/etc/o365/service.pem',
      O365_NOTIFY_SERVICE_TLS_KEY: '/etc/o365/service-key.pem',
      O365_NOTIFY_SMTP_ENABLED: 'yes',
      O365_NOTIFY_REQUESTS_PER_TEN_MINUTES: '5000',
      O365_NOTIFY_RECIPIENTS_PER_DAY: '2000',
      O365_NOTIFY_STORE_RETENTION_DAYS: '30',
      O365_NOTIFY_STORE_FAILED_RETENTION_DAYS: '400',
      O365_NOTIFY_STORE_URL: 'postgres://notify@db.contoso.local/o365',
      O365_NOTIFY_SMTP_HOST: '0.0.0.0',
      O365_NOTIFY_SMTP_PORT: '587',
      O365_NOTIFY_SMTP_TLS_PORT: '465',
      O365_NOTIFY_SMTP_REQUIRE_AUTH: 'true',
      O365_NOTIFY_SMTP_ALLOWED_CLIENTS: '192.168.1.0/24, 10.0.0.5',
      O365_NOTIFY_SMTP_PLAIN_CLIENTS: '10.0.0.5',
      O365_NOTIFY_SMTP_ALLOWED_FROM: 'contoso.com',
      O365_NOTIFY_SMTP_ALLOWED_RECIPIENTS: 'admin@contoso.com,@fabrikam.com',
      O365_NOTIFY_SMTP_FROM_POLICY: 'send-as',
      O365_NOTIFY_SMTP_MAX_MESSAGE_MB: '20',
      O365_NOTIFY_SMTP_MAX_RECIPIENTS: '100',
      O365_NOTIFY_SMTP_MAX_CONNECTIONS_PER_CLIENT: '5',
      O365_NOTIFY_SMTP_MESSAGES_PER_MINUTE: '30',
      O365_NOTIFY_SMTP_AUTH_FAILURES_BEFORE_LOCKOUT: '3',
      O365_NOTIFY_SMTP_LOCKOUT_MINUTES: '10',
      O365_NOTIFY_SMTP_CERTIFICATE: '/tmp/relay.pem',
      O365_NOTIFY_SMTP_CERTIFICATE_KEY: '/tmp/relay-key.pem',
      O365_NOTIFY_SECRET_ROTATE_DAYS: '14',
    };
    const read = await readSettings(home, env);
    assert.deepEqual(read.problems, []);
    const s = read.settings;
    assert.equal(s.account.type, 'multi-tenant');
    assert.equal(s.account.clientId, '11111111-2222-3333-4444-555555555555');
    assert.equal(s.account.tenantId, TENANT_ID);
    assert.equal(s.account.auth, 'app-only');
    assert.equal(s.account.sender, 'alerts@contoso.com');
    assert.equal(s.account.redirectPort, 53100);
    assert.equal(s.account.secretExpires, '2026-01-31');
    assert.equal(s.account.secretRotateDays, 14);
    assert.deepEqual(s.mail.to, ['a@contoso.com', 'b@contoso.com', 'c@contoso.com']);
    assert.equal(s.mail.messagesPerMinute, 10);
    assert.equal(s.mail.requestsPer10Minutes, 5000);
    assert.equal(s.mail.recipientsPerDay, 2000);
    assert.deepEqual(s.store, { retentionDays: 30, failedRetentionDays: 400, url: 'postgres://notify@db.contoso.local/o365' });
    assert.equal(s.endpoints.emulator, 'https://127.0.0.1:8443');
    assert.equal(s.endpoints.emulatorCa, '/tmp/ca.pem');
    assert.deepEqual(s.service, { host: 'localhost', port: 9025, durability: 'power-loss', tls: true, tlsCertificate: '/etc/o365/service.pem', tlsKey: '/etc/o365/service-key.pem' });
    assert.equal(s.smtp.enabled, true);
    assert.deepEqual(s.smtp.allowedClients, ['192.168.1.0/24', '10.0.0.5']);
    assert.deepEqual(s.smtp.allowedRecipients, ['admin@contoso.com', 'fabrikam.com']);
    assert.equal(s.smtp.fromPolicy, 'send-as');
    assert.equal(read.sources['account.type'], 'O365_NOTIFY_ACCOUNT_TYPE');
    assert.equal(read.sources['account.tenantId'], 'file');
    assert.equal(read.sources['mail.to'], 'O365_NOTIFY_TO');
    // Every field was overridden by its own variable.
    for (const spec of SETTING_FIELDS) {
      if (spec.key !== 'account.tenantId') assert.equal(read.sources[spec.key], spec.env, spec.key);
    }
  });

  it('a bad environment value names the variable', async () => {
    const home = await freshHome();
    await fs.writeFile(settingsPath(home), 'account:\n  auth: bogus\n');
    const read = await readSettings(home, { O365_NOTIFY_AUTH: 'sometimes', O365_NOTIFY_SERVICE_PORT: '0' });
    const auth = read.problems.filter((p) => p.field === 'account.auth');
    assert.equal(auth.length, 1, 'the variable replaces the file\'s problem for the same field');
    assert.match(auth[0]!.message, /O365_NOTIFY_AUTH.*one of browser, device-code, app-only/);
    assert.match(read.problems.find((p) => p.field === 'service.port')!.message, /O365_NOTIFY_SERVICE_PORT/);
    await assert.rejects(loadSettings(home, { O365_NOTIFY_AUTH: 'sometimes' }), SettingsError);
  });

  it('readSettingsFile ignores the environment (what setup saves back)', async () => {
    const home = await freshHome();
    const read = await readSettingsFile(home, { O365_NOTIFY_CLIENT_ID: CLIENT_ID });
    assert.equal(read.settings.account.clientId, undefined);
  });
});
