import { resolveHome } from '../../config/index.js';
import { MATCHER_LABELS, SilenceValidationError, describeMatchers, parseDuration } from '../../notify/index.js';
import type { SilenceRow } from '../../store/index.js';
import { callApi, connectToService, describeApiError, type ServiceConnection, withLocalService } from '../../server/index.js';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, UsageError, writeLine, type CliContext, type Command } from '../command.js';
import { missingTokenMessage, refusedBesideService, unreachableUrlMessage } from './event.js';

const usage = `Usage: o365-notify silence add --match LABEL=PATTERN [--match ...] (--until ISO-8601 | --for DURATION) [--comment C]
       o365-notify silence list
       o365-notify silence remove ID
       (each also takes [--url URL] [--token TOKEN])

A silence holds back the e-mails of matching alerts until it ends (they still count in status and
the daily report). LABEL is one of ${MATCHER_LABELS.join(', ')}; * in PATTERN matches anything, e.g.
--match type=imagemanager.* --match agent=SRV1 --until 2026-12-01T00:00Z, or --for 2h.
Goes through the running service's API (the address it recorded in the home, else the settings,
or --url; token from --token or O365_NOTIFY_API_TOKEN), or straight to the store when no service
runs (never while one runs but does not answer). Silences written in settings.yaml are listed too.`;

interface SilenceView {
  id: string;
  matchers: Record<string, string>;
  startsAt: string;
  endsAt: string;
  comment: string;
}

const iso = (v: number | string) => (typeof v === 'number' ? new Date(v).toISOString() : v);

function view(s: Pick<SilenceRow, 'id' | 'matchers' | 'comment'> & { startsAt: number | string; endsAt: number | string }): SilenceView {
  return { id: s.id, matchers: s.matchers as Record<string, string>, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), comment: s.comment };
}

function parseMatchers(values: string[] | undefined): Record<string, string> {
  const matchers: Record<string, string> = {};
  for (const m of values ?? []) {
    const eq = m.indexOf('=');
    if (eq <= 0) throw new UsageError(`--match takes LABEL=PATTERN (e.g. agent=SRV1), not "${m}"`);
    const label = m.slice(0, eq).trim();
    if (!(MATCHER_LABELS as readonly string[]).includes(label)) throw new UsageError(`--match: "${label}" is not one of ${MATCHER_LABELS.join(', ')}`);
    matchers[label] = m.slice(eq + 1);
  }
  if (Object.keys(matchers).length === 0) throw new UsageError('give at least one --match LABEL=PATTERN');
  return matchers;
}

async function viaApi(ctx: CliContext, conn: ServiceConnection, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown } | undefined> {
  if (!conn.token) {
    writeLine(ctx.stderr, missingTokenMessage(conn));
    return undefined;
  }
  const answer = await callApi(conn.url, conn.token, method, path, body);
  if (answer.status >= 400) {
    for (const line of describeApiError(answer)) writeLine(ctx.stderr, line);
    return undefined;
  }
  return answer;
}

function printList(ctx: CliContext, silences: SilenceView[], fromSettings: SilenceView[]): void {
  if (ctx.json) {
    writeLine(ctx.stdout, JSON.stringify({ silences, fromSettings }));
    return;
  }
  const now = Date.now();
  const active = silences.filter((s) => Date.parse(s.endsAt) > now);
  if (active.length === 0 && fromSettings.length === 0) writeLine(ctx.stdout, 'No silences.');
  for (const s of active) {
    writeLine(ctx.stdout, `${s.id}  ${describeMatchers(s.matchers)}  until ${s.endsAt}${s.comment ? `  (${s.comment})` : ''}`);
  }
  for (const s of fromSettings) {
    writeLine(ctx.stdout, `settings.yaml  ${describeMatchers(s.matchers)}  until ${s.endsAt}${s.comment ? `  (${s.comment})` : ''}`);
  }
}

