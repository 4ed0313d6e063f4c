import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ENVELOPE_FORMAT,
  MasterKeyError,
  openSecretStore,
  SECRET_FILES,
  SecretDecryptError,
} from '../../src/secrets/index.js';
import { allFiles, isolatedEnv, modeOf } from './helpers.js';

const SECRET = 'Abc8Q~Zyx1Wvu2Tsr3Qpo4Nml5Kji6Hgf7Edc8Bae';
const posix = process.platform !== 'win32';

// A token cache shaped like msal-node's, with recognisable fake tokens.
const ACCESS_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzY3AiOiJNYWlsLlNlbmQifQ.c2lnbmF0dXJlLW9mLWFjY2Vzcy10b2tlbg';
const REFRESH_TOKEN = '0.AXoAv4j5cvGGr0GRqy180BHbR-fake-refresh-token-0123456789abcdefghijklmnopqrstuvwxyz';
const TOKEN_CACHE = JSON.stringify({
  Account: { 'uid.utid-login.microsoftonline.com-utid': { username: 'admin@contoso.com' } },
  AccessToken: { at1: { credential_type: 'AccessToken', secret: ACCESS_TOKEN, target: 'Mail.Send openid profile' } },
  RefreshToken: { rt1: { credential_type: 'RefreshToken', secret: REFRESH_TOKEN } },
  IdToken: {},
  AppMetadata: {},
});

let root: string;
let counter = 0;
async function freshHome(): Promise<string> {
  const home = path.join(root, `home-${++counter}`);
  await fs.mkdir(home);
  return home;
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-secrets-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('secret store', () => {
  it('opening creates nothing; the first write creates the key file and the encrypted file', async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    assert.equal(store.keySource, 'key-file');
    assert.equal(await store.getClientSecret(), undefined);
    assert.equal(await store.readTokenCache(), undefined);
    assert.equal(await store.hasClientSecret(), false);
    assert.deepEqual(await fs.readdir(home), []);

    await store.setClientSecret(`${SECRET}\n`);
    assert.equal(await store.hasClientSecret(), true);
    assert.equal(await store.getClientSecret(), SECRET, 'trimmed and decrypted');
    const reopened = await openSecretStore(home, isolatedEnv());
    assert.equal(await reopened.getClientSecret(), SECRET);
  });

  it('files and directories are owner-only, the key apart from the data', { skip: !posix }, async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    await store.setClientSecret(SECRET);
    await store.writeTokenCache(TOKEN_CACHE);
    await store.setClientCertificate({ privateKeyPem: 'placeholder, not key material (this test checks file modes only)', certificatePem: 'placeholder certificate' });
    assert.equal(await modeOf(path.join(home, 'keys')), 0o700);
    assert.equal(await modeOf(path.join(home, 'keys', 'master.key')), 0o600);
    assert.equal(await modeOf(path.join(home, 'secrets')), 0o700);
    assert.equal(await modeOf(path.join(home, 'secrets', SECRET_FILES['client-secret'])), 0o600);
    assert.equal(await modeOf(path.join(home, 'secrets', SECRET_FILES['token-cache'])), 0o600);
    assert.equal(await modeOf(path.join(home, 'secrets', SECRET_FILES['client-certificate'])), 0o600);
    // No temp or lock files left behind.
    assert.deepEqual((await fs.readdir(path.join(home, 'secrets'))).sort(), Object.values(SECRET_FILES).sort());
  });

  it('hasClientCertificate: a stored certificate counts; none, or one that cannot be decrypted, counts as absent', async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    assert.equal(await store.hasClientCertificate(), false);
    await store.setClientCertificate({ privateKeyPem: 'placeholder, not key material', certificatePem: 'placeholder certificate' });
    assert.equal(await store.hasClientCertificate(), true);
    await fs.writeFile(path.join(home, 'secrets', SECRET_FILES['client-certificate']), 'damaged, not an envelope');
    await assert.rejects(store.getClientCertificate());
    assert.equal(await store.hasClientCertificate(), false, 'an unreadable certificate signs nothing');
  });

  it('neither the secret nor any token appears in plain text anywhere in the home dir', async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    await store.setClientSecret(SECRET);
    await store.withTokenCacheLock(() => store.writeTokenCache(TOKEN_CACHE));
    const files = await allFiles(home);
    assert.ok(files.length >= 3, files.join(', '));
    const needles = [SECRET, ACCESS_TOKEN, REFRESH_TOKEN, 'admin@contoso.com', 'Mail.Send'];
    for (const file of files) {
      const bytes = await fs.readFile(file);
      for (const needle of needles) {
        assert.ok(!bytes.includes(needle), `${needle.slice(0, 12)}... found in ${file}`);
        assert.ok(!bytes.includes(Buffer.from(needle).toString('base64')), `base64 of ${needle.slice(0, 12)}... in ${file}`);
      }
    }
    assert.equal(await store.readTokenCache(), TOKEN_CACHE);
  });

  it('writes a versioned JSON envelope with a fresh IV every time', async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    const file = path.join(home, 'secrets', SECRET_FILES['client-secret']);
    await store.setClientSecret(SECRET);
    const first = JSON.parse(await fs.readFile(file, 'utf8'));
    await store.setClientSecret(SECRET);
    const second = JSON.parse(await fs.readFile(file, 'utf8'));
    assert.equal(first.format, ENVELOPE_FORMAT);
    assert.equal(first.v, 1);
    assert.equal(first.alg, 'AES-256-GCM');
    assert.equal(first.purpose, 'client-secret');
    assert.equal(Buffer.from(first.iv, 'base64').length, 12);
    assert.notEqual(first.iv, second.iv);
    assert.notEqual(first.data, second.data);
  });

  it('clear removes the secret and the token cache', async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    await store.setClientSecret(SECRET);
    await store.writeTokenCache(TOKEN_CACHE);
    await store.clearClientSecret();
    await store.clearTokenCache();
    assert.equal(await store.getClientSecret(), undefined);
    assert.equal(await store.readTokenCache(), undefined);
    await assert.rejects(store.setClientSecret('   '), /empty/);
  });
});

