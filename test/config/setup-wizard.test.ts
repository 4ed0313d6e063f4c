import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempHome } from '../support/cli.js';

describe('setup wizard (interactive)', () => {
  it('explains the account types in the guide\'s words, refuses personal-only, blanks the Tenant ID for multitenant + personal', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const answers = [
        '4', // Personal Microsoft accounts only: refused, asked again
        '3', // multitenant + personal
        '11111111-2222-4333-8444-555555555503',
        'device-code',
        '', // no secret
        'ops@contoso.com, it@contoso.com',
      ].join('\n') + '\n';
      const r = await runCli(['setup', '--interactive'], { home, stdin: answers });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /Accounts in this organizational directory only/);
      assert.match(r.stdout, /Personal Microsoft accounts only is NOT supported/);
      assert.match(r.stdout, /Tenant ID: left blank/);
      assert.match(r.stdout, /Redirect URI to register under Authentication > Mobile and desktop applications: http:\/\/localhost/);
      const yaml = await readFile(join(home, 'settings.yaml'), 'utf8');
      assert.match(yaml, /type: multi-tenant-personal/);
      assert.match(yaml, /auth: device-code/);
      assert.doesNotMatch(yaml, /tenantId:/);
      assert.match(yaml, /ops@contoso\.com/);
      // The service's API token is made once and shown once; only its hash is kept.
      const [, token] = r.stdout.match(/API token for the service[^\n]*\n\s+(o365n_\S+)/) ?? [];
      assert.ok(token, 'the token is shown at the first setup');
      assert.ok(!(await readFile(join(home, 'api-token.json'), 'utf8')).includes(token));
      const again = await runCli(['setup', '--non-interactive', '--to', 'ops@contoso.com'], { home });
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stdout, /o365n_/);
    } finally {
      await cleanup();
    }
  });

  it('from flags: single tenant without a Tenant ID is not saved and the problem names the guide step', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const r = await runCli(['setup', '--non-interactive', '--account-type', 'single-tenant', '--client-id', '11111111-2222-4333-8444-555555555501'], { home });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Not saved/);
      assert.match(r.stderr, /account.tenantId is required/);
      assert.match(r.stderr, /Directory \(tenant\) ID/);
      const personal = await runCli(['setup', '--non-interactive', '--account-type', 'personal', '--client-id', '11111111-2222-4333-8444-555555555501'], { home });
      assert.equal(personal.code, 1);
      assert.match(personal.stderr, /NOT supported/);
      const blankRule = await runCli(['setup', '--non-interactive', '--account-type', 'multi-tenant-personal', '--client-id', '11111111-2222-4333-8444-555555555501', '--tenant-id', 'contoso.onmicrosoft.com'], { home });
      assert.equal(blankRule.code, 1);
      assert.match(blankRule.stderr, /MUST be left blank|must be blank/i);
    } finally {
      await cleanup();
    }
  });
});
