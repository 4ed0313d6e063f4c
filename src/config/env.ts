import { KEY_ENVIRONMENT_VARIABLES } from '../secrets/key-variables.js';
import type { Problem } from './problems.js';
import { SETTING_FIELDS, setField, type Settings } from './settings.js';
import { parseFieldValue } from './values.js';

export interface EnvironmentVariable {
  name: string;
  /** The setting it overrides, or null for variables that are not settings (home, key). */
  setting: string | null;
  description: string;
}

/** Every environment variable o365-notify reads, for `--help`, the README and tests. */
export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  {
    name: 'O365_NOTIFY_HOME',
    setting: null,
    description: 'Home directory (settings, encrypted secrets, data); same as --home',
  },
  ...SETTING_FIELDS.map((f) => ({ name: f.env, setting: f.key, description: f.description })),
  ...KEY_ENVIRONMENT_VARIABLES,
  {
    name: 'O365_NOTIFY_API_TOKEN',
    setting: null,
    description: 'The service API token for `event` and `silence` (instead of --token); printed once by `setup`, the first `serve` or `token rotate`',
  },
  {
    name: 'O365_NOTIFY_LOG_LEVEL',
    setting: null,
    description: 'Log level of `serve`: debug, info (default), warn, error or silent',
  },
];

export interface EnvOverrides {
  problems: Problem[];
  /** Setting key -> the variable that set it. */
  sources: Record<string, string>;
}

/**
 * Applies O365_NOTIFY_* variables over the settings (in place). An empty variable is ignored,
 * so `VAR=` left behind by a container template does not blank a setting from the file.
 */
export function applyEnvOverrides(settings: Settings, env: NodeJS.ProcessEnv): EnvOverrides {
  const problems: Problem[] = [];
  const sources: Record<string, string> = {};
  for (const spec of SETTING_FIELDS) {
    const raw = env[spec.env];
    if (raw === undefined || raw.trim() === '') continue;
    const parsed = parseFieldValue(spec, raw);
    if (!parsed.ok) {
      problems.push({
        field: spec.key,
        severity: 'error',
        message: `${spec.key} (from the environment variable ${spec.env}) must be ${parsed.expected}.`,
        guideStep: spec.guideStep,
      });
      continue;
    }
    setField(settings, spec, parsed.value);
    sources[spec.key] = spec.env;
  }
  return { problems, sources };
}
