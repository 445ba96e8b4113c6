/**
 * Honest failures: a dependency that is down answers 503 with Retry-After and a stable
 * code (the client may retry), and values Postgres refuses answer 400 (the client must
 * not). Real pools and a real NATS connection, broken on purpose.
 */
import { createServer } from 'node:net';
import { createDatabase } from '@lumikb/db';
import { EventBus } from '@lumikb/events';
import { createTestDatabase, testInfra, testKeys, testLogger } from '@lumikb/test-kit';
import { sql } from 'kysely';
import t from 'tap';
import { createServiceApp, type ServiceApp } from '../src/index.ts';

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function appWith(t: Tap, register: (app: ServiceApp) => void): Promise<ServiceApp> {
  const app = await createServiceApp({
    service: 'kit-test',
    logger: testLogger(),
    auth: { publicKey: testKeys().publicKey },
  });
  register(app);
  t.teardown(() => app.close());
  await app.ready();
  return app;
}
type Tap = { teardown(fn: () => unknown): void };

t.test('a database that refuses connections → 503 DATABASE_UNAVAILABLE with Retry-After', async (t) => {
  const dead = createDatabase({
    connectionString: `postgres://postgres@127.0.0.1:${await deadPort()}/x`,
    schema: 'public',
  });
  t.teardown(() => dead.close());
  const app = await appWith(t, (app) =>
    app.get('/rows', { config: { access: 'public' } }, async () => (await sql`select 1 as one`.execute(dead.db)).rows),
  );
  const res = await app.inject({ method: 'GET', url: '/rows' });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'DATABASE_UNAVAILABLE');
  t.equal(res.headers['retry-after'], '5', 'the client is told when to retry');
  t.notMatch(res.body, /ECONNREFUSED|127\.0\.0\.1/, 'no internals in the answer');
});

t.test('a closed pool, and a connection killed by the server → 503 DATABASE_UNAVAILABLE', async (t) => {
  const testDb = await createTestDatabase(t, []);
  const closed = createDatabase({ connectionString: testDb.url, schema: 'public' });
  await sql`select 1`.execute(closed.db);
  await closed.close();
  const live = createDatabase({ connectionString: testDb.url, schema: 'public' });
  t.teardown(() => live.close());
  const app = await appWith(t, (app) => {
    app.get('/closed', { config: { access: 'public' } }, async () => (await sql`select 1`.execute(closed.db)).rows);
    // The server ends our backend mid-query, as a Postgres restart does (57P01).
    app.get(
      '/killed',
      { config: { access: 'public' } },
      async () => (await sql`select pg_terminate_backend(pg_backend_pid())`.execute(live.db)).rows,
    );
  });
  for (const url of ['/closed', '/killed']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 503, `${url} → 503`);
    t.equal(res.json().code, 'DATABASE_UNAVAILABLE', url);
    t.equal(res.headers['retry-after'], '5', url);
  }
});

t.test('a closed NATS connection → 503 BUS_UNAVAILABLE with Retry-After', async (t) => {
  const { natsUrl } = await testInfra();
  const bus = await EventBus.connect({ url: natsUrl, name: 'kit-failures', prefix: 'kitfail' });
  await bus.close();
  const app = await appWith(t, (app) =>
    app.post('/publish', { config: { access: 'public' } }, async () => {
      await bus.publish('thing.happened', Buffer.from('{}'), 'id-1');
      return { ok: true };
    }),
  );
  const res = await app.inject({ method: 'POST', url: '/publish' });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'BUS_UNAVAILABLE');
  t.equal(res.headers['retry-after'], '5');
});

t.test('values Postgres refuses → 400 INVALID_INPUT, not 500', async (t) => {
  const testDb = await createTestDatabase(t, []);
  const handle = createDatabase({ connectionString: testDb.url, schema: 'public' });
  t.teardown(() => handle.close());
  await sql`create table notes (title text not null, size bigint not null)`.execute(handle.db);
  const app = await appWith(t, (app) =>
    app.post('/notes', { config: { access: 'public' } }, async (request) => {
      const { title, size } = request.body as { title: string; size: string };
      await sql`insert into notes (title, size) values (${title}, ${size}::bigint)`.execute(handle.db);
      return { ok: true };
    }),
  );
  const cases = [
    { what: 'a NUL byte in text', body: { title: 'a\u0000b', size: '1' }, message: /NUL/ },
    { what: 'an integer beyond bigint', body: { title: 'a', size: '99999999999999999999999' }, message: /range/ },
    { what: 'a number that is not one', body: { title: 'a', size: 'twelve' }, message: /not valid/ },
  ];
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/notes', payload: c.body });
    t.equal(res.statusCode, 400, `${c.what} → 400`);
    t.equal(res.json().code, 'INVALID_INPUT', c.what);
    t.match(res.json().message, c.message, c.what);
  }
  const ok = await app.inject({ method: 'POST', url: '/notes', payload: { title: 'fine', size: '12' } });
  t.equal(ok.statusCode, 200, 'valid input still goes through');
});

t.test('JSON nested beyond the limit → 400 INVALID_JSON; ordinary nesting passes', async (t) => {
  const app = await appWith(t, (app) =>
    app.post('/echo', { config: { access: 'public' } }, async (request) => ({ got: typeof request.body })),
  );
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const res = await app.inject({
    method: 'POST',
    url: '/echo',
    payload: deep,
    headers: { 'content-type': 'application/json' },
  });
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, 'INVALID_JSON');
  t.match(res.json().message, /nesting/);
  const tricky = JSON.stringify({
    text: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\\',
    a: { b: { c: [1, [2, [3]]] } },
  });
  const fine = await app.inject({
    method: 'POST',
    url: '/echo',
    payload: tricky,
    headers: { 'content-type': 'application/json' },
  });
  t.equal(fine.statusCode, 200, 'brackets inside strings do not count');
  const poisoned = await app.inject({
    method: 'POST',
    url: '/echo',
    payload: '{"__proto__": {"admin": true}}',
    headers: { 'content-type': 'application/json' },
  });
  t.equal(poisoned.statusCode, 400, 'prototype poisoning is still refused by the default parser');
});
