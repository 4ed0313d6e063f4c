import path from 'node:path';
import type { ProgramLocation } from './program.js';
import type { InstallStep } from './steps.js';

/** Where a system service keeps its home: StateDirectory= makes and owns /var/lib/<name>. */
export const LINUX_SERVICE_HOME = '/var/lib/o365-notify';
export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';
export const SERVICE_NAME = 'o365-notify';

export interface LinuxServiceOptions {
  /** The account the service runs as (made as a system user when it does not exist). */
  user: string;
  createUser: boolean;
  /** The service's home directory (settings, store, encrypted secrets, key file). */
  home: string;
  unitDir: string;
  program: ProgramLocation;
  /** Listen on ports below 1024 (e.g. SMTP on 25 or 587): grants CAP_NET_BIND_SERVICE only. */
  lowPorts: boolean;
  /** Start it now (and at every boot); false only enables it for the next boot. */
  start: boolean;
  /** Whether systemd runs on this machine (PID 1); without it, daemon-reload and start cannot work. */
  systemdRunning: boolean;
  /** Steps that fill the new home before it is handed to the service's user (e.g. the API token). */
  prepareHome?: InstallStep[];
}

export class ServiceOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceOptionError';
  }
}

// ProtectHome= hides these; a program or home under them needs to be bound back in (or moved).
const HOME_ROOTS = ['/home', '/root', '/run/user'];

