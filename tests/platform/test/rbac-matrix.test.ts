/**
 * Walks every registered route of every service: anonymous callers get 401 on anything
 * not public, each level below the required one gets 403, the required level (and
 * above) gets past the guard (and no 500), and service-only routes refuse user tokens;
 * each refusal is checked by its error code, not its status alone.
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

/**
 * Routes that succeed without a body and void the caller's other tokens (signing out the
 * other sessions revokes every access token issued before it): walked last, so the
 * cached per-level tokens stay valid for every other route.
 */
const ENDS_OTHER_SESSIONS = new Set(['POST /api/v1/auth/sessions/end-others']);
const lastIfEndingSessions = ([a]: [string, unknown], [b]: [string, unknown]) =>
  Number(ENDS_OTHER_SESSIONS.has(a)) - Number(ENDS_OTHER_SESSIONS.has(b));

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

    for (const [key, access] of [...registered].sort(lastIfEndingSessions)) {
      if (access === 'public') continue;
      const [method, url] = key.split(' ') as [string, string];
      const call = (token?: string) =>
        app.inject({
          method: method as 'GET',
          url: concrete(url),
          ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
        });

      const refused = (res: Awaited<ReturnType<typeof call>>, status: 401 | 403, code: string, what: string) => {
        t.equal(res.statusCode, status, `${key}: ${what} → ${status}`);
        t.equal(res.json().code, code, `${key}: ${what} → ${code}`);
      };
      // Past the guard means the route itself answered: a 2xx, a 4xx of its own (bad body,
      // unknown id) or its own documented 502/503 (QUEUE_UNAVAILABLE: no worker consumers
      // here). A 500 is not "allowed", it is a crash the matrix must show.
      const pastTheGuard = (res: Awaited<ReturnType<typeof call>>, what: string) =>
        t.ok(
          res.statusCode !== 500 && ![401, 403].includes(res.statusCode),
          `${key}: ${what} gets past the guard (got ${res.statusCode} ${res.body.slice(0, 120)})`,
        );

      refused(await call(), 401, 'UNAUTHENTICATED', 'anonymous');
      if (access === 'service') {
        refused(await call(await tokenOfLevel(3)), 403, 'FORBIDDEN', 'admin user token');
        pastTheGuard(await call(serviceToken(keys, 'test')), 'service');
        continue;
      }
      const needed = ACCESS_LEVEL[access as Exclude<RouteAccess, 'public' | 'service'>];
      for (const level of [1, 2, 3]) {
        const res = await call(await tokenOfLevel(level));
        if (level < needed) refused(res, 403, 'INSUFFICIENT_LEVEL', `level ${level}`);
        else pastTheGuard(res, `level ${level}`);
      }
      refused(await call(serviceToken(keys, 'test')), 403, 'FORBIDDEN', 'service identity');
    }
  });
}
