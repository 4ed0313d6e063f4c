import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LogLevel, PublicClientApplication, type AccountInfo, type INetworkModule } from '@azure/msal-node';
import type pg from 'pg';
import { DEMO_APPS, DEMO_DOMAIN, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { TokenCacheConflictError, tokenCachePlugin } from '../../src/auth/cache-plugin.js';
import { fileTokenCache, seedTokenCache, sharedTokenCache, type AuthStateStore, type SealedTokenCacheStore, type TokenCacheStorage } from '../../src/auth/token-cache-port.js';
import type { AuthState } from '../../src/auth/index.js';
import { createNetworkClient } from '../../src/auth/network-client.js';
import { openSecretStore, type SecretStore } from '../../src/secrets/index.js';
import { createPgPool, migratePg, PgTokenCacheError, PgTokenCaches } from '../../src/store/postgres/index.js';
import type { TestEmulator } from '../support/emulator.js';
import { approveDeviceCode } from '../support/msal.js';
import { pgLocation, skipReason, startTestPostgres, startWithEmulator, type TestPostgres } from '../support/postgres.js';

/**
 * Issue 16.3: msal's token cache and the sign-in state shared through PostgreSQL by two
 * "instances" (two pools, two SecretStores with the same key, two real msal-node public clients)
 * against the emulator over HTTPS.
 */

const started = await startTestPostgres();
const ALERTS = `alerts@${DEMO_DOMAIN}`;
const APP = DEMO_APPS.singleTenant;
const SCOPES = ['Mail.Send'];

/** What the token endpoint handed out, as the network saw it (to look for in the database). */
interface Issued {
  refreshTokens: string[];
  secrets: string[];
}

interface Instance {
  name: string;
  pool: pg.Pool;
  caches: PgTokenCaches;
  secrets: SecretStore;
  app: PublicClientApplication;
  conflicts: number;
}

function recordingNetwork(ca: string, issued: Issued): INetworkModule {
  const base = createNetworkClient({ ca }).client;
  return {
    sendGetRequestAsync: (url, options, timeout) => base.sendGetRequestAsync(url, options, timeout),
    async sendPostRequestAsync<T>(url: string, options?: Parameters<INetworkModule['sendPostRequestAsync']>[1]) {
      const response = await base.sendPostRequestAsync<T>(url, options);
      const body = response.body as { refresh_token?: string; access_token?: string; id_token?: string };
      if (body.refresh_token) issued.refreshTokens.push(body.refresh_token);
      for (const s of [body.refresh_token, body.access_token, body.id_token]) if (s) issued.secrets.push(s);
      return response;
    },
  };
}

/** The refresh token in a serialized msal cache (one account, one client). */
function refreshTokenIn(json: string | undefined): string | undefined {
  if (!json) return undefined;
  const entries = Object.values((JSON.parse(json) as { RefreshToken?: Record<string, { secret: string }> }).RefreshToken ?? {});
  assert.ok(entries.length <= 1, 'one refresh token');
  return entries[0]?.secret;
}

describe('the token cache and sign-in state shared through PostgreSQL', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  let emu: TestEmulator;
  let stop: () => Promise<void>;
  const homes: string[] = [];
  const pools: pg.Pool[] = [];
  const key = randomBytes(32).toString('base64');

  before(async () => {
    ({ postgres, emu, stop } = await startWithEmulator(started, { fastDeviceCodes: true }));
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await stop?.();
    await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })));
  });

  async function database(): Promise<string> {
    const url = await postgres.createDatabase('o365_tokens');
    const pool = createPgPool(pgLocation(url), { max: 2 });
    pools.push(pool);
    await migratePg(pool, pgLocation(url));
    return url;
  }

  /** One instance: its own pool, its own home (same key, as docs/postgres-token-cache.md tells), its own msal app. */
  async function instance(
    name: string,
    url: string,
    issued: Issued,
    options: { wrap?: (s: SealedTokenCacheStore) => SealedTokenCacheStore; lockTimeoutMs?: number; key?: string } = {},
  ): Promise<Instance> {
    const pool = createPgPool(pgLocation(url), { max: 3, applicationName: name });
    pools.push(pool);
    const caches = new PgTokenCaches(pool, { instance: name, location: pgLocation(url), lockTimeoutMs: options.lockTimeoutMs });
    const home = await mkdtemp(join(tmpdir(), `o365-${name}-`));
    homes.push(home);
    const secrets = await openSecretStore(home, { O365_NOTIFY_KEY: options.key ?? key }, { keyring: null });
    const sealed: SealedTokenCacheStore = caches.cache(); // the store implements the auth layer's port
    const storage: TokenCacheStorage = sharedTokenCache(options.wrap ? options.wrap(sealed) : sealed, secrets);
    const self: Instance = { name, pool, caches, secrets, app: undefined as unknown as PublicClientApplication, conflicts: 0 };
    self.app = new PublicClientApplication({
      auth: { clientId: APP, authority: `${emu.url}/${DEMO_TENANT_ID}`, knownAuthorities: [new URL(emu.url).host] },
      cache: { cachePlugin: tokenCachePlugin(storage, { onConflict: () => self.conflicts++ }) },
      system: { networkClient: recordingNetwork(emu.caPem, issued), loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} } },
    });
    return self;
  }

  async function signIn(a: Instance): Promise<AccountInfo> {
    const result = await a.app.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: (r) => void approveDeviceCode(emu, r.userCode, ALERTS) });
    assert.ok(result?.account);
    return result.account;
  }

  async function stored(a: Instance): Promise<{ json: string | undefined; version: number }> {
    const { rows } = await a.pool.query<{ ciphertext: string | null; version: number }>("SELECT ciphertext, version FROM token_caches WHERE name = 'msal'");
    const row = rows[0];
    return { json: row?.ciphertext ? await a.secrets.openTokenCache(row.ciphertext, 'the row') : undefined, version: row?.version ?? 0 };
  }

  async function emulatorAccepts(rt: string): Promise<number> {
    const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: APP, refresh_token: rt, scope: 'Mail.Send openid profile offline_access' }).toString();
    return (await emu.call('POST', `/${DEMO_TENANT_ID}/oauth2/v2.0/token`, body, { 'content-type': 'application/x-www-form-urlencoded' })).status;
  }

  it('A signs in, B gets a token silently from the shared cache; A\'s refresh (a rotated refresh token) is what B uses next', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const b = await instance('b', url, issued);
    const account = await signIn(a);

    const [seen] = await b.app.getTokenCache().getAllAccounts();
    assert.equal(seen?.username, ALERTS, 'B sees the account A signed in');
    const silent = await b.app.acquireTokenSilent({ account: seen!, scopes: SCOPES });
    assert.equal(silent.fromCache, true, 'B did not call the token endpoint');
    assert.equal(issued.refreshTokens.length, 1, 'only A\'s sign-in reached the token endpoint');

    const before = refreshTokenIn((await stored(a)).json);
    const refreshed = await a.app.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
    const after = refreshTokenIn((await stored(a)).json);
    assert.notEqual(after, before, 'the refresh token rotated');
    assert.equal(after, issued.refreshTokens.at(-1), 'the rotated one is stored');

    const fromB = await b.app.acquireTokenSilent({ account: seen!, scopes: SCOPES });
    assert.equal(fromB.fromCache, true);
    assert.equal(fromB.accessToken, refreshed.accessToken, 'B uses the access token A refreshed, not the one it held');
    assert.equal(refreshTokenIn(b.app.getTokenCache().serialize()), after, 'B holds the rotated refresh token');
  });

  it('concurrent refreshes on four instances never lose the newest refresh token, and each write lands once', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const b = await instance('b', url, issued);
    const c = await instance('c', url, issued);
    const d = await instance('d', url, issued);
    const account = await signIn(a);
    const start = (await stored(a)).version;
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const issuedBefore = issued.refreshTokens.length;
      // One request per instance: msal joins identical requests made at once in one application.
      await Promise.all([a, b, c, d].map((i) => i.app.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true })));
      const now = await stored(a);
      const thisRound = issued.refreshTokens.slice(issuedBefore);
      assert.equal(thisRound.length, 4);
      assert.ok(thisRound.includes(refreshTokenIn(now.json)!), `round ${round}: the stored refresh token is one issued in this round, never an older one`);
    }
    const final = await stored(a);
    assert.equal(final.version, start + rounds * 4, 'every refresh wrote exactly once, one after the other (no write lost)');
    assert.equal(a.conflicts + b.conflicts + c.conflicts + d.conflicts, 0, 'the advisory lock serialised them: no version conflict');
    assert.equal(await emulatorAccepts(refreshTokenIn(final.json)!), 200, 'the emulator accepts the stored refresh token');
  });

  it('the table holds ciphertext only: no token in SELECT *, and the database refuses a plaintext cache', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const account = await signIn(a);
    await a.app.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
    await a.caches.state<AuthState>().update((s) => ({ ...s, signedInAt: new Date().toISOString() }));
    const { rows } = await a.pool.query('SELECT * FROM token_caches');
    const text = JSON.stringify(rows);
    assert.ok(issued.secrets.length >= 4);
    for (const secret of issued.secrets) assert.ok(!text.includes(secret), 'no token text in the table');
    const msal = rows.find((r: { name: string }) => r.name === 'msal') as { ciphertext: string; updated_by: string };
    const envelope = JSON.parse(msal.ciphertext) as { format: string; purpose: string; alg: string };
    assert.deepEqual([envelope.format, envelope.purpose, envelope.alg], ['o365-notify-encrypted', 'token-cache', 'AES-256-GCM']);
    assert.equal(msal.updated_by, 'a');
    await assert.rejects(
      a.pool.query("UPDATE token_caches SET ciphertext = $1 WHERE name = 'msal'", [a.app.getTokenCache().serialize()]),
      /token_caches_ciphertext_check/,
    );
  });

  it('a write that skipped the lock (an older instance) is detected, merged and retried, never overwritten', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const account = await signIn(a);
    // Another instance that takes no lock writes between A's read and A's write: it adds an entity.
    const rogueKey = 'rogue-appmetadata-key';
    let rogueWrites = 0;
    let always = false;
    const rogue = async () => {
      const now = await stored(a);
      const cache = JSON.parse(now.json!) as Record<string, Record<string, unknown>>;
      cache.AppMetadata = { ...cache.AppMetadata, [`${rogueKey}-${rogueWrites}`]: { client_id: 'other', environment: 'x' } };
      await a.pool.query("UPDATE token_caches SET ciphertext = $1, version = version + 1 WHERE name = 'msal'", [await a.secrets.sealTokenCache(JSON.stringify(cache))]);
      rogueWrites++;
    };
    let armed = true;
    const wrap = (s: SealedTokenCacheStore): SealedTokenCacheStore => ({
      where: s.where,
      async lock() {
        const lease = await s.lock();
        return {
          ...lease,
          sealed: lease.sealed,
          version: lease.version,
          async write(sealed, expected) {
            if (armed || always) {
              armed = false;
              await rogue();
            }
            return lease.write(sealed, expected);
          },
        };
      },
    });
    const b = await instance('b', url, issued, { wrap });
    const [seen] = await b.app.getTokenCache().getAllAccounts();
    assert.equal(seen?.homeAccountId, account.homeAccountId);
    const before = (await stored(a)).version;
    await b.app.acquireTokenSilent({ account: seen!, scopes: SCOPES, forceRefresh: true });
    assert.equal(b.conflicts, 1, 'the conflict was detected');
    const after = await stored(a);
    assert.equal(after.version, before + 2, 'the rogue write and B\'s merged write');
    assert.equal(refreshTokenIn(after.json), issued.refreshTokens.at(-1), 'B\'s new refresh token is stored');
    assert.ok(`${rogueKey}-0` in (JSON.parse(after.json!) as { AppMetadata: object }).AppMetadata, 'the other writer\'s entity is kept');

    // A writer that keeps racing: B gives up with a clear error and overwrites nothing.
    always = true;
    await assert.rejects(b.app.acquireTokenSilent({ account: seen!, scopes: SCOPES, forceRefresh: true }), (err: Error) => {
      assert.ok(err instanceof TokenCacheConflictError, String(err));
      assert.match(err.message, /nothing was overwritten.*update every instance to the same version/);
      return true;
    });
    const last = await stored(a);
    assert.ok(`${rogueKey}-${rogueWrites - 1}` in (JSON.parse(last.json!) as { AppMetadata: object }).AppMetadata, 'the last rogue write stands');
  });

  it('an instance with another key cannot read the cache and says which key to bring', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    await signIn(a);
    const stranger = await instance('stranger', url, issued, { key: randomBytes(32).toString('base64') });
    await assert.rejects(stranger.app.getTokenCache().getAllAccounts(), (err: Error & { reason?: string }) => {
      assert.equal(err.reason, 'wrong-key', String(err));
      assert.match(err.message, /^the token_caches row 'msal' in postgres:\/\/.* was encrypted with a different key .*Fix: restore the original key/);
      return true;
    });
    assert.equal((await stored(a)).version, 1, 'nothing was written by the instance that could not read it');
  });

  it('a cache cleared by one instance (sign-out) is gone from the others\' memory too', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const b = await instance('b', url, issued);
    const account = await signIn(a);
    assert.equal((await b.app.getTokenCache().getAllAccounts()).length, 1);
    await a.caches.clear();
    assert.deepEqual(await b.app.getTokenCache().getAllAccounts(), [], 'B no longer holds the account');
    await assert.rejects(b.app.acquireTokenSilent({ account, scopes: SCOPES }), /no_tokens_found|no_account|not found|InteractionRequired/i);
    assert.equal(issued.refreshTokens.length, 1, 'B did not use a refresh token it no longer has');
  });

  it('an installation moving to PostgreSQL seeds the row from its file once, and never replaces a shared cache', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const account = await signIn(a);
    const signedIn = (await stored(a)).json!;
    const other = await database();
    const b = await instance('b', other, issued);
    const shared = () => sharedTokenCache(b.caches.cache(), b.secrets);
    await b.secrets.writeTokenCache(signedIn); // the one-machine file of the installation
    assert.equal(await seedTokenCache(fileTokenCache(b.secrets), shared()), 'copied');
    const silent = await b.app.acquireTokenSilent({ account, scopes: SCOPES });
    assert.equal(silent.fromCache, true, 'the sign-in came along');
    const version = (await stored(b)).version;
    await b.secrets.writeTokenCache(JSON.stringify({ Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: {}, AppMetadata: {} }));
    assert.equal(await seedTokenCache(fileTokenCache(b.secrets), shared()), 'already-shared');
    assert.equal((await stored(b)).version, version, 'the shared cache was not replaced');
    await b.caches.clear();
    await b.secrets.clearTokenCache();
    assert.equal(await seedTokenCache(fileTokenCache(b.secrets), shared()), 'nothing-to-copy');
  });

  it('the sign-in state is one row every instance reads, and concurrent updates never lose one', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const b = await instance('b', url, issued);
    const stateA: AuthStateStore = a.caches.state<AuthState>();
    const stateB: AuthStateStore = b.caches.state<AuthState>();
    assert.deepEqual(await stateB.read(), {});
    await stateA.update((s) => ({ ...s, problem: { since: '2026-12-04T00:00:00.000Z', reason: 'AADSTS700082', signInRequired: true } }));
    assert.equal((await stateB.read()).problem?.signInRequired, true, 'B sees that A needs a sign-in');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? stateA : stateB).update((s) => ({ ...s, notes: [...(s.notes ?? []), `note ${i}`] }))),
    );
    const final = await stateA.read();
    assert.equal(final.notes?.length, 20, 'every update kept');
    assert.equal(final.problem?.reason, 'AADSTS700082');
  });

  it('waits for another instance\'s lock, and says so when it is held too long', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const b = await instance('b', url, issued, { lockTimeoutMs: 300 });
    const account = await signIn(a);
    const held = await a.caches.cache().lock();
    try {
      await assert.rejects(b.app.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true }), (err: Error) => {
        assert.ok(err instanceof PgTokenCacheError, String(err));
        assert.match(err.message, /another o365-notify instance has held its lock for more than 0 s/);
        return true;
      });
    } finally {
      await held.release();
    }
    const ok = await b.app.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
    assert.ok(ok.accessToken);
  });

  it('while the database is unreachable: a clear error and no token, then it works again by itself', async () => {
    const url = await database();
    const issued: Issued = { refreshTokens: [], secrets: [] };
    const a = await instance('a', url, issued);
    const account = await signIn(a);
    await postgres.stopServer();
    try {
      await assert.rejects(a.app.acquireTokenSilent({ account, scopes: SCOPES }), (err: Error) => {
        assert.ok(err instanceof PgTokenCacheError, String(err));
        assert.match(err.message, /^Could not read the token cache \(the token cache every instance shares is in postgres:\/\/.*table token_caches\): /);
        assert.match(err.message, /e-mails wait and are sent once the database answers/);
        assert.ok(!err.message.includes(postgres.password), 'no password in the message');
        return true;
      });
    } finally {
      await postgres.startServer();
    }
    const again = await a.app.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
    assert.equal(refreshTokenIn((await stored(a)).json), issued.refreshTokens.at(-1));
    assert.ok(again.accessToken);
  });
});
