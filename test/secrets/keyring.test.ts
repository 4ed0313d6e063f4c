import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSecretStore, systemKeyring } from '../../src/secrets/index.js';
import { allFiles } from './helpers.js';

const SECRET = 'Abc8Q~Zyx1Wvu2Tsr3Qpo4Nml5Kji6Hgf7Edc8Bae';

// A stand-in for libsecret's secret-tool: one entry kept in a file, every call logged.
const FAKE_SECRET_TOOL = `#!/bin/sh
echo "$*" >> "$FAKE_KEYRING/calls"
if [ -n "$FAKE_KEYRING_BROKEN" ]; then echo "Cannot autolaunch D-Bus without X11 \\$DISPLAY" >&2; exit 1; fi
case "$1" in
  lookup) if [ -f "$FAKE_KEYRING/entry" ]; then cat "$FAKE_KEYRING/entry"; exit 0; fi; exit 1 ;;
  store) if [ -n "$FAKE_KEYRING_READONLY" ]; then echo "Prompt dismissed" >&2; exit 1; fi; cat > "$FAKE_KEYRING/entry"; exit 0 ;;
esac
exit 2
`;

let root: string;
let bin: string;
let counter = 0;

async function setup(extra: NodeJS.ProcessEnv = {}) {
  const n = ++counter;
  const home = path.join(root, `home-${n}`);
  const keyringDir = path.join(root, `keyring-${n}`);
  await fs.mkdir(home);
  await fs.mkdir(keyringDir);
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
    FAKE_KEYRING: keyringDir,
    ...extra,
  };
  return { home, keyringDir, env };
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-keyring-'));
  bin = path.join(root, 'bin');
  await fs.mkdir(bin);
  await fs.writeFile(path.join(bin, 'secret-tool'), FAKE_SECRET_TOOL, { mode: 0o755 });
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('OS keyring (secret-tool)', { skip: process.platform !== 'linux' }, () => {
  it('is used only with secret-tool present, a D-Bus session, and not switched off', async () => {
    const { env } = await setup();
    assert.ok(systemKeyring(env, 'linux'));
    assert.equal(systemKeyring({ ...env, DBUS_SESSION_BUS_ADDRESS: undefined, XDG_RUNTIME_DIR: undefined }, 'linux'), undefined);
    assert.equal(systemKeyring({ ...env, PATH: '/nonexistent' }, 'linux'), undefined);
    assert.equal(systemKeyring({ ...env, O365_NOTIFY_KEYRING: 'off' }, 'linux'), undefined);
    assert.equal(systemKeyring(env, 'win32'), undefined);
  });

  it('holds the master key: no key file, the key bound to this home, and the secret round-trips', async () => {
    const { home, keyringDir, env } = await setup();
    const store = await openSecretStore(home, env);
    assert.equal(store.keySource, 'keyring');
    await store.setClientSecret(SECRET);
    await assert.rejects(fs.stat(path.join(home, 'keys', 'master.key')), { code: 'ENOENT' });
    const reopened = await openSecretStore(home, env);
    assert.equal(reopened.keySource, 'keyring');
    assert.equal(await reopened.getClientSecret(), SECRET);
    const calls = await fs.readFile(path.join(keyringDir, 'calls'), 'utf8');
    assert.match(calls, new RegExp(`store --label o365-notify master key \\(${home.replace(/[.\\/]/g, '\\$&')}\\) service o365-notify account ${home.replace(/[.\\/]/g, '\\$&')}`));
    assert.ok(!calls.includes(await fs.readFile(path.join(keyringDir, 'entry'), 'utf8')), 'the key never goes on the command line');
    for (const file of await allFiles(home)) assert.ok(!(await fs.readFile(file)).includes(SECRET), file);
  });

  it('falls back to the key file when the keyring does not work', async () => {
    const { home, env } = await setup({ FAKE_KEYRING_BROKEN: '1' });
    const store = await openSecretStore(home, env);
    assert.equal(store.keySource, 'key-file');
    await store.setClientSecret(SECRET);
    assert.equal(await (await openSecretStore(home, env)).getClientSecret(), SECRET);
  });

  it('falls back to the key file when the keyring refuses to store the key', async () => {
    const { home, env } = await setup({ FAKE_KEYRING_READONLY: '1' });
    const store = await openSecretStore(home, env);
    await store.setClientSecret(SECRET);
    assert.equal(store.keySource, 'key-file');
    await fs.stat(path.join(home, 'keys', 'master.key'));
    assert.equal(await (await openSecretStore(home, env)).getClientSecret(), SECRET);
  });

  it('when the keyring becomes unreachable, says which key is missing instead of making a new one', async () => {
    const { home, env } = await setup();
    await (await openSecretStore(home, env)).setClientSecret(SECRET);
    const noBus = { ...env, DBUS_SESSION_BUS_ADDRESS: undefined, XDG_RUNTIME_DIR: undefined };
    const store = await openSecretStore(home, noBus);
    await assert.rejects(store.getClientSecret(), /encrypted with key \w+ from keyring, but that key cannot be found/);
    await assert.rejects(store.writeTokenCache('{}'), /no new key is made/);
  });

  it('an explicit O365_NOTIFY_KEY wins over the keyring', async () => {
    const { home, keyringDir, env } = await setup({ O365_NOTIFY_KEY: Buffer.alloc(32, 7).toString('base64') });
    const store = await openSecretStore(home, env);
    assert.equal(store.keySource, 'env');
    await store.setClientSecret(SECRET);
    await assert.rejects(fs.stat(path.join(keyringDir, 'calls')), { code: 'ENOENT' });
  });
});
