import path from 'node:path';
import type { ProgramLocation } from './program.js';
import type { InstallStep } from './steps.js';

/**
 * The Windows service, through WinSW 2.x (https://github.com/winsw/winsw, MIT): Jenkins' own
 * Windows service wrapper, still maintained, one executable that the Service Control Manager
 * starts and that runs `node ... serve`, restarts it on failure and stops it with Ctrl+C (which
 * serve handles like SIGTERM). Why not node-windows from npm: it ships WinSW 1.17, a line that gets
 * no fixes any more. Why not `sc.exe create` on node.exe: node does not answer the Service Control
 * Manager, so Windows kills it after 30 s (error 1053). The wrapper is the administrator's download
 * (README), checked with `version` before use; its XML is written by us (doc/xmlConfigFile.md).
 */
export const WINDOWS_SERVICE_ID = 'o365-notify';
const WRAPPER_BASENAME = 'o365-notify-service';

/** Well-known SIDs, not names: "Administrators" is "Administratoren" on a German Windows. */
export const SID = {
  localSystem: 'S-1-5-18',
  localService: 'S-1-5-19',
  administrators: 'S-1-5-32-544',
} as const;

/** %ProgramData%\o365-notify: machine-wide data, not a user's roaming profile (%APPDATA%). */
export function windowsServiceHome(env: NodeJS.ProcessEnv): string {
  const programData = env.ProgramData?.trim() || env.PROGRAMDATA?.trim() || env.ALLUSERSPROFILE?.trim() || 'C:\\ProgramData';
  return path.win32.join(programData, 'o365-notify');
}

/** The account the service logs on as: LocalService by default (no password, least rights). */
export interface WindowsAccount {
  /** `NT AUTHORITY\LocalService`, `DOMAIN\user`, `.\user`, or a gMSA `DOMAIN\name$`. */
  name: string;
}

export const LOCAL_SERVICE: WindowsAccount = { name: 'NT AUTHORITY\\LocalService' };

export class WindowsServiceOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WindowsServiceOptionError';
  }
}

function splitAccount(account: WindowsAccount): { domain?: string; user: string } {
  const [first, second] = account.name.split('\\');
  if (second === undefined) return { user: first! };
  return { domain: first === '.' ? undefined : first, user: second };
}

