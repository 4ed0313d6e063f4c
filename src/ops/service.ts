import { existsSync } from 'node:fs';
import { currentProgram, type ProgramLocation } from './program.js';
import type { CommandRunner, InstallStep } from './steps.js';
import { runCommand } from './steps.js';
import { LINUX_SERVICE_HOME, linuxInstallSteps, linuxUninstallSteps, SERVICE_NAME, ServiceOptionError, SYSTEMD_UNIT_DIR } from './systemd.js';
import { LOCAL_SERVICE, windowsInstallSteps, windowsServiceHome, windowsUninstallSteps, wrapperPaths } from './windows-service.js';

/** What the service commands ask of the machine; tests inject another platform and answers. */
export interface ServiceHost {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** root on Linux; a member of Administrators in an elevated prompt on Windows. */
  isAdmin(): Promise<boolean>;
  systemdRunning(): boolean;
  userExists(name: string): Promise<boolean>;
  program(): ProgramLocation;
  run: CommandRunner;
}

export function systemServiceHost(env: NodeJS.ProcessEnv = process.env): ServiceHost {
  return {
    platform: process.platform,
    env,
    // `net session` needs an elevated prompt: the usual check that works on every Windows Server.
    isAdmin: async () => (process.platform === 'win32' ? (await runCommand('net', ['session'])).code === 0 : process.getuid?.() === 0),
    // sd_booted(3): systemd is PID 1 exactly when this directory exists.
    systemdRunning: () => existsSync('/run/systemd/system'),
    userExists: async (name) => (await runCommand('id', ['-u', name])).code === 0,
    program: currentProgram,
    run: runCommand,
  };
}

export interface InstallRequest {
  /** The service's home; default /var/lib/o365-notify (Linux), %ProgramData%\o365-notify (Windows). */
  home?: string;
  /** Linux: the user to run as (default o365-notify, made when missing). Windows: the account (default LocalService). */
  user?: string;
  lowPorts: boolean;
  start: boolean;
  /** Windows: the WinSW 2.x executable. */
  wrapper?: string;
  /** Linux: where the unit goes (default /etc/systemd/system). */
  unitDir?: string;
  /** Steps to fill the new home (the CLI makes the API token there). */
  prepareHome?: (home: string) => InstallStep[];
}

export interface ServicePlan {
  home: string;
  steps: InstallStep[];
  /** What the administrator does next, in order. */
  next: string[];
}

function unsupported(platform: NodeJS.Platform): ServiceOptionError {
  return new ServiceOptionError(
    `\`o365-notify service\` installs a service on Linux (systemd) and Windows, not on ${platform}. ` +
      'Run `o365-notify serve` from your platform\'s service manager instead (README, "Install as a service").',
  );
}

export function serviceHome(host: Pick<ServiceHost, 'platform' | 'env'>, home?: string): string {
  if (home) return home;
  return host.platform === 'win32' ? windowsServiceHome(host.env) : LINUX_SERVICE_HOME;
}

export async function serviceInstallPlan(request: InstallRequest, host: ServiceHost): Promise<ServicePlan> {
  const home = serviceHome(host, request.home);
  const program = host.program();
  const prepareHome = request.prepareHome?.(home);
  if (host.platform === 'win32') {
    if (!request.wrapper) {
      throw new ServiceOptionError(
        'On Windows the service runs through WinSW 2.x, which you download once: get WinSW-x64.exe (version 2.12 or later) from ' +
          'https://github.com/winsw/winsw/releases and run `o365-notify service install --wrapper C:\\path\\to\\WinSW-x64.exe`.',
      );
    }
    const account = request.user ? { name: request.user } : LOCAL_SERVICE;
    const cli = `o365-notify --home "${home}"`;
    return {
      home,
      steps: windowsInstallSteps({ home, program, account, wrapper: request.wrapper, start: request.start, prepareHome }),
      next: [
        ...(account === LOCAL_SERVICE ? [] : [`services.msc > o365-notify > Log On: type the password of ${account.name} (Windows keeps it, not o365-notify).`]),
        `${cli} setup    (in this elevated prompt: the settings and sign-in go into the service's home)`,
        `${cli} doctor   (checks the setup the way the service will use it)`,
        `${wrapperPaths(home).exe} restart    (the service picks up the new settings)`,
      ],
    };
  }
  if (host.platform !== 'linux') throw unsupported(host.platform);
  const user = request.user ?? SERVICE_NAME;
  const systemdRunning = host.systemdRunning();
  const steps = linuxInstallSteps({
    user,
    createUser: !(await host.userExists(user)),
    home,
    unitDir: request.unitDir ?? SYSTEMD_UNIT_DIR,
    program,
    lowPorts: request.lowPorts,
    start: request.start,
    systemdRunning,
    prepareHome,
  });
  const cli = `sudo -u ${user} o365-notify --home ${home}`;
  return {
    home,
    steps,
    next: [
      `${cli} setup     (the settings and sign-in go into the service's home, owned by ${user})`,
      `${cli} doctor    (checks the setup the way the service will use it)`,
      systemdRunning ? `sudo systemctl restart ${SERVICE_NAME}    (picks up the new settings)` : 'systemd is not running on this machine (PID 1 is not systemd): the service starts at the next boot under systemd.',
      `journalctl -u ${SERVICE_NAME} -f    (the service's log)`,
    ],
  };
}

export function serviceUninstallPlan(request: Pick<InstallRequest, 'home' | 'unitDir'>, host: ServiceHost): ServicePlan {
  const home = serviceHome(host, request.home);
  if (host.platform === 'win32') {
    return { home, steps: windowsUninstallSteps(home), next: [`The settings, store and secrets stay in ${home}; delete the folder to remove them too.`] };
  }
  if (host.platform !== 'linux') throw unsupported(host.platform);
  return {
    home,
    steps: linuxUninstallSteps({ unitDir: request.unitDir ?? SYSTEMD_UNIT_DIR, systemdRunning: host.systemdRunning() }),
    next: [`The settings, store and secrets stay in ${home}, and the user ${SERVICE_NAME}: \`sudo rm -rf ${home} && sudo userdel ${SERVICE_NAME}\` removes them too.`],
  };
}

/** The platform's own status command (systemctl / WinSW), whose output is shown as it is. */
export function serviceStatusCommand(host: Pick<ServiceHost, 'platform' | 'env'>, home?: string): { command: string; args: string[] } {
  if (host.platform === 'win32') return { command: wrapperPaths(serviceHome(host, home)).exe, args: ['status'] };
  if (host.platform !== 'linux') throw unsupported(host.platform);
  return { command: 'systemctl', args: ['status', '--no-pager', `${SERVICE_NAME}.service`] };
}
