import { authStatePath, fileAuthState, type AuthState, type AuthStateStore } from '../auth/index.js';
import { watchFileChanges } from './file-change-watch.js';

export type SignInProblem = NonNullable<AuthState['problem']>;

export interface SignInWatchOptions {
  home: string;
  /**
   * The instances' shared sign-in state (PostgreSQL, issue 16.6): no file changes when another
   * instance or the CLI signs in, so it is read every `everyMs` instead. Default: <home>/auth-state.json.
   */
  authState?: AuthStateStore;
  /** How often the auth-state file is looked at (it is read when it changed), or the shared state read. */
  everyMs: number;
  /** Someone signed in (e.g. `o365-notify login` in another process), or a refresh worked again after a problem. */
  onSignedIn: (why: 'new-sign-in' | 'problem-cleared') => Promise<void>;
  /** The token provider recorded a new problem (a refresh refused, consent revoked...). */
  onProblem: (problem: SignInProblem) => void;
  /** The token endpoint issued a token at `at` and no problem is recorded: the evidence that ends refusal warnings. */
  onTokenWorks?: (at: number) => void;
  onError?: (err: unknown) => void;
}

export interface SignInWatch {
  /** Reads the state now (the timer does this every `everyMs`). */
  check(): Promise<void>;
  /** Takes the current state as seen, without reacting (after the service itself handled a sign-in). */
  resync(): Promise<void>;
  stop(): void;
}

/**
 * Watches the auth-state file that sign-ins and token refreshes write (in this process or
 * another), so the service notices `o365-notify login` and sign-in problems without a restart.
 * `check()` reads the file whatever its stat says.
 */
export async function watchSignIn(options: SignInWatchOptions): Promise<SignInWatch> {
  let signedInAt: string | undefined;
  let problemSince: string | undefined;
  let tokenAt: string | undefined;
  let checking: Promise<void> | undefined;
  let stopped = false;
  const shared = options.authState;
  const states = shared ?? fileAuthState(options.home);

  const take = (state: AuthState) => {
    signedInAt = state.signedInAt;
    problemSince = state.problem?.since;
  };
  // Told once per new token, and only while no problem is recorded (a later refusal wins).
  const tokenEvidence = (state: AuthState) => {
    if (state.problem || !state.lastTokenAt || state.lastTokenAt === tokenAt) return;
    tokenAt = state.lastTokenAt;
    const at = Date.parse(state.lastTokenAt);
    if (Number.isFinite(at)) options.onTokenWorks?.(at);
  };

  const runCheck = async () => {
    const state = await states.read();
    const newSignIn = state.signedInAt !== undefined && state.signedInAt !== signedInAt && state.account !== undefined;
    const cleared = problemSince !== undefined && !state.problem && state.account !== undefined;
    const newProblem = state.problem !== undefined && state.problem.since !== problemSince ? state.problem : undefined;
    take(state);
    if (stopped) return;
    tokenEvidence(state);
    if (newProblem) options.onProblem(newProblem);
    else if (newSignIn) await options.onSignedIn('new-sign-in');
    else if (cleared) await options.onSignedIn('problem-cleared');
  };

  const check = () => {
    checking ??= runCheck()
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        checking = undefined;
      });
    return checking;
  };

  // Watching starts before the first read, so a change during it is not lost; a change is read
  // after any check in progress (that one may have read the file before the change).
  let started: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const onChange = async () => {
    await ready;
    await checking;
    await check();
  };
  const changes = shared ? pollShared(options.everyMs, onChange) : watchFileChanges([authStatePath(options.home)], { everyMs: options.everyMs, onChange });

  const initial = await states.read().catch((err: unknown) => {
    changes.stop();
    throw err;
  });
  take(initial);
  // A problem recorded before the service started is reported at once.
  if (initial.problem) options.onProblem(initial.problem);
  tokenEvidence(initial);
  started();

  return {
    check,
    // Not waiting for a check in progress: resync is called from that check's own onSignedIn.
    async resync() {
      take(await states.read());
    },
    stop() {
      stopped = true;
      changes.stop();
    },
  };
}

/** The shared state has no file to stat: every tick is a change to read (check() compares what it read). */
function pollShared(everyMs: number, onChange: () => Promise<void>): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void onChange().finally(() => {
      busy = false;
    });
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
