import t from 'tap';
import { buildTestApp } from './helper.ts';

t.test('proxy-sync boots against real Postgres and NATS and serves its probes', async (t) => {
  const { app } = await buildTestApp(t);

  const health = await app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200);
  t.match(health.json(), { status: 'ok', service: 'proxy-sync' });

  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200, ready.body);
  t.match(ready.json(), { status: 'ready', checks: { postgres: { status: 'up' }, nats: { status: 'up' } } });

  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  for (const name of ['lumikb_api_request_latency_seconds', 'lumikb_api_error_total', 'lumikb_db_connections_active']) {
    t.match(metrics.body, name, `exports ${name}`);
  }

  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(docs.statusCode, 200);
  t.match(docs.json(), { openapi: /^3\./, info: { title: 'LumiKB proxy-sync' } });

  const missing = await app.inject({ method: 'GET', url: '/no/such/route' });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { code: 'ROUTE_NOT_FOUND', message: /not found/ });
});
