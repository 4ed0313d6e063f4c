import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { runCli, signedInHome, tempHome, testEnv } from '../support/cli.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const CLIENT_SECRET = 'Xy7~backup-test-secret-' + randomBytes(6).toString('hex');
const PASSPHRASE = 'correct horse battery staple';

function storeFile(home: string): string {
  return join(home, 'data', 'o365-notify.db');
}

function countEvents(home: string): number {
  const db = new Database(storeFile(home), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function secretsOf(home: string): Promise<{ secret?: string; cache?: string }> {
  const store = await openSecretStore(home, testEnv(home), { keyring: null });
  return { secret: await store.getClientSecret(), cache: await store.readTokenCache() };
}

async function archiveEntries(file: string): Promise<string[]> {
  const entries: string[] = [];
  await tar.list({ file, onReadEntry: (e) => entries.push(e.path) });
  return entries;
}

describe('backup and restore of a home directory', () => {
  let emu: TestEmulator;
  let home: string;
  let work: string;
  let original: { secret?: string; cache?: string };
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    emu = await startTestEmulator();
    const made = await signedInHome(emu, { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, upn: `alerts@${DEMO_DOMAIN}`, to: `it-team@${DEMO_DOMAIN}` });
    home = made.home;
    cleanups.push(made.cleanup);
    await (await openSecretStore(home, testEnv(home), { keyring: null })).setClientSecret(CLIENT_SECRET);
    for (const summary of ['Backup job failed', 'Verification failed']) {
      const r = await runCli(['event', '--type', 'imagemanager.verification_failed', '--severity', 'critical', '--agent', 'srv1', '--summary', summary], { home });
      assert.equal(r.code, 0, r.stderr);
    }
    original = await secretsOf(home);
    assert.ok(original.cache, 'signed in: a token cache exists');
    work = await mkdtemp(join(tmpdir(), 'o365-backups-'));
  });
  after(async () => {
    for (const c of cleanups) await c();
    await emu.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('writes a 0600 archive without the master key and without any secret in plain text', async () => {
    const file = join(work, 'plain.tgz');
    const r = await runCli(['backup', file], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /restores only where that key is/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const entries = await archiveEntries(file);
    assert.ok(entries.includes('manifest.json') && entries.includes('home/settings.yaml') && entries.includes('home/data/o365-notify.db'));
    assert.ok(entries.includes('home/secrets/client-secret.enc'));
    assert.deepEqual(entries.filter((e) => e.includes('keys/') || e.endsWith('-wal') || e.endsWith('-shm')), []);
    const bytes = gunzipSync(await readFile(file)).toString('latin1');
    assert.ok(!bytes.includes(CLIENT_SECRET), 'the client secret is not in the archive in plain text');
    const refresh = /"secret":\s*"([^"]{20,})"/.exec(original.cache!)?.[1];
    assert.ok(refresh && !bytes.includes(refresh), 'no token from the cache is in the archive');
  });

  it('without a passphrase restores into the same home (its key kept), with the events and secrets', async () => {
    const file = join(work, 'same-home.tgz');
    assert.equal((await runCli(['backup', file], { home })).code, 0);
    const { home: restoreHome, cleanup } = await tempHome();
    cleanups.push(cleanup);
    // Another home has another key: the restore is refused and leaves nothing behind.
    const elsewhere = await runCli(['restore', file], { home: restoreHome });
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /encrypted with another master key .* nothing was restored.*--passphrase-stdin/);
    assert.equal(existsSync(join(restoreHome, 'settings.yaml')), false);
    // The original home, its data lost but its key kept: --replace moves what is there aside.
    const r = await runCli(['restore', file, '--replace'], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /The files it replaced are in .*backups\/replaced-/);
    assert.equal(countEvents(home), 2);
    assert.deepEqual(await secretsOf(home), original);
  });

  it('with a passphrase restores on another machine (another master key): secrets re-sealed with its key', async () => {
    const file = join(work, 'portable.tgz');
    const short = await runCli(['backup', file, '--passphrase-stdin'], { home, stdin: 'too short\n' });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /too short .* at least 12/);
    const r = await runCli(['backup', file, '--passphrase-stdin'], { home, stdin: `${PASSPHRASE}\n` });
    assert.equal(r.code, 0, r.stderr);
    const entries = await archiveEntries(file);
    assert.deepEqual(entries.filter((e) => e.startsWith('home/secrets/')), [], 'master-key-sealed files are not carried');
    const { home: other, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const otherKey = randomBytes(32).toString('base64');
    const env = testEnv(other, { O365_NOTIFY_KEY: otherKey });
    const noPass = await runCli(['restore', file], { home: other, env });
    assert.match(noPass.stderr, /sealed with a passphrase: give it with --passphrase-file FILE or --passphrase-stdin/);
    const wrong = await runCli(['restore', file, '--passphrase-stdin'], { home: other, env, stdin: 'the wrong passphrase\n' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /passphrase does not open/);
    const passFile = join(work, 'pass.txt');
    await writeFile(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const ok = await runCli(['restore', file, '--passphrase-file', passFile], { home: other, env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(countEvents(other), 2);
    const store = await openSecretStore(other, env, { keyring: null });
    assert.equal(store.keySource, 'env');
    assert.equal(await store.getClientSecret(), CLIENT_SECRET);
    assert.equal(await store.readTokenCache(), original.cache);
    // The restored home works as the original: signed in, the service's checks pass.
    const doctor = await runCli(['--json', 'doctor', '--no-send'], { home: other, env });
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  });

  it('takes a consistent snapshot while another connection is writing', async () => {
    const writer = new Database(storeFile(home));
    try {
      writer.pragma('busy_timeout = 5000');
      writer.exec('BEGIN IMMEDIATE');
      writer.prepare("UPDATE events SET summary = 'uncommitted' WHERE id = (SELECT min(id) FROM events)").run();
      const file = join(work, 'online.tgz');
      const r = await runCli(['backup', file], { home });
      assert.equal(r.code, 0, r.stderr);
      writer.exec('ROLLBACK');
      const { home: check, cleanup } = await tempHome();
      cleanups.push(cleanup);
      await tar.extract({ file, cwd: check });
      const db = new Database(join(check, 'home', 'data', 'o365-notify.db'), { readonly: true });
      const summaries = (db.prepare('SELECT summary FROM events ORDER BY id').all() as { summary: string }[]).map((e) => e.summary);
      assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check, 'ok');
      db.close();
      assert.deepEqual(summaries, ['Backup job failed', 'Verification failed']);
    } finally {
      if (writer.inTransaction) writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('refuses a damaged backup and one from a newer o365-notify, saying which', async () => {
    const file = join(work, 'base.tgz');
    assert.equal((await runCli(['backup', file], { home })).code, 0);
    const unpacked = await mkdtemp(join(work, 'x-'));
    await tar.extract({ file, cwd: unpacked });
    await writeFile(join(unpacked, 'home', 'settings.yaml'), 'tampered: true\n');
    const damaged = join(work, 'damaged.tgz');
    await tar.create({ gzip: true, file: damaged, cwd: unpacked }, ['manifest.json', 'home']);
    const { home: target, cleanup } = await tempHome();
    cleanups.push(cleanup);
    const r1 = await runCli(['restore', damaged], { home: target });
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /home\/settings\.yaml in the backup is damaged \(its checksum differs\)/);

    const manifest = JSON.parse(await readFile(join(unpacked, 'manifest.json'), 'utf8')) as { schemaVersion: number };
    manifest.schemaVersion = 999;
    await writeFile(join(unpacked, 'manifest.json'), JSON.stringify(manifest));
    await writeFile(join(unpacked, 'home', 'settings.yaml'), await readFile(join(home, 'settings.yaml')));
    const newer = join(work, 'newer.tgz');
    await tar.create({ gzip: true, file: newer, cwd: unpacked }, ['manifest.json', 'home']);
    const r2 = await runCli(['restore', newer], { home: target });
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /schema version 999 .* Install o365-notify .* or newer, then restore/);

    await writeFile(join(work, 'not-a-backup.tgz'), 'hello');
    const r3 = await runCli(['restore', join(work, 'not-a-backup.tgz')], { home: target });
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /cannot be read as a backup/);
    assert.equal(existsSync(join(target, 'settings.yaml')), false);
  });
});
