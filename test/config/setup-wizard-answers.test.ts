import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { runCli, tempHome } from '../support/cli.js';

const run = promisify(execFile);
const CLIENT_ID = '11111111-2222-4333-8444-555555555501';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SECRET_ID = '0b7a3f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const SECRET = 'Abc8Q~Zyx1Wvu2Tsr3Qpo4Nml5Kji6Hgf7Edc8Bae';

describe('setup wizard checks each answer as it is given (issue 9.10)', () => {
  it('asks again for a Client ID that is a name, a secret that is the Secret ID, an ambiguous date and a bad address', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const answers = [
        '1',
        'ImageManager Eval', // the display name, not the Application (client) ID: asked again at once
        CLIENT_ID,
        TENANT_ID,
        'app-only',
        'sender@contoso.com',
        SECRET_ID, // the Secret ID instead of the Value: asked again at once
        SECRET,
        '05/06/2027', // ambiguous: asked again
        '31/05/2027',
        'ops@contoso.com, ops@contoso.com.',
        'ops@contoso.com',
      ].join('\n') + '\n';
      const r = await runCli(['setup', '--interactive'], { home, stdin: answers });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const order = [/account\.clientId is not a GUID/, /Tenant ID/, /"Secret ID", not the secret/, /could be 2027-06-05 or 2027-05-06/, /"ops@contoso\.com\." \(the domain "contoso\.com\." ends with a dot\)/, /Saved/];
      let at = 0;
      for (const re of order) {
        const m = re.exec(r.stdout.slice(at));
        assert.ok(m, `${re} after position ${at} in:\n${r.stdout}`);
        at += m.index;
      }
      const yaml = await readFile(join(home, 'settings.yaml'), 'utf8');
      assert.match(yaml, new RegExp(`clientId: ${CLIENT_ID}`));
      assert.match(yaml, /secretExpires: 2027-05-31/);
      assert.doesNotMatch(yaml, /contoso\.com\./);
      assert.ok(!r.stdout.includes(SECRET), 'the secret is never printed');
    } finally {
      await cleanup();
    }
  });

  it('common date forms are read in settings.yaml and --secret-expires; a bad stored value never blocks the command that replaces it', async () => {
    const { home, cleanup } = await tempHome();
    try {
      await writeFile(
        join(home, 'settings.yaml'),
        `account:\n  type: single-tenant\n  clientId: ${CLIENT_ID}\n  tenantId: ${TENANT_ID}\n  secretExpires: "end of May"\nmail:\n  to: [ops@contoso.com]\n`,
      );
      const check = await runCli(['config', 'check'], { home });
      assert.equal(check.code, 1);
      assert.match(check.stdout, /account\.secretExpires must be a date as YYYY-MM-DD/);
      const fix = await runCli(['setup', '--secret-expires', '2027-05-31'], { home });
      assert.equal(fix.code, 0, fix.stdout + fix.stderr);
      assert.match(await readFile(join(home, 'settings.yaml'), 'utf8'), /secretExpires: "?2027-05-31/);
      const other = await runCli(['setup', '--secret-expires', 'May 31, 2028'], { home });
      assert.equal(other.code, 0, other.stderr);
      assert.match(await readFile(join(home, 'settings.yaml'), 'utf8'), /secretExpires: "?2028-05-31/);
      const ambiguous = await runCli(['setup', '--secret-expires', '05/06/2027'], { home });
      assert.equal(ambiguous.code, 2);
      assert.match(ambiguous.stderr, /could be 2027-06-05 or 2027-05-06/);
    } finally {
      await cleanup();
    }
  });
});

async function tmux(socket: string, ...args: string[]): Promise<string> {
  return (await run('tmux', ['-L', socket, ...args])).stdout;
}

async function screenShows(socket: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const screen = await tmux(socket, 'capture-pane', '-p', '-t', 'wizard');
    if (pattern.test(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${screen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('setup wizard on a real terminal (issue 9.10)', () => {
  it('under tmux the client secret is not shown while it is typed', async () => {
    const { home, cleanup } = await tempHome();
    const socket = `o365-wizard-${process.pid}`;
    const bin = resolve('src/cli/bin.ts');
    const command = `env -i PATH="${process.env.PATH}" HOME="${home}" O365_NOTIFY_KEYRING=off node --import tsx ${bin} --home ${home} setup --interactive; echo "exit=$?"; sleep 60`;
    try {
      await tmux(socket, 'new-session', '-d', '-s', 'wizard', '-x', '200', '-y', '60', '-c', process.cwd(), command);
      const answer = async (prompt: RegExp, text: string) => {
        await screenShows(socket, prompt);
        await tmux(socket, 'send-keys', '-t', 'wizard', '-l', text);
        await tmux(socket, 'send-keys', '-t', 'wizard', 'Enter');
      };
      await answer(/Account type \(1-4\)/, '1');
      await answer(/Client ID/, CLIENT_ID);
      await answer(/Tenant ID/, TENANT_ID);
      await answer(/Sign-in method/, 'app-only');
      await answer(/Mailbox to send as/, 'sender@contoso.com');
      await answer(/Client secret Value/, SECRET);
      await answer(/Secret expiry date/, '2027-05-31');
      await answer(/Default recipients/, 'ops@contoso.com');
      const screen = await screenShows(socket, /exit=\d+/);
      assert.match(screen, /exit=0/, screen);
      assert.ok(!screen.includes(SECRET) && !screen.includes(SECRET.slice(0, 12)), `the secret is on the screen:\n${screen}`);
    } finally {
      await tmux(socket, 'kill-server').catch(() => undefined);
      await cleanup();
    }
  });
});