describe('errors a user can meet', () => {
  it('a tampered ciphertext is detected', async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    await store.setClientSecret(SECRET);
    const file = path.join(home, 'secrets', SECRET_FILES['client-secret']);
    const envelope = JSON.parse(await fs.readFile(file, 'utf8'));
    const data = Buffer.from(envelope.data, 'base64');
    data[0] = data[0]! ^ 1;
    envelope.data = data.toString('base64');
    await fs.writeFile(file, JSON.stringify(envelope));
    await assert.rejects(store.getClientSecret(), (err: unknown) => {
      assert.ok(err instanceof SecretDecryptError);
      assert.equal(err.reason, 'tampered');
      assert.match(err.message, /modified or damaged.*o365-notify setup/);
      return true;
    });
  });

  it('files swapped between purposes are refused, even with the purpose label edited', async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    await store.setClientSecret(SECRET);
    const secretFile = path.join(home, 'secrets', SECRET_FILES['client-secret']);
    const cacheFile = path.join(home, 'secrets', SECRET_FILES['token-cache']);
    await fs.copyFile(secretFile, cacheFile);
    await assert.rejects(store.readTokenCache(), (err: unknown) => err instanceof SecretDecryptError && err.reason === 'wrong-purpose');
    const envelope = JSON.parse(await fs.readFile(cacheFile, 'utf8'));
    envelope.purpose = 'token-cache';
    await fs.writeFile(cacheFile, JSON.stringify(envelope));
    // The purpose is bound into the ciphertext (AAD): relabelling does not help.
    await assert.rejects(store.readTokenCache(), (err: unknown) => err instanceof SecretDecryptError && err.reason === 'tampered');
  });

  it('a changed key says so and how to fix it', async () => {
    const home = await freshHome();
    const keyA = randomBytes(32).toString('base64');
    const keyB = randomBytes(32).toString('base64');
    await (await openSecretStore(home, isolatedEnv({ O365_NOTIFY_KEY: keyA }))).setClientSecret(SECRET);
    await (await openSecretStore(home, isolatedEnv({ O365_NOTIFY_KEY: keyA }))).writeTokenCache(TOKEN_CACHE);
    const other = await openSecretStore(home, isolatedEnv({ O365_NOTIFY_KEY: keyB }));
    assert.equal(other.keySource, 'env');
    await assert.rejects(other.getClientSecret(), (err: unknown) => {
      assert.ok(err instanceof SecretDecryptError);
      assert.equal(err.reason, 'wrong-key');
      assert.match(err.message, /different key.*restore the original key.*o365-notify setup/);
      return true;
    });
    await assert.rejects(other.readTokenCache(), /different key.*o365-notify login/);
  });

  it('a lost key file: reading explains, and no new key is made over the old data', async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    await store.setClientSecret(SECRET);
    await fs.rm(path.join(home, 'keys'), { recursive: true });
    const after = await openSecretStore(home, isolatedEnv());
    await assert.rejects(after.getClientSecret(), /cannot be found.*restore the key.*o365-notify setup/);
    await assert.rejects(after.writeTokenCache(TOKEN_CACHE), (err: unknown) => err instanceof MasterKeyError && /no new key is made/.test(err.message));
    await assert.rejects(fs.stat(path.join(home, 'keys', 'master.key')), { code: 'ENOENT' });
  });

  it('a malformed O365_NOTIFY_KEY is a clear error', async () => {
    const home = await freshHome();
    await assert.rejects(openSecretStore(home, isolatedEnv({ O365_NOTIFY_KEY: 'not-a-key' })), /O365_NOTIFY_KEY is not a valid key.*32 random bytes in base64.*openssl rand -base64 32/);
    await assert.rejects(openSecretStore(home, isolatedEnv({ O365_NOTIFY_KEY: randomBytes(16).toString('base64') })), /decodes to 16 bytes/);
  });

  it('O365_NOTIFY_KEY_FILE puts the key where asked', async () => {
    const home = await freshHome();
    const keyFile = path.join(root, `elsewhere-${counter}`, 'o365.key');
    const store = await openSecretStore(home, isolatedEnv({ O365_NOTIFY_KEY_FILE: keyFile }));
    await store.setClientSecret(SECRET);
    assert.equal(store.keyLocation, keyFile);
    if (posix) assert.equal(await modeOf(keyFile), 0o600);
    await assert.rejects(fs.stat(path.join(home, 'keys', 'master.key')), { code: 'ENOENT' });
    assert.equal(await (await openSecretStore(home, isolatedEnv({ O365_NOTIFY_KEY_FILE: keyFile }))).getClientSecret(), SECRET);
  });

  it('a key file readable by others is refused with the fix', { skip: !posix }, async () => {
    const home = await freshHome();
    const store = await openSecretStore(home, isolatedEnv());
    await store.setClientSecret(SECRET);
    await fs.chmod(path.join(home, 'keys', 'master.key'), 0o644);
    await assert.rejects((await openSecretStore(home, isolatedEnv())).getClientSecret(), /can be read by other users.*chmod 600/);
  });

  it('a damaged key file is a clear error', async () => {
    const home = await freshHome();
    await fs.mkdir(path.join(home, 'keys'), { mode: 0o700 });
    await fs.writeFile(path.join(home, 'keys', 'master.key'), 'garbage\n', { mode: 0o600 });
    await assert.rejects((await openSecretStore(home, isolatedEnv())).setClientSecret(SECRET), /master.key is not a valid key/);
  });
});
