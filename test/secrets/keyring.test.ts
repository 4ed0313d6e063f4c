import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AsyncEntry } from '@napi-rs/keyring';
import { openSecretStore, systemKeyring, type Keyring } from '../../src/secrets/index.js';
import { allFiles } from './helpers.js';

const SECRET = 'Abc8Q~Zyx1Wvu2Tsr3Qpo4Nml5Kji6Hgf7Edc8Bae';

let root: string;
let counter = 0;

async function newHome(): Promise<string> {
  const home = path.join(root, `home-${++counter}`);
  await fs.mkdir(home);
  return home;
}

/** An in-memory keyring whose failures the test chooses: the fallbacks of MasterKeyProvider. */
function fakeKeyring(behaviour: { broken?: boolean; readOnly?: boolean } = {}): Keyring & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    name: 'the test keyring',
    entries,
    async get(account) {
      if (behaviour.broken) throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
      return entries.get(account);
    },
    async set(account, value) {
      if (behaviour.broken || behaviour.readOnly) throw new Error('Prompt dismissed');
      entries.set(account, value);
    },
  };
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-keyring-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('which keyring is used', () => {
  it('Linux: only with a D-Bus session and not switched off; Windows and macOS: their own stores', () => {
    assert.equal(systemKeyring({ DBUS_SESSION_BUS_ADDRESS: undefined, XDG_RUNTIME_DIR: undefined }, 'linux'), undefined);
    assert.equal(systemKeyring({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x', O365_NOTIFY_KEYRING: 'off' }, 'linux'), undefined);
    assert.equal(systemKeyring({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'linux')?.name, 'the Secret Service keyring (GNOME Keyring, KWallet)');
    assert.equal(systemKeyring({}, 'win32')?.name, 'the Windows Credential Manager');
    assert.equal(systemKeyring({}, 'darwin')?.name, 'the macOS Keychain');
    assert.equal(systemKeyring({ O365_NOTIFY_KEYRING: 'off' }, 'win32'), undefined);
  });
});

describe('master key fallbacks (keyring injected)', () => {
  it('falls back to the key file when the keyring does not work', async () => {
    const home = await newHome();
    const store = await openSecretStore(home, {}, { keyring: fakeKeyring({ broken: true }) });
    assert.equal(store.keySource, 'key-file');
    await store.setClientSecret(SECRET);
    assert.equal(await (await openSecretStore(home, {}, { keyring: fakeKeyring({ broken: true }) })).getClientSecret(), SECRET);
  });

  it('falls back to the key file when the keyring refuses to store the key', async () => {
    const home = await newHome();
    const keyring = fakeKeyring({ readOnly: true });
    const store = await openSecretStore(home, {}, { keyring });
    await store.setClientSecret(SECRET);
    assert.equal(store.keySource, 'key-file');
    await fs.stat(path.join(home, 'keys', 'master.key'));
    assert.equal(await (await openSecretStore(home, {}, { keyring })).getClientSecret(), SECRET);
  });

  it('when the keyring becomes unreachable, says which key is missing instead of making a new one', async () => {
    const home = await newHome();
    await (await openSecretStore(home, {}, { keyring: fakeKeyring() })).setClientSecret(SECRET);
    const store = await openSecretStore(home, {}, { keyring: null });
    await assert.rejects(store.getClientSecret(), /encrypted with key \w+ from keyring, but that key cannot be found/);
    await assert.rejects(store.writeTokenCache('{}'), /no new key is made/);
  });

  it('an explicit O365_NOTIFY_KEY wins over the keyring', async () => {
    const home = await newHome();
    const keyring = fakeKeyring();
    const store = await openSecretStore(home, { O365_NOTIFY_KEY: Buffer.alloc(32, 7).toString('base64') }, { keyring });
    assert.equal(store.keySource, 'env');
    await store.setClientSecret(SECRET);
    assert.equal(keyring.entries.size, 0);
  });
});

/**
 * The real thing: GNOME Keyring's Secret Service in a private D-Bus session (scripts/ensure-system-deps.sh
 * installs dbus and gnome-keyring), reached through @napi-rs/keyring exactly as on a desktop.
 */
describe('the Secret Service (gnome-keyring-daemon in a private D-Bus session)', { skip: process.platform !== 'linux' }, () => {
  const daemons: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const dir = await fs.mkdtemp(path.join(root, 'session-'));
    const address = `unix:path=${path.join(dir, 'bus')}`;
    const bus = spawn('dbus-daemon', ['--session', '--nofork', `--address=${address}`], { stdio: 'ignore' });
    daemons.push(bus);
    const deadline = Date.now() + 15_000;
    while (!existsSync(path.join(dir, 'bus'))) {
      if (Date.now() > deadline) throw new Error('dbus-daemon did not start');
      await sleep(50);
    }
    env = { DBUS_SESSION_BUS_ADDRESS: address, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_RUNTIME_DIR: dir };
    const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--components=secrets', '--unlock'], { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'ignore'] });
    daemons.push(keyring);
    keyring.stdin!.end('test-login-password');
    // --unlock creates and unlocks the login keyring from stdin; before that, a write would prompt.
    while (!existsSync(path.join(dir, 'data', 'keyrings', 'login.keyring'))) {
      if (Date.now() > deadline) throw new Error('gnome-keyring-daemon made no login keyring');
      await sleep(50);
    }
    // The binding reads this process's environment when it connects.
    process.env.DBUS_SESSION_BUS_ADDRESS = address;
    for (;;) {
      try {
        await new AsyncEntry('o365-notify-test', 'probe').setPassword('ready');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the Secret Service did not come up: ${(err as Error).message}`);
        await sleep(100);
      }
    }
  });
  after(() => {
    for (const d of daemons.reverse()) d.kill('SIGTERM');
    delete process.env.DBUS_SESSION_BUS_ADDRESS;
  });

  it('holds the master key: no key file, the key bound to this home, and the secret round-trips', async () => {
    const home = await newHome();
    const store = await openSecretStore(home, env);
    assert.equal(store.keySource, 'keyring');
    assert.equal(store.keyLocation, 'the Secret Service keyring (GNOME Keyring, KWallet)');
    await store.setClientSecret(SECRET);
    await assert.rejects(fs.stat(path.join(home, 'keys', 'master.key')), { code: 'ENOENT' });
    const stored = await new AsyncEntry('o365-notify', home).getPassword();
    assert.match(stored ?? '', /^[A-Za-z0-9+/]{43}=$/, 'a 32-byte key in base64 under service o365-notify, account = the home');
    const reopened = await openSecretStore(home, env);
    assert.equal(reopened.keySource, 'keyring');
    assert.equal(await reopened.getClientSecret(), SECRET);
    for (const file of await allFiles(home)) {
      const bytes = await fs.readFile(file);
      assert.ok(!bytes.includes(SECRET) && !bytes.includes(stored!), `${file} holds neither the secret nor the key`);
    }
  });

  it('two homes get two keys', async () => {
    const [a, b] = [await newHome(), await newHome()];
    await (await openSecretStore(a, env)).setClientSecret(SECRET);
    await (await openSecretStore(b, env)).setClientSecret(SECRET);
    assert.notEqual(await new AsyncEntry('o365-notify', a).getPassword(), await new AsyncEntry('o365-notify', b).getPassword());
  });

  it('O365_NOTIFY_KEYRING=off keeps the key in the key file even with the keyring there', async () => {
    const home = await newHome();
    const store = await openSecretStore(home, { ...env, O365_NOTIFY_KEYRING: 'off' });
    await store.setClientSecret(SECRET);
    assert.equal(store.keySource, 'key-file');
    assert.equal(await new AsyncEntry('o365-notify', home).getPassword(), null);
  });
});
