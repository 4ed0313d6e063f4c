import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  applySteps,
  InstallStepError,
  serviceInstallPlan,
  serviceUninstallPlan,
  systemdUnit,
  type CommandRunner,
  type ServiceHost,
} from '../../src/ops/index.js';
import { runCli } from '../support/cli.js';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const program = { node: process.execPath, entry: join(ROOT, 'src/cli/bin.ts'), packageRoot: ROOT };

function linuxHost(overrides: Partial<ServiceHost> = {}): ServiceHost & { calls: string[][] } {
  const calls: string[][] = [];
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args]);
    return { code: 0, stdout: '', stderr: '' };
  };
  return {
    platform: 'linux',
    env: {},
    isAdmin: async () => true,
    systemdRunning: () => true,
    userExists: async () => false,
    program: () => program,
    run,
    calls,
    ...overrides,
  };
}

function directives(unit: string, name: string): string[] {
  return unit.split('\n').filter((l) => l.startsWith(`${name}=`)).map((l) => l.slice(name.length + 1));
}

describe('service install on Linux: a hardened systemd unit', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'o365-unit-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('runs serve as its own user with the file system read-only but its home, and waits for /readyz', () => {
    const unit = systemdUnit({ user: 'o365-notify', home: '/var/lib/o365-notify', program, lowPorts: false });
    assert.deepEqual(directives(unit, 'User'), ['o365-notify']);
    assert.deepEqual(directives(unit, 'ProtectSystem'), ['strict']);
    assert.deepEqual(directives(unit, 'ProtectHome'), ['yes']);
    assert.deepEqual(directives(unit, 'NoNewPrivileges'), ['yes']);
    assert.deepEqual(directives(unit, 'ReadWritePaths'), ['/var/lib/o365-notify']);
    assert.deepEqual(directives(unit, 'StateDirectory'), ['o365-notify']);
    assert.deepEqual(directives(unit, 'Restart'), ['on-failure']);
    assert.deepEqual(directives(unit, 'CapabilityBoundingSet'), ['']);
    assert.match(directives(unit, 'ExecStart')[0]!, / --home \/var\/lib\/o365-notify serve$/);
    assert.match(directives(unit, 'ExecStartPost')[0]!, / service wait-ready --timeout 60s$/);
    // V8's JIT writes executable memory: the one hardening Node.js cannot take.
    assert.deepEqual(directives(unit, 'MemoryDenyWriteExecute'), []);
  });

  it('--low-ports grants only CAP_NET_BIND_SERVICE, and drops the user namespace that would void it', () => {
    const unit = systemdUnit({ user: 'o365-notify', home: '/var/lib/o365-notify', program, lowPorts: true });
    assert.deepEqual(directives(unit, 'CapabilityBoundingSet'), ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(directives(unit, 'AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(directives(unit, 'PrivateUsers'), []);
  });

  it('binds a program installed under /root back in read-only, and quotes paths with spaces and %', () => {
    const unit = systemdUnit({
      user: 'svc',
      home: '/srv/o365 notify',
      program: { node: '/root/.nvm/versions/node/v20/bin/node', entry: '/root/o365/dist/cli/bin.js', packageRoot: '/root/o365' },
      lowPorts: false,
    });
    assert.deepEqual(directives(unit, 'ProtectHome'), ['tmpfs']);
    assert.deepEqual(directives(unit, 'BindReadOnlyPaths'), ['/root/.nvm/versions/node/v20/bin /root/o365']);
    assert.deepEqual(directives(unit, 'StateDirectory'), []);
    assert.deepEqual(directives(unit, 'ReadWritePaths'), ['"/srv/o365 notify"']);
    const withPercent = systemdUnit({ user: 'svc', home: '/srv/100%', program, lowPorts: false });
    assert.deepEqual(directives(withPercent, 'ReadWritePaths'), ['/srv/100%%']);
  });

  it('passes systemd-analyze verify, and systemd-analyze security rates it OK or better', async (t) => {
    const file = join(dir, 'o365-notify.service');
    await writeFile(file, systemdUnit({ user: 'o365-notify', home: '/var/lib/o365-notify', program, lowPorts: false }));
    const verify = await exec('systemd-analyze', ['verify', file]).catch((err: { stderr: string; code: number }) => err);
    assert.equal('code' in verify ? verify.code : 0, 0, 'stderr' in verify ? verify.stderr : '');
    assert.equal(verify.stderr.trim(), '', 'verify prints no warning');
    const security = await exec('systemd-analyze', ['security', '--offline=true', '--no-pager', file]).catch((err: { stdout: string }) => err);
    const m = /Overall exposure level for o365-notify\.service: ([\d.]+) (\w+)/.exec(security.stdout);
    assert.ok(m, security.stdout.slice(-500));
    t.diagnostic(`systemd-analyze security: exposure ${m[1]} ${m[2]}`);
    assert.ok(['SAFE', 'OK'].includes(m[2]!), `exposure ${m[1]} ${m[2]}`);
  });

  it('makes the user only when missing, creates the token before handing the home over, and starts it', async () => {
    const home = join(dir, 'home-a');
    const host = linuxHost();
    const order: string[] = [];
    const plan = await serviceInstallPlan(
      { home, lowPorts: false, start: true, unitDir: dir, prepareHome: () => [{ kind: 'action', description: 'token', why: 'test', run: async () => void order.push('token') }] },
      host,
    );
    await applySteps(plan.steps, async (command, args) => {
      order.push(command);
      return host.run(command, args);
    });
    assert.deepEqual(order, ['useradd', 'token', 'chown', 'systemctl', 'systemctl']);
    assert.deepEqual(host.calls.at(-1), ['systemctl', 'enable', '--now', 'o365-notify.service']);
    assert.equal((await stat(home)).mode & 0o777, 0o700);
    const unitFile = join(dir, 'o365-notify.service');
    assert.equal((await stat(unitFile)).mode & 0o777, 0o644);
    assert.match(await readFile(unitFile, 'utf8'), /ProtectSystem=strict/);

    const existing = await serviceInstallPlan({ home, lowPorts: false, start: true, unitDir: dir }, linuxHost({ userExists: async () => true }));
    assert.ok(!existing.steps.some((s) => s.kind === 'run' && s.command === 'useradd'));
  });

  it('without a running systemd, only enables it for the next boot and says so', async () => {
    const plan = await serviceInstallPlan({ home: join(dir, 'home-b'), lowPorts: false, start: true, unitDir: dir }, linuxHost({ systemdRunning: () => false }));
    const runs = plan.steps.filter((s) => s.kind === 'run').map((s) => (s.kind === 'run' ? [s.command, ...s.args].join(' ') : ''));
    assert.ok(!runs.some((r) => r.includes('daemon-reload')));
    assert.ok(runs.includes('systemctl enable o365-notify.service'));
    assert.match(plan.next.join('\n'), /PID 1 is not systemd/);
  });

  it('stops at the first failing step, naming it and why it was needed', async () => {
    const plan = await serviceInstallPlan({ home: join(dir, 'home-c'), lowPorts: false, start: true, unitDir: join(dir, 'never') }, linuxHost());
    const ran: string[] = [];
    await assert.rejects(
      applySteps(plan.steps, async (command) => {
        ran.push(command);
        return command === 'useradd' ? { code: 9, stdout: '', stderr: 'useradd: group o365-notify exists' } : { code: 0, stdout: '', stderr: '' };
      }),
      (err: unknown) => {
        assert.ok(err instanceof InstallStepError);
        assert.match(err.message, /useradd .* failed: useradd: group o365-notify exists\. This step was needed to create the system user/);
        return true;
      },
    );
    assert.deepEqual(ran, ['useradd']);
    assert.equal(existsSync(join(dir, 'home-c')), false);
  });

  it('refuses a home the service could not see, with the folder to use instead', async () => {
    await assert.rejects(serviceInstallPlan({ home: '/home/admin/o365', lowPorts: false, start: true }, linuxHost()), /under \/home.*Use the default \/var\/lib\/o365-notify/);
    await assert.rejects(serviceInstallPlan({ user: 'Bad User', lowPorts: false, start: true }, linuxHost()), /not a usable user name/);
  });

  it('uninstall stops it, removes the unit and keeps the home', () => {
    const plan = serviceUninstallPlan({ unitDir: dir }, linuxHost());
    assert.deepEqual(plan.steps.map((s) => s.kind), ['run', 'remove', 'run']);
    assert.match(plan.next.join('\n'), /stay in \/var\/lib\/o365-notify/);
  });

  it('refuses to install from the TypeScript sources and says how to install the package', async () => {
    const r = await runCli(['service', 'install', '--dry-run', '--unit-dir', join(dir, 'dry')], { home: join(dir, 'dry-home') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /running from its TypeScript sources.*npm install -g --allow-scripts=better-sqlite3/);
  });
});
