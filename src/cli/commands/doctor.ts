import { openSecretStore } from '../../secrets/index.js';
import { probePublicClientFlows, SignInError, diagnoseAuthFailure } from '../../auth/index.js';
import { cliSharedSignIn, type CliSharedSignIn } from '../../server/index.js';
import { authorityFor, authorityHost, graphBaseUrl, readSettings, usesEmulator, type Settings } from '../../config/index.js';
import { trustedCa } from '../../auth/index.js';
import {
  GRAPH_CLI_TOOLS_APP_ID,
  loadRegistrationRecord,
  readRegistrationAsAdmin,
  RegistrationError,
  reviewRegistration,
  saveRegistrationRecord,
  type RegistrationRecord,
} from '../../registration/index.js';
import { settingsProblems } from '../../notify/index.js';
import { formatDiagnosis, type Diagnosis } from '../../diagnose/index.js';
import { GraphSendError, grantedPermissions } from '../../graph/index.js';
import { openGraphConnection, type GraphConnection } from '../../delivery/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, writeLine, type CliContext, type Command } from '../command.js';

interface Check {
  name: string;
  ok: boolean;
  /** Not checked (nothing to check it from): neither a pass nor a failure. */
  skipped?: boolean;
  detail: string;
  diagnosis?: Diagnosis | null;
}

const usage = `Usage: o365-notify doctor [--no-send] [--to ADDRESS] [--read-registration [--bootstrap-client-id ID]]

Live checks, in order, stopping at the first failure with what to fix:
  1. settings follow the guide          4. an access token can be obtained
  2. the app registration follows the   (browser and device-code: "Allow public client flows" = Yes)
     guide (see below)                  5. Mail.Send is in the token
  3. the sign-in authority answers      6. a test e-mail is accepted by Graph (skip with --no-send)

The app registration is checked from the registration itself: as \`register\` or \`secret rotate\`
last read it, or, with --read-registration, read now by an account that may read app registrations
(Application Administrator, Cloud Application Administrator, Global Reader...), who signs in once by
device code to Microsoft Graph Command Line Tools. Without either, the later checks show the same
steps from Entra ID's answers.`;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'live checks: settings, authority, token, Mail.Send, test send',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseCommandArgs(args, {
      'no-send': { type: 'boolean' },
      to: { type: 'string' },
      'read-registration': { type: 'boolean', default: false },
      'bootstrap-client-id': { type: 'string', default: GRAPH_CLI_TOOLS_APP_ID },
    });
    const checks: Check[] = [];
    const report = (check: Check): boolean => {
      checks.push(check);
      if (!ctx.json) {
        writeLine(ctx.stdout, `${check.skipped ? 'skip' : check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
        if (check.diagnosis) writeLine(ctx.stdout, '\n' + formatDiagnosis(check.diagnosis) + '\n');
      }
      return check.ok;
    };
    const finish = (code: number) => {
      if (ctx.json) writeLine(ctx.stdout, JSON.stringify({ ok: code === EXIT_OK, checks }));
      return code;
    };

    // 1. Settings, with the stored secret's shape.
    const read = await readSettings(ctx.home, ctx.env);
    const store = await openSecretStore(read.home, ctx.env);
    const problems = [
      ...read.problems,
      ...settingsProblems(read.settings, {
        clientSecret: await store.getClientSecret().catch(() => undefined),
        clientCertificate: await store.hasClientCertificate(),
        clientCertificateEnd: await store.clientCertificateEnd(),
      }),
    ];
    const errors = problems.filter((p) => p.severity === 'error');
    if (!report({ name: 'settings', ok: errors.length === 0, detail: errors.length === 0 ? `${read.path} follows the guide` : errors.map((p) => p.message).join(' ') })) {
      return finish(EXIT_FAILED);
    }

    // 2. The app registration itself, against the guide.
    const registration = await registrationCheck(read.home, read.settings, values['read-registration'], values['bootstrap-client-id'], ctx);
    if (!report(registration)) return finish(EXIT_FAILED);

    let mailer: GraphConnection | undefined;
    let shared: CliSharedSignIn | undefined;
    try {
      // On a PostgreSQL store: the sign-in the instances share (issue 16.6).
      shared = await cliSharedSignIn(read.home, read.settings, ctx.env);
      mailer = await openGraphConnection({ home: read.home, env: ctx.env, settings: read.settings, sharedAuth: shared.sharedAuth });
      const { session } = mailer;
      // 3. The authority's discovery document: proves the tenant exists and the host is reachable and trusted.
      const authority = authorityFor(read.settings);
      session.errors.clear();
      try {
        const res = await session.network.sendGetRequestAsync<{ token_endpoint?: string }>(`${authority}/v2.0/.well-known/openid-configuration`);
        const ok = res.status === 200 && typeof res.body.token_endpoint === 'string';
        if (!report({ name: 'authority', ok, detail: ok ? `${authority} answers` : `${authority} answered HTTP ${res.status}`, diagnosis: ok ? null : diagnoseAuthFailure(session, res.body) })) {
          return finish(EXIT_FAILED);
        }
      } catch (err) {
        report({ name: 'authority', ok: false, detail: `${authority} cannot be reached: ${(err as Error).message}` });
        return finish(EXIT_FAILED);
      }

      // 4. A token through the configured sign-in (from the cache when valid).
      let token;
      try {
        token = await mailer.tokens.getAccessToken();
      } catch (err) {
        report({ name: 'token', ok: false, detail: (err as Error).message, diagnosis: err instanceof SignInError ? err.diagnosis : null });
        return finish(EXIT_FAILED);
      }
      report({ name: 'token', ok: true, detail: `valid until ${token.expiresOn.toISOString()}${token.account ? ` for ${token.account}` : ''}` });

      // 4b. "Allow public client flows = Yes": the service's silent refresh of a device-code or
      // browser sign-in fails with AADSTS7000218 without it, so ask Entra now (the page's probe).
      if (read.settings.account.auth !== 'app-only') {
        const probe = await probePublicClientFlows(read.settings).catch((err: Error) => ({ allowed: null, diagnosis: undefined, error: err.message }));
        const detail =
          probe.allowed === true
            ? 'Entra ID lets this app use public client flows ("Allow public client flows" = Yes)'
            : probe.allowed === false
              ? '"Allow public client flows" is No: the sign-in stops working at its next refresh (AADSTS7000218)'
              : `Entra ID's answer did not tell${'error' in probe ? ` (${probe.error})` : ''}`;
        if (!report({ name: 'public client flows', ok: probe.allowed !== false, detail, diagnosis: probe.allowed === false ? probe.diagnosis : null })) {
          return finish(EXIT_FAILED);
        }
      }

      // 5. Mail.Send granted (delegated scope or application role).
      const granted = grantedPermissions(token);
      const hasMailSend = granted === undefined || granted.has('mail.send');
      if (!report({
        name: 'Mail.Send',
        ok: hasMailSend,
        detail: hasMailSend ? (granted ? [...granted].join(' ') : 'not readable (opaque token): Graph will decide') : 'the token does not carry Mail.Send',
        diagnosis: hasMailSend ? null : diagnoseAuthFailure(session, { code: 'ErrorAccessDenied' }),
      })) {
        return finish(EXIT_FAILED);
      }

      // 6. A real test e-mail.
      if (values['no-send']) return finish(EXIT_OK);
      const state = await mailer.session.authState.read();
      const to = values.to ?? read.settings.mail.to[0] ?? (read.settings.account.auth === 'app-only' ? read.settings.account.sender : state.account?.username);
      if (!to) {
        report({ name: 'test send', ok: false, detail: 'no recipient: give --to or set recipients with `o365-notify setup --to`' });
        return finish(EXIT_FAILED);
      }
      try {
        const sent = await mailer.client.send({ to, subject: 'o365-notify doctor: test e-mail', text: 'o365-notify doctor checked the settings, the sign-in and Mail.Send, and sent this e-mail.' });
        report({ name: 'test send', ok: true, detail: `accepted by Graph for ${to} (id ${sent.messageId})` });
        return finish(EXIT_OK);
      } catch (err) {
        report({ name: 'test send', ok: false, detail: (err as Error).message, diagnosis: err instanceof GraphSendError ? err.diagnosis : null });
        return finish(EXIT_FAILED);
      }
    } finally {
      mailer?.close();
      await shared?.close();
    }
  },
};

