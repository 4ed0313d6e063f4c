import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveHome } from '../../src/config/index.js';
import { renameReplacing } from '../../src/infra/index.js';
import { homeAclArgs, serviceInstallPlan, serviceStatusCommand, serviceUninstallPlan, SID, windowsArg, winswConfig, type ServiceHost } from '../../src/ops/index.js';

// Every Windows path of `service`, with the platform injected: nothing here runs a Windows program.
const program = { node: 'C:\\Program Files\\nodejs\\node.exe', entry: 'C:\\Program Files\\nodejs\\node_modules\\o365-notify\\dist\\cli\\bin.js', packageRoot: 'C:\\Program Files\\nodejs\\node_modules\\o365-notify' };
const env = { ProgramData: 'D:\\ProgramData', APPDATA: 'C:\\Users\\admin\\AppData\\Roaming' };

function windowsHost(): ServiceHost {
  return {
    platform: 'win32',
    env,
    isAdmin: async () => true,
    systemdRunning: () => false,
    userExists: async () => true,
    program: () => program,
    run: async () => ({ code: 0, stdout: '', stderr: '' }),
  };
}

describe('service install on Windows (platform injected)', () => {
  it('keeps the service\'s data in %ProgramData%\\o365-notify, not in a user\'s %APPDATA%', async () => {
    const plan = await serviceInstallPlan({ lowPorts: false, start: true, wrapper: 'C:\\Downloads\\WinSW-x64.exe' }, windowsHost());
    assert.equal(plan.home, 'D:\\ProgramData\\o365-notify');
    // An interactive user's own home stays under %APPDATA%.
    assert.equal(resolveHome(undefined, env, 'win32'), 'C:\\Users\\admin\\AppData\\Roaming\\o365-notify');
  });

  it('checks the wrapper, locks the home down by SID, writes the WinSW configuration, installs and starts', async () => {
    const plan = await serviceInstallPlan({ lowPorts: false, start: true, wrapper: 'C:\\Downloads\\WinSW-x64.exe' }, windowsHost());
    const runs = plan.steps.flatMap((s) => (s.kind === 'run' ? [[s.command, ...s.args]] : []));
    assert.deepEqual(runs[0], ['C:\\Downloads\\WinSW-x64.exe', 'version']);
    assert.deepEqual(runs[1], ['icacls', 'D:\\ProgramData\\o365-notify', '/inheritance:r', '/grant:r',
      `*${SID.localSystem}:(OI)(CI)F`, `*${SID.administrators}:(OI)(CI)F`, `*${SID.localService}:(OI)(CI)M`]);
    assert.deepEqual(runs.slice(2), [
      ['D:\\ProgramData\\o365-notify\\service\\o365-notify-service.exe', 'install'],
      ['D:\\ProgramData\\o365-notify\\service\\o365-notify-service.exe', 'start'],
    ]);
    const copy = plan.steps.find((s) => s.kind === 'copy-file');
    assert.deepEqual(copy && copy.kind === 'copy-file' ? [copy.from, copy.path] : [], ['C:\\Downloads\\WinSW-x64.exe', 'D:\\ProgramData\\o365-notify\\service\\o365-notify-service.exe']);
    const xml = plan.steps.find((s) => s.kind === 'write-file');
    assert.ok(xml && xml.kind === 'write-file');
    assert.equal(xml.path, 'D:\\ProgramData\\o365-notify\\service\\o365-notify-service.xml');
  });

  it('writes a WinSW file that runs the installed node on the home, as LocalService, with no password in it', () => {
    const xml = winswConfig({ home: 'D:\\ProgramData\\o365-notify', program, account: { name: 'NT AUTHORITY\\LocalService' } });
    assert.match(xml, /<executable>C:\\Program Files\\nodejs\\node\.exe<\/executable>/);
    assert.match(xml, /<arguments>&quot;C:\\Program Files\\nodejs\\node_modules\\o365-notify\\dist\\cli\\bin\.js&quot; --home D:\\ProgramData\\o365-notify serve<\/arguments>/);
    assert.match(xml, /<env name="O365_NOTIFY_HOME" value="D:\\ProgramData\\o365-notify"\/>/);
    assert.match(xml, /<domain>NT AUTHORITY<\/domain>\r\n {4}<user>LocalService<\/user>/);
    assert.match(xml, /<onfailure action="restart"/);
    assert.match(xml, /<startmode>Automatic<\/startmode>/);
    assert.doesNotMatch(xml, /password/i);
    const user = winswConfig({ home: 'D:\\o365', program, account: { name: 'CONTOSO\\svc-o365' } });
    assert.match(user, /<domain>CONTOSO<\/domain>\r\n {4}<user>svc-o365<\/user>\r\n {4}<allowservicelogon>true<\/allowservicelogon>/);
    assert.doesNotMatch(user, /password/i);
  });

  it('quotes arguments the way Windows reads them back (CommandLineToArgvW)', () => {
    assert.equal(windowsArg('C:\\plain'), 'C:\\plain');
    assert.equal(windowsArg('C:\\with space'), '"C:\\with space"');
    assert.equal(windowsArg('C:\\ends in\\'), '"C:\\ends in\\\\"');
    assert.equal(windowsArg('say "hi"'), '"say \\"hi\\""');
  });

  it('grants a named service account modify rights on the home by name; a user account is told to set its password in services.msc', async () => {
    assert.deepEqual(homeAclArgs('D:\\o365', { name: 'CONTOSO\\svc-o365' }).at(-1), 'CONTOSO\\svc-o365:(OI)(CI)M');
    const plan = await serviceInstallPlan({ user: 'CONTOSO\\svc-o365', lowPorts: false, start: false, wrapper: 'C:\\WinSW-x64.exe' }, windowsHost());
    assert.match(plan.next[0]!, /services\.msc > o365-notify > Log On: type the password of CONTOSO\\svc-o365/);
    assert.ok(!plan.steps.some((s) => s.kind === 'run' && s.args[0] === 'start'));
    await assert.rejects(serviceInstallPlan({ user: 'a\\b\\c', lowPorts: false, start: true, wrapper: 'C:\\w.exe' }, windowsHost()), /not a Windows account name/);
  });

  it('without --wrapper, says where to download WinSW and how to pass it', async () => {
    await assert.rejects(serviceInstallPlan({ lowPorts: false, start: true }, windowsHost()), /WinSW-x64\.exe .*github\.com\/winsw\/winsw\/releases .*--wrapper/);
  });

  it('uninstall stops and removes the service and its wrapper, keeping the data; status asks the wrapper', () => {
    const plan = serviceUninstallPlan({}, windowsHost());
    assert.deepEqual(plan.steps.map((s) => (s.kind === 'run' ? s.args[0] : s.kind)), ['stop', 'uninstall', 'remove']);
    assert.match(plan.next[0]!, /stay in D:\\ProgramData\\o365-notify/);
    assert.deepEqual(serviceStatusCommand(windowsHost()), { command: 'D:\\ProgramData\\o365-notify\\service\\o365-notify-service.exe', args: ['status'] });
  });

  it('on macOS says it installs services on Linux and Windows only', async () => {
    await assert.rejects(serviceInstallPlan({ lowPorts: false, start: true }, { ...windowsHost(), platform: 'darwin' }), /Linux \(systemd\) and Windows, not on darwin/);
  });
});

