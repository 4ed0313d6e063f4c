export { currentProgram, NotInstalledError, type ProgramLocation } from './program.js';
export { localServiceUrl, waitUntilReady } from './readiness.js';
export {
  serviceHome,
  serviceInstallPlan,
  serviceStatusCommand,
  serviceUninstallPlan,
  systemServiceHost,
  type InstallRequest,
  type ServiceHost,
  type ServicePlan,
} from './service.js';
export { applySteps, describeStep, InstallStepError, runCommand, type CommandRunner, type InstallStep } from './steps.js';
export { LINUX_SERVICE_HOME, SERVICE_NAME, ServiceOptionError, systemdUnit, unitPath } from './systemd.js';
export { homeAclArgs, SID, windowsArg, windowsServiceHome, winswConfig, WindowsServiceOptionError } from './windows-service.js';
export { BACKUP_FORMAT, BackupError, createBackup, restoreBackup, type BackupManifest, type RestoreResult } from './backup.js';