export const silenceCommand: Command = {
  name: 'silence',
  summary: 'hold back e-mails for matching alerts for a while (add, list, remove)',
  usage,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        match: { type: 'string', multiple: true },
        until: { type: 'string' },
        for: { type: 'string' },
        comment: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
      },
      true,
    );
    const [action, ...rest] = positionals;
    const home = resolveHome(ctx.home, ctx.env);

    if (action === 'add') {
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const matchers = parseMatchers(values.match);
      if ((values.until === undefined) === (values.for === undefined)) throw new UsageError('give --until ISO-8601 or --for DURATION (e.g. 2h)');
      let endsAt = values.until;
      if (values.for !== undefined) {
        const ms = parseDuration(values.for);
        if (ms === undefined || ms <= 0) throw new UsageError(`--for takes a duration such as 30m, 2h or 1d, not "${values.for}"`);
        endsAt = new Date(Date.now() + ms).toISOString();
      }
      const input = { matchers, endsAt: endsAt!, comment: values.comment, createdBy: 'cli' };
      const conn = await connectToService(home, ctx.env, { url: values.url, token: values.token });
      if (!conn.running && values.url !== undefined) {
        writeLine(ctx.stderr, unreachableUrlMessage(conn.url));
        return EXIT_FAILED;
      }
      let silence: SilenceView;
      if (conn.running) {
        const answer = await viaApi(ctx, conn, 'POST', '/api/v1/silences', input);
        if (!answer) return EXIT_FAILED;
        silence = answer.body as SilenceView;
      } else {
        if (refusedBesideService(ctx, home, conn)) return EXIT_FAILED;
        try {
          silence = view(await withLocalService(home, (s) => s.addSilence(input)));
        } catch (err) {
          if (err instanceof SilenceValidationError) {
            writeLine(ctx.stderr, err.message);
            return EXIT_FAILED;
          }
          throw err;
        }
      }
      if (ctx.json) writeLine(ctx.stdout, JSON.stringify(silence));
      else writeLine(ctx.stdout, `Silence ${silence.id} added: ${describeMatchers(silence.matchers)} until ${silence.endsAt}.`);
      return EXIT_OK;
    }

    if (action === 'list') {
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const conn = await connectToService(home, ctx.env, { url: values.url, token: values.token });
      if (!conn.running && values.url !== undefined) {
        writeLine(ctx.stderr, unreachableUrlMessage(conn.url));
        return EXIT_FAILED;
      }
      if (conn.running) {
        const answer = await viaApi(ctx, conn, 'GET', '/api/v1/silences');
        if (!answer) return EXIT_FAILED;
        const body = answer.body as { silences: SilenceView[]; fromSettings: SilenceView[] };
        printList(ctx, body.silences, body.fromSettings);
      } else {
        if (refusedBesideService(ctx, home, conn)) return EXIT_FAILED;
        const { store, settings } = await withLocalService(home, (s) => s.listSilences());
        const now = Date.now();
        printList(ctx, store.filter((s) => s.removedAt === null && s.endsAt > now).map(view), settings.filter((s) => s.endsAt > now).map(view));
      }
      return EXIT_OK;
    }

    if (action === 'remove') {
      const [id, ...extra] = rest;
      if (!id || extra.length > 0) throw new UsageError('say `o365-notify silence remove ID` (the ID from `silence list`)');
      const conn = await connectToService(home, ctx.env, { url: values.url, token: values.token });
      if (!conn.running && values.url !== undefined) {
        writeLine(ctx.stderr, unreachableUrlMessage(conn.url));
        return EXIT_FAILED;
      }
      let removed: boolean;
      if (conn.running) {
        if (!conn.token) {
          writeLine(ctx.stderr, missingTokenMessage(conn));
          return EXIT_FAILED;
        }
        const answer = await callApi(conn.url, conn.token, 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}`);
        if (answer.status !== 204 && answer.status !== 404) {
          for (const line of describeApiError(answer)) writeLine(ctx.stderr, line);
          return EXIT_FAILED;
        }
        removed = answer.status === 204;
      } else {
        if (refusedBesideService(ctx, home, conn)) return EXIT_FAILED;
        removed = await withLocalService(home, (s) => s.removeSilence(id));
      }
      if (!removed) {
        writeLine(ctx.stderr, `No active silence with id ${id}. \`o365-notify silence list\` shows them.`);
        return EXIT_FAILED;
      }
      writeLine(ctx.stdout, ctx.json ? JSON.stringify({ ok: true, id }) : `Silence ${id} removed; what it held back goes out at its group's next turn.`);
      return EXIT_OK;
    }

    throw new UsageError(action === undefined ? 'say add, list or remove' : `unknown action "${action}": say add, list or remove`);
  },
};
