import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseStoreUrl, redactStoreUrl } from '../../../src/shared/index.js';
import { runCli, tempHome, testEnv } from '../../support/cli.js';

const PASSWORD = 'Sup3r-Secret-PW';

describe('store.url / O365_NOTIFY_STORE_URL', () => {
  it('parses sqlite: and postgres URLs; the password appears only masked', () => {
    assert.deepEqual(parseStoreUrl(''), { ok: true, location: { kind: 'sqlite' } });
    assert.deepEqual(parseStoreUrl('sqlite:'), { ok: true, location: { kind: 'sqlite' } });
    const parsed = parseStoreUrl(`postgresql://notify:${PASSWORD}@db.contoso.local/o365`);
    assert.ok(parsed.ok && parsed.location.kind === 'postgres');
    assert.equal(parsed.location.display, 'postgresql://notify:***@db.contoso.local/o365');
    assert.equal(parsed.location.port, 5432);
    assert.equal(parsed.location.database, 'o365');
    assert.equal(parsed.location.user, 'notify');
    for (const bad of [`postgres//notify:${PASSWORD}@db/o365`, `mysql://notify:${PASSWORD}@db/o365`, `postgres://notify:${PASSWORD}@db.contoso.local`, 'sqlite:/var/lib/x.db']) {
      const result = parseStoreUrl(bad);
      assert.ok(!result.ok, bad);
      assert.ok(!result.problem.includes(PASSWORD), `no password in: ${result.problem}`);
    }
    assert.equal(redactStoreUrl(`postgres://u:${PASSWORD}@h/d`), 'postgres://u:***@h/d');
  });

  it('config check says in words that the database of a postgres URL cannot be reached, and what to fix; show masks the password (text and JSON)', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const env = testEnv(home, { O365_NOTIFY_STORE_URL: `postgres://notify:${PASSWORD}@db.contoso.local:6432/o365` });
      const check = await runCli(['config', 'check', '--json'], { home, env });
      assert.ok(!(check.stdout + check.stderr).includes(PASSWORD));
      const problems = JSON.parse(check.stdout).problems.filter((p: { field: string }) => p.field === 'store.url');
      assert.equal(problems.length, 1);
      assert.equal(problems[0].severity, 'error');
      assert.match(problems[0].message, /(Cannot find the host db\.contoso\.local of store\.url \(postgres:\/\/notify:\*\*\*@db\.contoso\.local:6432\/o365\): correct the host name|did not answer in time)/);
      assert.match(problems[0].message, /The service cannot start until it connects/);
      const show = await runCli(['config', 'show'], { home, env });
      assert.equal(show.code, 0);
      assert.match(show.stdout, /store\.url\s+postgres:\/\/notify:\*\*\*@db\.contoso\.local:6432\/o365 {2}\[from O365_NOTIFY_STORE_URL\]/);
      const json = await runCli(['config', 'show', '--json'], { home, env });
      assert.equal(JSON.parse(json.stdout).settings.store.url, 'postgres://notify:***@db.contoso.local:6432/o365');
      assert.ok(!(show.stdout + show.stderr + json.stdout + json.stderr).includes(PASSWORD));
    } finally {
      await cleanup();
    }
  });

  it('config check refuses a URL that is not a store, from the file or the environment, without echoing it', async () => {
    const { home, cleanup } = await tempHome();
    try {
      fs.writeFileSync(path.join(home, 'settings.yaml'), `store:\n  url: mysql://notify:${PASSWORD}@db/o365\n`);
      const fromFile = await runCli(['config', 'check'], { home });
      assert.equal(fromFile.code, 1);
      assert.match(fromFile.stdout + fromFile.stderr, /store\.url must be sqlite: or a postgres:\/\/ URL, but the value given uses mysql:/);
      const fromEnv = await runCli(['config', 'check'], { home, env: testEnv(home, { O365_NOTIFY_STORE_URL: `postgres//notify:${PASSWORD}@db/o365` }) });
      assert.equal(fromEnv.code, 1);
      assert.match(fromEnv.stdout + fromEnv.stderr, /O365_NOTIFY_STORE_URL\) must be sqlite: or a postgres:\/\/ URL, but the value given is not a URL/);
      assert.ok(!(fromFile.stdout + fromFile.stderr + fromEnv.stdout + fromEnv.stderr).includes(PASSWORD));
    } finally {
      await cleanup();
    }
  });

  it('serve with a postgres store.url it cannot reach says why and what to fix, exits 1, and neither falls back to SQLite nor makes an API token', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const env = testEnv(home, { O365_NOTIFY_STORE_URL: `postgres://notify:${PASSWORD}@127.0.0.1:1/o365` });
      const run = await runCli(['serve', '--port', '0'], { home, env });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /The service did not start: Cannot reach PostgreSQL at 127\.0\.0\.1:1 \(connection refused\): start the PostgreSQL server, or correct the host and port in store\.url \(postgres:\/\/notify:\*\*\*@127\.0\.0\.1:1\/o365\)/);
      assert.match(run.stderr, /does not fall back to the SQLite file/);
      assert.ok(!(run.stdout + run.stderr).includes(PASSWORD));
      const left = fs.readdirSync(home, { recursive: true }).map(String);
      assert.ok(!left.some((f) => f.endsWith('.db')), `no SQLite store made: ${left.join(', ')}`);
      assert.ok(!left.some((f) => f.includes('api-token')), `no API token made: ${left.join(', ')}`);
    } finally {
      await cleanup();
    }
  });

  it('store migrate: the home\'s SQLite store without a URL; a database that cannot be reached is told in words, exit 1', async () => {
    const { home, cleanup } = await tempHome();
    try {
      const sqlite = await runCli(['store', 'migrate'], { home });
      assert.equal(sqlite.code, 0, sqlite.stderr);
      assert.match(sqlite.stdout, /SQLite store .*o365-notify\.db: schema version \d+, up to date\./);
      assert.ok(fs.existsSync(path.join(home, 'data', 'o365-notify.db')));
      const down = await runCli(['store', 'migrate', '--url', `postgres://notify:${PASSWORD}@127.0.0.1:1/o365`], { home });
      assert.equal(down.code, 1);
      assert.match(down.stderr, /Cannot reach PostgreSQL at 127\.0\.0\.1:1 \(connection refused\): start the PostgreSQL server, or correct the host and port in store\.url \(postgres:\/\/notify:\*\*\*@127\.0\.0\.1:1\/o365\)/);
      const usage = await runCli(['store', 'copy', '--from', home, '--to', 'sqlite:'], { home });
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--to must be a postgres:\/\/ URL/);
      const ownHome = await runCli(['store', 'copy', '--from', 'sqlite:', '--to', `postgres://notify:${PASSWORD}@127.0.0.1:1/o365`], { home: path.join(home, 'empty') });
      assert.equal(ownHome.code, 1);
      assert.match(ownHome.stderr, new RegExp(`There is no SQLite store at ${path.join(home, 'empty', 'data', 'o365-notify.db').replace(/[.\\/]/g, '\\$&')}: nothing to copy`));
      assert.ok(!(down.stdout + down.stderr).includes(PASSWORD));
    } finally {
      await cleanup();
    }
  });
});
