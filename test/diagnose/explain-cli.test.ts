import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process; `stdin` undefined means an interactive terminal. */
async function run(argv: string[], stdin?: string): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  if (stdin === undefined) Object.assign(input, { isTTY: true });
  else input.end(stdin);
  const code = await main(argv, { stdout, stderr, stdin: input, env: {} });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const BODY_7000218 = JSON.stringify({
  error: 'invalid_client',
  error_description:
    "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.\r\nTrace ID: 0000aaaa-11bb-cccc-dd33-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2025-03-14 09:26:53Z",
  error_codes: [7000218],
});

describe('o365-notify explain', () => {
  it('explains an error given as an argument', async () => {
    const r = await run(['explain', "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented."]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /What happened: AADSTS700025 - /);
    assert.match(r.stdout, /How to fix: Remove the Client Secret/);
    assert.match(r.stdout, /Guide step: .*\(client-secret\)/);
    assert.equal(r.stderr, '');
  });

  it('joins several arguments and accepts text after --', async () => {
    const r = await run(['explain', '--', '-', 'ServerError:', 'invalid_grant:', 'AADSTS50173:', 'The provided grant has expired due to it being revoked.']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /AADSTS50173/);
    assert.match(r.stdout, /o365-notify login/);
  });

  it('reads the error from stdin when no argument is given', async () => {
    const r = await run(['explain'], `2025-03-14T09:26:53Z ERROR device code sign-in failed: ${BODY_7000218}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /AADSTS7000218 - Public client flows are off/);
    assert.match(r.stdout, /Authentication > Advanced settings and set Allow public client flows = Yes, then Save/);
    assert.doesNotMatch(r.stdout, /Trace ID/);
  });

  it('prints the diagnosis as JSON with --json (before or after the command)', async () => {
    for (const argv of [['--json', 'explain'], ['explain', '--json']]) {
      const r = await run(argv, BODY_7000218);
      assert.equal(r.code, 0, r.stderr);
      const d = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.equal(d.code, 'AADSTS7000218');
      assert.equal(d.guideStep, 'public-client-flows');
      assert.equal(typeof d.title, 'string');
      assert.equal(typeof d.cause, 'string');
      assert.match(String(d.fix), /Allow public client flows = Yes/);
      assert.equal(d.known, true);
    }
  });

  it('puts the admin-consent URL for the given tenant into consent errors', async () => {
    const clientId = 'f1e2d3c4-b5a6-4789-8abc-def012345678';
    const r = await run(
      ['--json', 'explain', '--tenant-id', 'contoso.onmicrosoft.com', '--client-id', clientId, '--authority-host', 'https://127.0.0.1:8443'],
      '{"error":"invalid_grant","error_description":"AADSTS90094: The grant requires admin permission.","error_codes":[90094]}',
    );
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as { adminConsentUrl: string; guideStep: string };
    assert.equal(d.guideStep, 'admin-consent');
    assert.equal(d.adminConsentUrl, `https://127.0.0.1:8443/contoso.onmicrosoft.com/adminconsent?client_id=${clientId}`);
  });

  it('explains a Graph error envelope', async () => {
    const r = await run(['explain'], '{"error":{"code":"MailboxNotEnabledForRESTAPI","message":"The mailbox is either inactive, soft-deleted, or is hosted on-premise."}}');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /MailboxNotEnabledForRESTAPI/);
    assert.match(r.stdout, /\(mailbox\)/);
  });

  it('exits 1 and says what to paste when no code is found', async () => {
    const r = await run(['explain', 'it', 'just', 'does', 'not', 'work']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /No known Entra ID or Microsoft Graph error code was found/);
    assert.match(r.stderr, /AADSTS/);

    const json = await run(['--json', 'explain'], 'nothing here');
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout), null);
  });

  it('exits 1 on empty stdin', async () => {
    const r = await run(['explain'], '');
    assert.equal(r.code, 1);
  });

  it('prints usage and exits 2 instead of waiting on a terminal', async () => {
    const r = await run(['explain']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: o365-notify explain/);
    assert.equal(r.stdout, '');
  });

  it('exits 2 on an unknown flag and shows its usage with --help', async () => {
    const bad = await run(['explain', '--bogus', 'AADSTS50011']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Usage: o365-notify explain/);
    const help = await run(['explain', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: o365-notify explain/);
  });

  it('is listed in the help', async () => {
    const r = await run(['--help']);
    assert.match(r.stdout, /explain\s+explain an Entra ID or Graph error/);
  });
});
