import type { GuideStep } from './guide-step.js';

export type Severity = 'error' | 'warning';

/** One thing wrong with the settings, said in the Azure portal's words. */
export interface Problem {
  /** The setting, e.g. `account.tenantId`, or `clientSecret` for the encrypted secret. */
  field: string;
  severity: Severity;
  /** Names the field and what to do, in the portal's words. */
  message: string;
  /** The guide step that fixes it; null for our own settings that no guide step covers. */
  guideStep: GuideStep | null;
}

/** Settings that cannot be used: carries every problem, not just the first. */
export class SettingsError extends Error {
  readonly problems: Problem[];

  constructor(message: string, problems: Problem[] = []) {
    super(problems.length === 0 ? message : `${message}\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.name = 'SettingsError';
    this.problems = problems;
  }
}

/** The settings file exists but cannot be read as YAML (or is not a mapping). */
export class SettingsFileError extends Error {
  readonly file: string;
  readonly line: number | undefined;

  constructor(file: string, line: number | undefined, detail: string) {
    const where = line === undefined ? file : `${file}, line ${line}`;
    super(
      `Cannot read the settings file ${where}: ${detail}. ` +
        'Fix the file by hand, or move it away and run `o365-notify setup` to write a new one.',
    );
    this.name = 'SettingsFileError';
    this.file = file;
    this.line = line;
  }
}

export function errorsIn(problems: Problem[]): Problem[] {
  return problems.filter((p) => p.severity === 'error');
}