/** The record `register` left, or a fresh read by an administrator; the guide's steps it breaks. */
async function registrationCheck(home: string, settings: Settings, readNow: boolean, bootstrapClientId: string, ctx: CliContext): Promise<Check> {
  const clientId = settings.account.clientId ?? '';
  let record: RegistrationRecord | undefined;
  if (readNow) {
    try {
      record = await readRegistrationAsAdmin({
        appId: clientId,
        tenant: settings.account.tenantId ?? 'organizations',
        bootstrapClientId,
        loginHost: authorityHost(settings),
        graphBase: graphBaseUrl(settings),
        ca: await trustedCa(settings),
        emulator: usesEmulator(settings),
        readBy: 'doctor --read-registration',
        onCode: (message) => writeLine(ctx.json ? ctx.stderr : ctx.stdout, message),
      });
    } catch (err) {
      if (!(err instanceof RegistrationError)) throw err;
      return { name: 'registration', ok: false, detail: err.message };
    }
    await saveRegistrationRecord(home, record);
  } else {
    record = await loadRegistrationRecord(home, clientId);
  }
  if (!record) {
    return {
      name: 'registration',
      ok: true,
      skipped: true,
      detail: 'not read (no `register` run here for this Client ID): the next checks find the same mistakes from Entra ID\'s answers. `o365-notify doctor --read-registration` reads it as an administrator.',
    };
  }
  const review = reviewRegistration(record, settings, Date.now(), (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
  const errors = review.problems.filter((p) => p.severity === 'error');
  const warnings = review.problems.filter((p) => p.severity === 'warning');
  const steps = (list: typeof errors) => list.map((p, i) => `\n      ${i + 1}. ${p.message}`).join('');
  if (errors.length > 0) return { name: 'registration', ok: false, detail: `${review.source} differs from the guide:${steps([...errors, ...warnings])}` };
  return { name: 'registration', ok: true, detail: `${review.source} follows the guide${warnings.length > 0 ? `; to look at:${steps(warnings)}` : '.'}` };
}
