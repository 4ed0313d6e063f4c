import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureTlsMaterial } from '../../packages/emulator/src/tls.js';
import { httpsCall } from '../support/emulator.js';

/** Starts `o365-notify --json emulator ...` as a real process; resolves with its first JSON line. */
function startEmulatorProcess(args: string[]): Promise<{ child: ChildProcess; info: { url: string; caPath: string; restored: boolean; secrets: { value: string }[] } }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', '--json', 'emulator', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ child, info: JSON.parse(line) });
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
  });
}

describe('o365-notify emulator (standalone process)', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) c.kill('SIGTERM');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('loads a YAML seed, prints its URL and CA, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'o365-emu-cli-'));
    dirs.push(dir);
    const seed = join(dir, 'seed.yaml');
    await writeFile(seed, [
      'tenants:',
      '  - displayName: Fabrikam',
      '    domains: [fabrikam.onmicrosoft.com]',
      'users:',
      '  - upn: ops@fabrikam.onmicrosoft.com',
      '    tenant: fabrikam.onmicrosoft.com',
      'apps:',
      '  - displayName: ImageManager',
      '    tenant: fabrikam.onmicrosoft.com',
      '    signInAudience: AzureADMyOrg',
      '    redirectUris: { mobileAndDesktop: [http://localhost] }',
      '    allowPublicClientFlows: true',
      '    delegatedPermissions: [Mail.Send]',
      '    secrets: [{ displayName: s, expiresInDays: 10 }]',
      '',
    ].join('\n'));
    const { child, info } = await startEmulatorProcess(['--data', join(dir, 'data'), '--seed', seed]);
    children.push(child);
    assert.match(info.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.secrets.length, 1);
    const { readFile } = await import('node:fs/promises');
    const ca = await readFile(info.caPath, 'utf8');
    const state = (await httpsCall(`${info.url}/_emulator/state`, { ca })).json();
    assert.ok(state.tenants.some((t: { domains: string[] }) => t.domains.includes('fabrikam.onmicrosoft.com')));
    assert.equal(state.apps.length, 1);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('serves a given certificate with --tls-cert/--tls-key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'o365-emu-cli-'));
    dirs.push(dir);
    const own = await ensureTlsMaterial(join(dir, 'own-ca'));
    await writeFile(join(dir, 'cert.pem'), own.certPem);
    await writeFile(join(dir, 'key.pem'), own.keyPem);
    const { child, info } = await startEmulatorProcess(['--data', join(dir, 'data'), '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    children.push(child);
    const res = await httpsCall(`${info.url}/_emulator/stats`, { ca: own.caPem });
    assert.equal(res.status, 200);
  });

  it('a bad seed file is a clear error, not a crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'o365-emu-cli-'));
    dirs.push(dir);
    await writeFile(join(dir, 'bad.yaml'), 'users:\n  - upn: x@nowhere.example\n    tenant: nowhere.example\n');
    await assert.rejects(startEmulatorProcess(['--data', join(dir, 'data'), '--seed', join(dir, 'bad.yaml')]), /unknown tenant "nowhere\.example"/);
  });

  it('a restart on the same --data is the same tenant (no secrets shown again); --reset makes a new one (issue 13.15)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'o365-emu-cli-'));
    dirs.push(dir);
    const run = async (extra: string[]) => {
      const { child, info } = await startEmulatorProcess(['--data', join(dir, 'data'), ...extra]);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      return info;
    };
    const first = await run([]);
    assert.equal(first.restored, false);
    assert.ok(first.secrets.length > 0);
    const again = await run([]);
    assert.equal(again.restored, true);
    assert.deepEqual(again.secrets, []);
    const reset = await run(['--reset']);
    assert.equal(reset.restored, false);
    assert.ok(reset.secrets.length > 0);
    assert.notEqual(reset.secrets[0]!.value, first.secrets[0]!.value);
  });
});