function checkAccount(account: WindowsAccount): void {
  const { user } = splitAccount(account);
  if (!/^[^"/\\[\]:;|=,+*?<>@]{1,104}$/.test(user) || account.name.split('\\').length > 2) {
    throw new WindowsServiceOptionError(`"${account.name}" is not a Windows account name: use DOMAIN\\user, .\\user or NT AUTHORITY\\LocalService.`);
  }
}

function xmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A Windows command-line argument as CommandLineToArgvW reads it back. */
export function windowsArg(value: string): string {
  if (value !== '' && !/[\s"]/.test(value)) return value;
  return `"${value.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

/** The WinSW configuration. No password is ever written here: a user account's is typed into services.msc. */
export function winswConfig(options: { home: string; program: ProgramLocation; account: WindowsAccount }): string {
  const { domain, user } = splitAccount(options.account);
  const args = [options.program.entry, '--home', options.home, 'serve'].map(windowsArg).join(' ');
  return [
    '<!-- Written by `o365-notify service install`; `o365-notify service uninstall` removes it. -->',
    '<service>',
    `  <id>${WINDOWS_SERVICE_ID}</id>`,
    '  <name>o365-notify</name>',
    '  <description>ImageManager e-mail notifications through Microsoft 365 (Microsoft Graph sendMail).</description>',
    `  <executable>${xmlText(options.program.node)}</executable>`,
    `  <arguments>${xmlText(args)}</arguments>`,
    `  <env name="O365_NOTIFY_HOME" value="${xmlText(options.home)}"/>`,
    // A service has no interactive session: the master key lives in the key file under the ACL'd home.
    '  <env name="O365_NOTIFY_KEYRING" value="off"/>',
    `  <workingdirectory>${xmlText(options.home)}</workingdirectory>`,
    '  <startmode>Automatic</startmode>',
    '  <delayedAutoStart>true</delayedAutoStart>',
    '  <onfailure action="restart" delay="10 sec"/>',
    '  <onfailure action="restart" delay="60 sec"/>',
    '  <resetfailure>1 hour</resetfailure>',
    // serve finishes the e-mails being sent after Ctrl+C; give it the time before a hard stop.
    '  <stoptimeout>90 sec</stoptimeout>',
    `  <logpath>${xmlText(path.win32.join(options.home, 'logs'))}</logpath>`,
    '  <log mode="roll-by-size">',
    '    <sizeThreshold>10240</sizeThreshold>',
    '    <keepFiles>8</keepFiles>',
    '  </log>',
    '  <serviceaccount>',
    ...(domain ? [`    <domain>${xmlText(domain)}</domain>`] : []),
    `    <user>${xmlText(user)}</user>`,
    ...(domain?.toUpperCase() === 'NT AUTHORITY' ? [] : ['    <allowservicelogon>true</allowservicelogon>']),
    '  </serviceaccount>',
    '</service>',
    '',
  ].join('\r\n');
}

/**
 * What replaces mode 0700 on NTFS: no inherited entries, full control for SYSTEM and
 * Administrators, modify for the service's account, nobody else (icacls, by SID where one exists).
 */
export function homeAclArgs(home: string, account: WindowsAccount): string[] {
  const who = account.name.toUpperCase() === LOCAL_SERVICE.name.toUpperCase() ? `*${SID.localService}` : account.name;
  return [home, '/inheritance:r', '/grant:r', `*${SID.localSystem}:(OI)(CI)F`, `*${SID.administrators}:(OI)(CI)F`, `${who}:(OI)(CI)M`];
}

export function wrapperPaths(home: string): { dir: string; exe: string; xml: string } {
  const dir = path.win32.join(home, 'service');
  return { dir, exe: path.win32.join(dir, `${WRAPPER_BASENAME}.exe`), xml: path.win32.join(dir, `${WRAPPER_BASENAME}.xml`) };
}

export interface WindowsServiceOptions {
  home: string;
  program: ProgramLocation;
  account: WindowsAccount;
  /** The downloaded WinSW 2.x executable (e.g. WinSW-x64.exe). */
  wrapper: string;
  start: boolean;
  /** Steps that fill the new home before the service starts (e.g. the API token). */
  prepareHome?: InstallStep[];
}

export function windowsInstallSteps(options: WindowsServiceOptions): InstallStep[] {
  checkAccount(options.account);
  const wrapper = wrapperPaths(options.home);
  return [
    { kind: 'run', command: options.wrapper, args: ['version'], why: 'check that the wrapper is WinSW and runs on this machine' },
    { kind: 'make-dir', path: options.home, mode: 0o700, why: 'hold the settings, the store and the encrypted secrets' },
    ...(options.prepareHome ?? []),
    { kind: 'run', command: 'icacls', args: homeAclArgs(options.home, options.account), why: `let only SYSTEM, Administrators and ${options.account.name} use the home` },
    { kind: 'make-dir', path: wrapper.dir, mode: 0o700, why: 'hold the service wrapper and its configuration' },
    { kind: 'copy-file', from: options.wrapper, path: wrapper.exe, why: 'give the wrapper the name of its configuration file' },
    { kind: 'write-file', path: wrapper.xml, content: winswConfig(options), mode: 0o600, why: 'describe the service to the wrapper' },
    { kind: 'run', command: wrapper.exe, args: ['install'], why: 'register the service with Windows (start: automatic, delayed)' },
    ...(options.start ? [{ kind: 'run', command: wrapper.exe, args: ['start'], why: 'start the service now' } as InstallStep] : []),
  ];
}

export function windowsUninstallSteps(home: string): InstallStep[] {
  const wrapper = wrapperPaths(home);
  return [
    { kind: 'run', command: wrapper.exe, args: ['stop'], why: 'stop the service', optional: true },
    { kind: 'run', command: wrapper.exe, args: ['uninstall'], why: 'remove the service from Windows' },
    { kind: 'remove', path: wrapper.dir, why: 'remove the wrapper and its configuration' },
  ];
}
