import { STREAMS } from '@lumikb/contracts';
import type { MigrationSet } from '@lumikb/db';
import { createEventKitTables } from '@lumikb/events';
import {
  createTestDatabase,
  hostPort,
  startTcpProxy,
  testInfra,
  testKeys,
  testLogger,
  testPrefix,
  waitFor,
} from '@lumikb/test-kit';
import t from 'tap';
import { connectPlatform, createPlatformApp } from '../src/index.ts';

const migrations: MigrationSet = {
  '0001': { up: (db) => createEventKitTables(db, 'readytest') },
};

t.test('/ready turns 503 naming the failing dependency and recovers without a restart', async (t) => {
  const database = await createTestDatabase(t, [{ schema: 'readytest', migrations }]);
  const { natsUrl } = await testInfra();
  const pgTarget = hostPort(database.url, 5432);
  const natsTarget = hostPort(natsUrl, 4222);
  const pgProxy = await startTcpProxy(t, pgTarget.host, pgTarget.port);
  const natsProxy = await startTcpProxy(t, natsTarget.host, natsTarget.port);

  const deps = await connectPlatform({
    service: 'ready-test',
    schema: 'readytest',
    migrations,
    streams: [STREAMS.SYSTEM],
    runMigrations: false,
    config: { DATABASE_URL: pgProxy.url(database.url), NATS_URL: natsProxy.url(natsUrl), NATS_PREFIX: testPrefix() },
  });
  const { app } = await createPlatformApp({
    service: 'ready-test',
    description: 'readiness test',
    config: { LOG_LEVEL: 'silent', JWT_PUBLIC_KEY: testKeys().publicKey },
    deps,
    logger: testLogger(),
  });
  t.teardown(async () => {
    pgProxy.restore();
    natsProxy.restore();
    await app.close();
  });
  await app.ready();
  const ready = async () => {
    const r = await app.inject({ method: 'GET', url: '/ready' });
    return { status: r.statusCode, body: r.json() };
  };

  t.match(await ready(), { status: 200, body: { status: 'ready' } });

  pgProxy.cut();
  const pgDown = await waitFor(
    async () => {
      const r = await ready();
      return r.status === 503 ? r : undefined;
    },
    { what: '/ready to report Postgres down' },
  );
  t.match(pgDown.body, { status: 'not_ready', checks: { postgres: { status: 'down' }, nats: { status: 'up' } } });
  t.type(pgDown.body.checks.postgres.error, 'string', 'says why');
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the process is still alive');

  pgProxy.restore();
  await waitFor(async () => ((await ready()).status === 200 ? true : undefined), { what: 'Postgres back' });

  natsProxy.cut();
  const natsDown = await waitFor(
    async () => {
      const r = await ready();
      return r.status === 503 ? r : undefined;
    },
    { what: '/ready to report NATS down' },
  );
  t.match(natsDown.body, { checks: { nats: { status: 'down' }, postgres: { status: 'up' } } });

  natsProxy.restore();
  const back = await waitFor(
    async () => {
      const r = await ready();
      return r.status === 200 ? r : undefined;
    },
    { what: 'NATS back', timeoutMs: 15_000 },
  );
  t.match(back.body, { status: 'ready', checks: { postgres: { status: 'up' }, nats: { status: 'up' } } });
});
