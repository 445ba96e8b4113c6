/**
 * Every service that owns a schema boots against real Postgres and NATS and serves the
 * kit's probes, metrics, OpenAPI and 404 shape. (The gateway has its own tests.)
 */
import type { ServiceApp } from '@lumikb/service-kit';
import type { Teardown } from '@lumikb/test-kit';
import t from 'tap';

type Builder = (t: Teardown) => Promise<{ app: ServiceApp }>;

const SERVICES: Record<string, () => Promise<Builder>> = {
  auth: async () => (await import('@lumikb/auth/testing')).buildTestApp as Builder,
  registry: async () => (await import('@lumikb/registry/testing')).buildTestApp as Builder,
  'knowledge-base': async () => (await import('@lumikb/knowledge-base/testing')).buildTestApp as Builder,
  'ingestion-worker': async () => (await import('@lumikb/ingestion-worker/testing')).buildTestApp as Builder,
  'proxy-sync': async () => (await import('@lumikb/proxy-sync/testing')).buildTestApp as Builder,
};

for (const [service, load] of Object.entries(SERVICES)) {
  t.test(`${service} boots against real Postgres and NATS and serves its probes`, async (t) => {
    const { app } = await (await load())(t);

    const health = await app.inject({ method: 'GET', url: '/health' });
    t.equal(health.statusCode, 200);
    t.match(health.json(), { status: 'ok', service });

    const ready = await app.inject({ method: 'GET', url: '/ready' });
    t.equal(ready.statusCode, 200, ready.body);
    t.match(ready.json(), { status: 'ready', checks: { postgres: { status: 'up' }, nats: { status: 'up' } } });

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    t.equal(metrics.statusCode, 200);
    for (const name of [
      'lumikb_api_request_latency_seconds',
      'lumikb_api_error_total',
      'lumikb_db_connections_active',
    ]) {
      t.match(metrics.body, name, `exports ${name}`);
    }

    const docs = await app.inject({ method: 'GET', url: '/docs/json' });
    t.equal(docs.statusCode, 200);
    t.match(docs.json(), { openapi: /^3\./, info: { title: `LumiKB ${service}` } });

    const missing = await app.inject({ method: 'GET', url: '/no/such/route' });
    t.equal(missing.statusCode, 404);
    t.match(missing.json(), { code: 'ROUTE_NOT_FOUND', message: /not found/ });
  });
}