describe('files on NTFS (platform injected)', () => {
  function flakyRename(failures: string[]): { rename: (a: string, b: string) => Promise<void>; calls: number } {
    const state = {
      calls: 0,
      rename: async () => {
        const code = failures[state.calls++];
        if (code) throw Object.assign(new Error(`${code}: operation not permitted, rename`), { code });
      },
    };
    return state;
  }

  it('a replace that a virus scanner blocks for a moment is retried on Windows', async () => {
    const r = flakyRename(['EPERM', 'EBUSY', 'EACCES']);
    await renameReplacing('a.tmp', 'a', 'win32', r.rename);
    assert.equal(r.calls, 4);
  });

  it('gives up on Windows after the retries, and never retries elsewhere', async () => {
    const always = flakyRename(Array(20).fill('EPERM'));
    await assert.rejects(renameReplacing('a.tmp', 'a', 'win32', always.rename), { code: 'EPERM' });
    assert.equal(always.calls, 9);
    const linux = flakyRename(['EPERM']);
    await assert.rejects(renameReplacing('a.tmp', 'a', 'linux', linux.rename), { code: 'EPERM' });
    assert.equal(linux.calls, 1);
    const other = flakyRename(['ENOENT']);
    await assert.rejects(renameReplacing('a.tmp', 'a', 'win32', other.rename), { code: 'ENOENT' });
    assert.equal(other.calls, 1);
  });
});
