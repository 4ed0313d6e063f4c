import {
  openAuthSession,
  signInAppOnly,
  signInWithBrowser,
  signInWithDeviceCode,
  signOut,
  SignInCancelledError,
  SignInError,
  type SignInResult,
} from '../../auth/index.js';
import { formatDiagnosis } from '../../diagnose/index.js';
import { withCliSharedSignIn } from '../../server/index.js';
import { openUrl } from '../open-url.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, writeLine, type CliContext, type Command } from '../command.js';

const usage = `Usage: o365-notify login [--device-code] [--no-open] [--timeout SECONDS]

Signs in with the configured account (settings: account.auth).
  browser (default)  opens the Microsoft sign-in page; the answer returns to http://localhost[:PORT]
  --device-code      prints a code to enter at the verification URL, from any device
                     (needs Authentication > Advanced settings > Allow public client flows = Yes)
  --no-open          print the sign-in URL instead of opening a browser
  --timeout SECONDS  give up after this long (default 300)
App-only mode (account.auth app-only) checks the client secret and the Mail.Send application permission.`;

export function printSignInFailure(ctx: CliContext, err: unknown): number {
  if (err instanceof SignInCancelledError) {
    writeLine(ctx.stderr, `${err.message} Run \`o365-notify login\` again when ready.`);
    return EXIT_FAILED;
  }
  if (err instanceof SignInError) {
    if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ ok: false, error: err.message, diagnosis: err.diagnosis }));
    writeLine(ctx.stderr, err.message);
    if (err.diagnosis) writeLine(ctx.stderr, '\n' + formatDiagnosis(err.diagnosis));
    return EXIT_FAILED;
  }
  throw err;
}

function printResult(ctx: CliContext, result: SignInResult): void {
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify({ ok: true, account: result.account, scopes: result.scopes, expiresOn: result.expiresOn, notes: result.notes }));
    return;
  }
  const tenant = result.account.tenantId ? `, tenant ${result.account.tenantId}` : '';
  writeLine(ctx.stdout, `Signed in as ${result.account.username}${result.account.name ? ` (${result.account.name})` : ''}${tenant}.`);
  writeLine(ctx.stdout, `Permissions: ${result.scopes.join(' ')}`);
  for (const note of result.notes) writeLine(ctx.stdout, `Note: ${note}`);
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'sign in (browser, or --device-code for servers without one)',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, {
      'device-code': { type: 'boolean' },
      'no-open': { type: 'boolean' },
      timeout: { type: 'string', default: '300' },
    });
    const timeoutSeconds = Number(values.timeout);
    // On a PostgreSQL store the sign-in lands where every instance reads it (issue 16.6).
    return withCliSharedSignIn(ctx.home, ctx.env, async (sharedAuth) => {
      const session = await openAuthSession({ home: ctx.home, env: ctx.env, sharedAuth });
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      try {
        let result: SignInResult;
        if (session.settings.account.auth === 'app-only') {
          result = await signInAppOnly(session);
        } else if (values['device-code'] || session.settings.account.auth === 'device-code') {
          result = await signInWithDeviceCode(session, {
            timeoutSeconds,
            signal: abort.signal,
            onCode: (info) => {
              if (ctx.json) writeLine(ctx.stderr, JSON.stringify({ userCode: info.userCode, verificationUri: info.verificationUri, expiresIn: info.expiresIn }));
              else writeLine(ctx.stdout, info.message);
            },
          });
        } else {
          result = await signInWithBrowser(session, {
            timeoutMs: timeoutSeconds * 1000,
            signal: abort.signal,
            openBrowser: async (url) => {
              const out = ctx.json ? ctx.stderr : ctx.stdout;
              writeLine(out, values['no-open'] ? 'Open this URL in a browser on this machine to sign in:' : 'Opening the sign-in page in your browser. If it does not open, visit:');
              writeLine(out, url);
              if (!values['no-open']) await openUrl(url);
            },
          });
        }
        printResult(ctx, result);
        return EXIT_OK;
      } catch (err) {
        return printSignInFailure(ctx, err);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'forget the signed-in account and its tokens',
  usage: 'Usage: o365-notify logout\n\nRemoves the account and every token from the encrypted token cache.',
  async run(args: string[], ctx: CliContext): Promise<number> {
    parseCommandArgs(args, {});
    // On a PostgreSQL store this signs every instance out (the shared row is cleared).
    await withCliSharedSignIn(ctx.home, ctx.env, async (sharedAuth) => signOut(await openAuthSession({ home: ctx.home, env: ctx.env, sharedAuth })));
    writeLine(ctx.stdout, ctx.json ? JSON.stringify({ ok: true }) : 'Signed out: tokens removed. Run `o365-notify login` to sign in again.');
    return EXIT_OK;
  },
};
