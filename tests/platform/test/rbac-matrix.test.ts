/**
 * Walks every registered route of every service: anonymous callers get 401 on anything
 * not public, each level below the required one gets 403, the required level (and
 * above) gets past the guard, and service-only routes refuse user tokens.
 */
import { randomUUID } from 'node:crypto';
import { ACCESS_LEVEL, type RouteAccess } from '@lumikb/contracts';
import type { ServiceApp } from '@lumikb/service-kit';
import { type KeyPair, serviceToken, type Teardown, userToken } from '@lumikb/test-kit';
import t from 'tap';
import { policyViolation, ROUTE_ACCESS } from '../src/route-access.ts';

/**
 * `userTokenFor`: a service that checks tokens against its own users (auth refuses
 * tokens of users it does not know) hands out real users' tokens per level.
 */
type Builder = (
  t: Teardown,
) => Promise<{ app: ServiceApp; keys: KeyPair; userTokenFor?: (level: number) => Promise<string> }>;

const SERVICES: Record<string, () => Promise<Builder>> = {
  auth: async () => (await import('@lumikb/auth/testing')).buildTestApp as Builder,
  registry: async () => (await import('@lumikb/registry/testing')).buildTestApp as Builder,
  'knowledge-base': async () => (await import('@lumikb/knowledge-base/testing')).buildTestApp as Builder,
  'ingestion-worker': async () => (await import('@lumikb/ingestion-worker/testing')).buildTestApp as Builder,
  'proxy-sync': async () => (await import('@lumikb/proxy-sync/testing')).buildTestApp as Builder,
};

t.test('every classified route follows the access policy', async (t) => {
  for (const [service, routes] of Object.entries(ROUTE_ACCESS)) {
    for (const [key, access] of Object.entries(routes)) {
      const why = policyViolation(key, access);
      t.notOk(why, `${service} ${key} ('${access}')${why ? `: ${why}` : ''}`);
    }
  }
  t.equal(policyViolation('GET /api/v1/admin/models', 'operator'), "must be 'admin'", 'the policy itself bites');
  t.equal(policyViolation('GET /api/v1/admin/queue/tasks', 'admin'), "must be 'operator'");
  t.ok(policyViolation('GET /api/v1/knowledge-bases', 'public'));
  t.ok(policyViolation('GET /api/v1/secrets', 'service'));
});

const concrete = (url: string) => url.replace(/:[A-Za-z_]+/g, () => randomUUID()).replace('*', 'x');

for (const [service, load] of Object.entries(SERVICES)) {
  t.test(`${service}: every route is classified and guarded as the table says`, async (t) => {
    const { app, keys, userTokenFor } = await (await load())(t);
    const tokenOfLevel = (level: number) => (userTokenFor ? userTokenFor(level) : userToken(keys, level));
    const table = ROUTE_ACCESS[service] ?? {};
    const registered = new Map(app.classifiedRoutes.map((r) => [`${r.method} ${r.url}`, r.access]));

    for (const [key, access] of registered) {
      t.equal(table[key], access, `${key} is listed in route-access.ts as '${access}'`);
    }
    for (const key of Object.keys(table)) {
      t.ok(registered.has(key), `${key} (listed in route-access.ts) is registered by ${service}`);
    }

    for (const [key, access] of registered) {
      if (access === 'public') continue;
      const [method, url] = key.split(' ') as [string, string];
      const call = (token?: string) =>
        app.inject({
          method: method as 'GET',
          url: concrete(url),
          ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
        });

      t.equal((await call()).statusCode, 401, `${key}: anonymous → 401`);
      if (access === 'service') {
        t.equal((await call(await tokenOfLevel(3))).statusCode, 403, `${key}: admin user token → 403`);
        t.notOk([401, 403].includes((await call(serviceToken(keys, 'test'))).statusCode), `${key}: service → allowed`);
        continue;
      }
      const needed = ACCESS_LEVEL[access as Exclude<RouteAccess, 'public' | 'service'>];
      for (const level of [1, 2, 3]) {
        const status = (await call(await tokenOfLevel(level))).statusCode;
        if (level < needed) t.equal(status, 403, `${key}: level ${level} → 403`);
        else t.notOk([401, 403].includes(status), `${key}: level ${level} gets past the guard (got ${status})`);
      }
      t.equal((await call(serviceToken(keys, 'test'))).statusCode, 403, `${key}: service identity → 403`);
    }
  });
}
