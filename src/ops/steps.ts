import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * What installing a service does, as a list of plain steps: `--dry-run` prints them, tests check
 * them with the platform injected, and one runner carries them out. Each step says why it is there,
 * so a failure names the step and its purpose.
 */
export type InstallStep =
  | { kind: 'write-file'; path: string; content: string; mode: number; why: string }
  | { kind: 'copy-file'; from: string; path: string; why: string }
  | { kind: 'make-dir'; path: string; mode: number; why: string }
  | { kind: 'remove'; path: string; why: string }
  | { kind: 'run'; command: string; args: string[]; why: string; /** a failure is reported but not fatal */ optional?: boolean }
  /** Work done in this process (e.g. making the API token so it is shown here, not in the service's log). */
  | { kind: 'action'; description: string; run: () => Promise<void>; why: string };

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell (arguments are never re-parsed). */
export type CommandRunner = (command: string, args: string[]) => Promise<CommandResult>;

export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: err.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

export class InstallStepError extends Error {
  constructor(readonly step: InstallStep, detail: string) {
    super(`${describeStep(step)} failed: ${detail}. This step was needed to ${step.why}.`);
    this.name = 'InstallStepError';
  }
}

/** Shell-like quoting for display only (the runner never uses a shell). */
function quote(arg: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function describeStep(step: InstallStep): string {
  switch (step.kind) {
    case 'write-file':
      return `write ${step.path} (mode ${step.mode.toString(8)})`;
    case 'copy-file':
      return `copy ${step.from} to ${step.path}`;
    case 'make-dir':
      return `create the directory ${step.path} (mode ${step.mode.toString(8)})`;
    case 'remove':
      return `remove ${step.path}`;
    case 'run':
      return [step.command, ...step.args].map(quote).join(' ');
    case 'action':
      return step.description;
  }
}

/** Carries out the steps in order and stops at the first one that fails (optional ones only warn). */
export async function applySteps(
  steps: readonly InstallStep[],
  run: CommandRunner = runCommand,
  onStep: (step: InstallStep, warning?: string) => void = () => undefined,
): Promise<void> {
  for (const step of steps) {
    switch (step.kind) {
      case 'write-file':
        await fs.mkdir(path.dirname(step.path), { recursive: true });
        await fs.writeFile(step.path, step.content, { mode: step.mode });
        await fs.chmod(step.path, step.mode);
        break;
      case 'copy-file':
        await fs.copyFile(step.from, step.path);
        break;
      case 'make-dir':
        await fs.mkdir(step.path, { recursive: true, mode: step.mode });
        await fs.chmod(step.path, step.mode);
        break;
      case 'remove':
        await fs.rm(step.path, { force: true, recursive: true });
        break;
      case 'action':
        try {
          await step.run();
        } catch (err) {
          throw new InstallStepError(step, (err as Error).message);
        }
        break;
      case 'run': {
        const result = await run(step.command, step.args);
        if (result.code !== 0) {
          const detail = (result.stderr || result.stdout).trim() || `exit code ${String(result.code)}`;
          if (!step.optional) throw new InstallStepError(step, detail);
          onStep(step, detail);
          continue;
        }
        break;
      }
    }
    onStep(step);
  }
}