function isUnder(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function underHomeRoots(file: string): boolean {
  return HOME_ROOTS.some((root) => isUnder(file, root));
}

/** A value for a unit file line: systemd splits ExecStart= on spaces and expands % and $ (systemd.service "Command lines"). */
function unitWord(value: string): string {
  const escaped = value.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/(["\\])/g, '\\$1')}"` : escaped;
}

/**
 * A hardened unit (systemd.exec(5)): a dedicated user, the whole file system read-only but the
 * home, no home directories, no new privileges, no capabilities, only IP and local sockets, the
 * system-service syscall set. Not MemoryDenyWriteExecute=: V8's JIT needs writable+executable
 * memory, so Node.js would crash under it. Readiness: Type=exec, then ExecStartPost= waits for
 * /readyz, so `systemctl start` returns once the service answers (and fails if it never does).
 */
export function systemdUnit(options: Pick<LinuxServiceOptions, 'user' | 'home' | 'program' | 'lowPorts'>): string {
  const { node, entry, packageRoot } = options.program;
  const cli = `${unitWord(node)} ${unitWord(entry)} --home ${unitWord(options.home)}`;
  const stateDirectory = path.dirname(options.home) === '/var/lib' ? path.basename(options.home) : undefined;
  // A program installed under /home or /root (a checkout, nvm's node) is bound back read-only.
  const hidden = [...new Set([path.dirname(node), packageRoot].filter(underHomeRoots))];
  const lines = [
    '# Written by `o365-notify service install`; `o365-notify service uninstall` removes it.',
    '[Unit]',
    'Description=o365-notify: ImageManager e-mail notifications through Microsoft 365',
    'Documentation=https://learn.microsoft.com/graph/api/user-sendmail',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=exec',
    `User=${options.user}`,
    `Group=${options.user}`,
    `Environment=O365_NOTIFY_HOME=${unitWord(options.home)}`,
    // A system service has no D-Bus session, so no Secret Service: the key file in the home is used.
    'Environment=O365_NOTIFY_KEYRING=off',
    `ExecStart=${cli} serve`,
    `ExecStartPost=${cli} service wait-ready --timeout 60s`,
    'Restart=on-failure',
    'RestartSec=5s',
    // SIGTERM makes serve finish the e-mails being sent; give it time before SIGKILL.
    'TimeoutStopSec=90s',
    ...(stateDirectory ? [`StateDirectory=${stateDirectory}`, 'StateDirectoryMode=0700'] : []),
    `ReadWritePaths=${unitWord(options.home)}`,
    'UMask=0077',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    hidden.length > 0 ? 'ProtectHome=tmpfs' : 'ProtectHome=yes',
    ...(hidden.length > 0 ? [`BindReadOnlyPaths=${hidden.map(unitWord).join(' ')}`] : []),
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    // A user namespace would take CAP_NET_BIND_SERVICE's effect away in the host's network.
    ...(options.lowPorts ? [] : ['PrivateUsers=yes']),
    'ProtectHostname=yes',
    'ProtectClock=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectProc=invisible',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    'KeyringMode=private',
    'DevicePolicy=closed',
    `CapabilityBoundingSet=${options.lowPorts ? 'CAP_NET_BIND_SERVICE' : ''}`,
    `AmbientCapabilities=${options.lowPorts ? 'CAP_NET_BIND_SERVICE' : ''}`,
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallFilter=~@privileged',
    // A call outside the filter fails with EPERM instead of killing the process (Node probes a few).
    'SystemCallErrorNumber=EPERM',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

export function unitPath(unitDir: string): string {
  return path.join(unitDir, `${SERVICE_NAME}.service`);
}

function checkOptions(options: LinuxServiceOptions): void {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(options.user)) {
    throw new ServiceOptionError(`"${options.user}" is not a usable user name: lower-case letters, digits, - and _, starting with a letter, at most 32 characters.`);
  }
  if (!path.isAbsolute(options.home)) throw new ServiceOptionError(`The service's home must be an absolute path, not "${options.home}".`);
  if (underHomeRoots(options.home)) {
    throw new ServiceOptionError(
      `The service's home ${options.home} is under ${HOME_ROOTS.join(', ')}, which the service cannot see (ProtectHome=). ` +
        `Use the default ${LINUX_SERVICE_HOME} (leave out --home), or another folder such as /srv/o365-notify.`,
    );
  }
}

/** useradd, the home, the unit, enable (and start): see systemdUnit for what the unit allows. */
export function linuxInstallSteps(options: LinuxServiceOptions): InstallStep[] {
  checkOptions(options);
  const file = unitPath(options.unitDir);
  const steps: InstallStep[] = [];
  if (options.createUser) {
    steps.push({
      kind: 'run',
      command: 'useradd',
      args: ['--system', '--user-group', '--home-dir', options.home, '--no-create-home', '--shell', '/usr/sbin/nologin', options.user],
      why: `create the system user ${options.user} the service runs as (no login, no password)`,
    });
  }
  steps.push(
    { kind: 'make-dir', path: options.home, mode: 0o700, why: 'hold the settings, the store and the encrypted secrets' },
    ...(options.prepareHome ?? []),
    { kind: 'run', command: 'chown', args: ['-R', `${options.user}:${options.user}`, options.home], why: `let ${options.user} (and nobody else) use the home` },
    { kind: 'write-file', path: file, content: systemdUnit(options), mode: 0o644, why: 'describe the service to systemd' },
  );
  if (options.systemdRunning) {
    steps.push({ kind: 'run', command: 'systemctl', args: ['daemon-reload'], why: 'make systemd read the new unit' });
  }
  // `enable` works without a running systemd (it only makes the boot-time link).
  const startNow = options.start && options.systemdRunning;
  steps.push({
    kind: 'run',
    command: 'systemctl',
    args: ['enable', ...(startNow ? ['--now'] : []), `${SERVICE_NAME}.service`],
    why: startNow ? 'start the service now and at every boot' : 'start the service at every boot',
  });
  return steps;
}

/** Stops and removes the service; the home (settings, store, secrets) and the user stay. */
export function linuxUninstallSteps(options: { unitDir: string; systemdRunning: boolean }): InstallStep[] {
  return [
    {
      kind: 'run',
      command: 'systemctl',
      args: ['disable', ...(options.systemdRunning ? ['--now'] : []), `${SERVICE_NAME}.service`],
      why: 'stop the service and remove its start at boot',
      optional: true,
    },
    { kind: 'remove', path: unitPath(options.unitDir), why: 'remove the unit file' },
    ...(options.systemdRunning
      ? [{ kind: 'run', command: 'systemctl', args: ['daemon-reload'], why: 'make systemd forget the unit', optional: true } as InstallStep]
      : []),
  ];
}
