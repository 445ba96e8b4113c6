/**
 * A database outage answers 503 DATABASE_UNAVAILABLE with Retry-After from real services
 * (not a generic 500), and the same request succeeds once the database is back. The
 * outage is a TCP proxy in front of the shared Postgres, cut and restored.
 */
import { buildTestApp as buildKb, createKbPlatform } from '@lumikb/knowledge-base/testing';
import { buildTestApp as buildRegistry, REGISTRY_SCHEMA, REGISTRY_STREAMS } from '@lumikb/registry/testing';
import { startTcpProxy, type Teardown, type TestPlatform } from '@lumikb/test-kit';
import t from 'tap';

async function proxiedDatabase(t: Teardown, platform: TestPlatform) {
  const url = new URL(platform.database.url);
  const proxy = await startTcpProxy(t, url.hostname, Number(url.port || 5432));
  return { proxy, env: { DATABASE_URL: proxy.url(platform.database.url) } };
}

const SERVICES = {
  registry: async (t: Teardown) => {
    const platform = await createKbPlatform(t, { extraSchemas: [REGISTRY_SCHEMA], extraStreams: REGISTRY_STREAMS });
    const { proxy, env } = await proxiedDatabase(t, platform);
    return { proxy, platform, app: (await buildRegistry(t, env, { platform })).app, url: '/api/v1/admin/models' };
  },
  'knowledge-base': async (t: Teardown) => {
    const platform = await createKbPlatform(t);
    const { proxy, env } = await proxiedDatabase(t, platform);
    return { proxy, platform, app: (await buildKb(t, env, { platform })).app, url: '/api/v1/knowledge-bases' };
  },
};

for (const [service, build] of Object.entries(SERVICES)) {
  t.test(`${service}: database down → 503 DATABASE_UNAVAILABLE with Retry-After; back → 200`, async (t) => {
    const { proxy, platform, app, url } = await build(t);
    const get = () => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${platform.tokens.admin}` } });
    t.equal((await get()).statusCode, 200, 'answers while the database is up');

    proxy.cut();
    const down = await get();
    t.equal(down.statusCode, 503);
    t.equal(down.json().code, 'DATABASE_UNAVAILABLE');
    t.equal(down.headers['retry-after'], '5', 'tells the client when to retry');

    proxy.restore();
    t.equal((await get()).statusCode, 200, 'the same request works once the database is back');
  });
}
