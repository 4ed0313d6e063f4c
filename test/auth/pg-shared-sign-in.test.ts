import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { DEMO_APPS, DEMO_TENANT_ID } from '../../packages/emulator/src/index.js';
import { authStatePath, readAuthStatus, signInWithDeviceCode, signOut } from '../../src/auth/index.js';
import { openGraphConnection, type GraphConnection } from '../../src/delivery/index.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { openSharedAuth, type OpenedSharedAuth } from '../../src/server/shared-auth.js';
import { createPgPool, migratePg } from '../../src/store/postgres/index.js';
import { setUpHome, signedInHome, testEnv } from '../support/cli.js';
import type { TestEmulator } from '../support/emulator.js';
import { approveDeviceCode } from '../support/msal.js';
import { pgLocation, skipReason, startTestPostgres, startWithEmulator, type TestPostgres } from '../support/postgres.js';
import { SENDER, TEAM } from '../support/service.js';

/**
 * Issue 16.5: two instances (two homes, two pools, one database, one key) whose GraphConnections
 * take `sharedAuth` from openSharedAuth: one sign-in serves both, one sign-out ends both, and the
 * sign-in state each reports is the shared one. Real PostgreSQL, the emulator over HTTPS.
 */

const started = await startTestPostgres();
const APP = { clientId: DEMO_APPS.singleTenant, tenantId: DEMO_TENANT_ID, to: TEAM };

interface Instance {
  home: string;
  env: NodeJS.ProcessEnv;
  shared: OpenedSharedAuth;
  connection: GraphConnection;
}

describe('the sign-in shared by two instances through sharedAuth', { skip: skipReason(started) }, () => {
  let postgres: TestPostgres;
  let emu: TestEmulator;
  let stop: () => Promise<void>;
  const cleanups: (() => Promise<void>)[] = [];
  const pools: pg.Pool[] = [];
  const connections: GraphConnection[] = [];
  const key = randomBytes(32).toString('base64');

  before(async () => {
    ({ postgres, emu, stop } = await startWithEmulator(started, { fastDeviceCodes: true }));
  });
  after(async () => {
    for (const c of connections) c.close();
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await stop?.();
    await Promise.all(cleanups.map((c) => c()));
  });

  async function database(): Promise<string> {
    const url = await postgres.createDatabase('o365_shared_auth');
    const pool = createPgPool(pgLocation(url), { max: 2 });
    pools.push(pool);
    await migratePg(pool, pgLocation(url));
    return url;
  }

  /** One instance on `url`; `home` is set up (or signed in) with the CLI beforehand. */
  async function instance(name: string, url: string, home: { home: string; cleanup: () => Promise<void> }, keyEnv: Record<string, string> = { O365_NOTIFY_KEY: key }): Promise<Instance> {
    cleanups.push(home.cleanup);
    const env = testEnv(home.home, keyEnv);
    const pool = createPgPool(pgLocation(url), { max: 3, applicationName: name });
    pools.push(pool);
    const secrets = await openSecretStore(home.home, env, { keyring: null });
    const shared = await openSharedAuth(pool, { home: home.home, instance: name, location: pgLocation(url), secrets });
    const connection = await openGraphConnection({ home: home.home, env, sharedAuth: shared });
    connections.push(connection);
    return { home: home.home, env, shared, connection };
  }

  const delivered = async () => ((await emu.call('GET', '/_emulator/stats')).json() as { messagesDelivered: number }).messagesDelivered;
  const status = (i: Instance) => readAuthStatus(i.connection.session.authState, i.connection.session.settings, { secret: false });
  const send = (i: Instance, subject: string) => i.connection.client.send({ to: [TEAM], subject, text: 'shared sign-in' });

  async function signIn(i: Instance): Promise<void> {
    await signInWithDeviceCode(i.connection.session, { onCode: (info) => void approveDeviceCode(emu, info.userCode, SENDER) });
  }

  it('A signs in, B sends with it; A signs out, B needs a sign-in (not its token in memory); B reports what A did', async () => {
    const url = await database();
    // The CLI's setup with the same key; neither home is signed in.
    const a = await instance('a', url, await setUpHome(emu, APP));
    const b = await instance('b', url, await setUpHome(emu, APP));
    assert.equal(a.shared.seeded, 'nothing-to-copy');
    assert.equal((await status(b)).signedIn, false);

    await signIn(a);
    const bStatus = await status(b);
    assert.equal(bStatus.signedIn, true, 'B sees A’s sign-in');
    assert.equal(bStatus.account, SENDER);
    // Nothing of it on B's disk: it all came through the database.
    assert.equal(await b.connection.session.secrets.readTokenCache(), undefined);
    await assert.rejects(access(authStatePath(b.home)));

    const before = await delivered();
    await send(b, 'from B, signed in by A');
    await send(b, 'from B again (its token in memory)');
    assert.equal(await delivered(), before + 2);
    assert.equal(b.connection.tokens.tokenEndpointCalls, 0, 'B used A’s tokens: no sign-in or refresh of its own');

    await signOut(a.connection.session);
    const err = await send(b, 'after the sign-out').then(
      () => assert.fail('B sent with the signed-out account'),
      (e: unknown) => e as { diagnosis?: { code: string; fix: string } },
    );
    assert.equal(err.diagnosis?.code, 'NotSignedIn', `B's send failed for another reason: ${String(err)}`);
    assert.match(err.diagnosis?.fix ?? '', /o365-notify login/);
    assert.equal(await delivered(), before + 2, 'nothing reached Graph after the sign-out');
    const after = await status(b);
    assert.equal(after.signedIn, false);
    assert.equal(after.signInRequired, true);
    assert.equal((await status(a)).signInRequired, true, 'A reports the same state');

    // A signs in again: B sends again without anything of its own.
    await signIn(a);
    await send(b, 'from B after A signed in again');
    assert.equal(await delivered(), before + 3);
    assert.equal((await status(b)).signedIn, true);
  });

  it('an installation moving to PostgreSQL keeps its sign-in: its file cache and state are seeded once, another instance uses them', async () => {
    const url = await database();
    // C signed in with the CLI (its own keys/master.key); D is given that key file, as the docs tell.
    const c = await instance('c', url, await signedInHome(emu, { ...APP, upn: SENDER }), {});
    assert.equal(c.shared.seeded, 'copied');
    const d = await instance('d', url, await setUpHome(emu, APP), { O365_NOTIFY_KEY_FILE: join(c.home, 'keys', 'master.key') });
    assert.equal(d.shared.seeded, 'already-shared');
    const dStatus = await status(d);
    assert.equal(dStatus.signedIn, true);
    assert.equal(dStatus.account, SENDER);
    const before = await delivered();
    await send(d, 'from D with C’s seeded sign-in');
    assert.equal(await delivered(), before + 1);
  });
});
