import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { API_ROUTES, upstreamOf } from '../src/routes-table.ts';
import { buildTestApp, fixedLimits } from './helper.ts';

t.test('proxies /api/v1 by the longest prefix, forwarding body, cookies and the request id', async (t) => {
  const { app } = await buildTestApp(t);
  const cases: [string, string][] = [
    ['/api/v1/auth/login', 'auth'],
    ['/api/v1/admin/users/42', 'auth'],
    ['/api/v1/admin/models/sync', 'proxy-sync'],
    ['/api/v1/admin/models/providers', 'registry'],
    ['/api/v1/models/available', 'registry'],
    ['/api/v1/knowledge-bases/1/documents', 'knowledge-base'],
    ['/api/v1/search', 'knowledge-base'],
    ['/api/v1/admin/queue/status', 'knowledge-base'],
  ];
  for (const [url, upstream] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: `${url}?page=2`,
      // A browser's same-origin write: its Origin passes the CSRF check (csrf.test.ts).
      headers: { 'x-request-id': 'trace-1', cookie: 'lumikb_access=abc', origin: 'http://localhost' },
      payload: { hello: 'world' },
    });
    t.equal(res.statusCode, 200, url);
    t.match(
      res.json(),
      { upstream, url: `${url}?page=2`, requestId: 'trace-1', cookie: 'lumikb_access=abc', body: '{"hello":"world"}' },
      `${url} → ${upstream}`,
    );
    t.equal(res.headers['x-request-id'], 'trace-1');
  }
});

t.test('the route table resolves every prefix to itself', async (t) => {
  for (const route of API_ROUTES) t.equal(upstreamOf(`${route.prefix}/x`), route.upstream, route.prefix);
  t.equal(upstreamOf('/api/v1/unknown'), undefined);
});

t.test('unknown API routes get the JSON 404; pages get the SPA for client-side routing', async (t) => {
  const dist = mkdtempSync(join(tmpdir(), 'spa-'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>LumiKB SPA</title>');
  writeFileSync(join(dist, 'app.js'), 'console.log(1)');
  const { app } = await buildTestApp(t, { WEB_DIST: dist });
  const api = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
  t.equal(api.statusCode, 404);
  t.equal(api.json().code, 'ROUTE_NOT_FOUND');
  const home = await app.inject({ method: 'GET', url: '/' });
  t.equal(home.statusCode, 200);
  t.match(home.body, 'LumiKB SPA');
  const deep = await app.inject({ method: 'GET', url: '/knowledge-bases/42/documents?tab=failed' });
  t.equal(deep.statusCode, 200, 'deep links reload');
  t.match(deep.body, 'LumiKB SPA');
  t.equal(deep.headers['cache-control'], 'no-cache');
  const asset = await app.inject({ method: 'GET', url: '/app.js' });
  t.equal(asset.body, 'console.log(1)');
  t.equal(asset.headers['cache-control'], 'public, max-age=3600', 'an unhashed file is not immutable');
  writeFileSync(join(dist, 'late.js'), 'console.log(2)');
  t.equal((await app.inject({ method: 'GET', url: '/late.js' })).body, 'console.log(2)', 'a rebuilt asset is served');
  const missing = await app.inject({ method: 'GET', url: '/assets/gone-1234.js' });
  t.equal(missing.statusCode, 404, 'a missing asset is a 404, not the page');
  t.ok(home.headers['content-security-policy'], 'security headers are set');
  t.equal(home.headers['x-content-type-options'], 'nosniff');
});

t.test('a placeholder page is served until the web app is built', async (t) => {
  const { app } = await buildTestApp(t, { WEB_DIST: join(import.meta.dirname, '..', 'public') });
  const home = await app.inject({ method: 'GET', url: '/' });
  t.match(home.body, 'LumiKB is running');
});

t.test('API clients are rate-limited with the error shape and Retry-After', async (t) => {
  const { app } = await buildTestApp(t, {}, { settings: fixedLimits({ api_requests_per_minute: 3 }) });
  const statuses: number[] = [];
  let last: Awaited<ReturnType<typeof app.inject>> | undefined;
  for (let i = 0; i < 4; i++) {
    last = await app.inject({ method: 'GET', url: '/api/v1/models/available' });
    statuses.push(last.statusCode);
  }
  t.same(statuses, [200, 200, 200, 429]);
  t.equal(last?.json().code, 'RATE_LIMITED');
  t.ok(last?.headers['retry-after'], 'says when to retry');
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'probes are not limited');
});

t.test('a down upstream answers 503 in the error shape, and /ready degrades', async (t) => {
  const { app, upstreams } = await buildTestApp(t);
  await upstreams.kb.close();
  const res = await app.inject({ method: 'GET', url: '/api/v1/search' });
  t.equal(res.statusCode, 503);
  t.match(res.json(), { code: 'UPSTREAM_UNAVAILABLE' });
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200, 'the gateway itself stays ready');
  t.match(ready.json(), {
    status: 'degraded',
    checks: { 'knowledge-base': { status: 'down' }, auth: { status: 'up' } },
  });
});

t.test('/docs/json merges the public paths of every upstream', async (t) => {
  const { app } = await buildTestApp(t);
  const spec = await waitFor(
    async () => {
      const s = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
      return Object.keys(s.paths).includes('/api/v1/auth/from-auth') ? s : undefined;
    },
    { what: 'upstream specs to be fetched' },
  );
  t.equal(spec.info.title, 'LumiKB API');
  t.ok(Array.isArray(spec['x-lumikb-missing-upstreams']), 'the document lists the services not merged yet');
  t.notOk(spec['x-lumikb-missing-upstreams'].includes('auth'), 'a merged service is not listed');
  t.notOk(Object.keys(spec.paths).includes('/internal/secret'), 'internal routes are not published');
  t.same(
    Object.keys(spec.paths).filter((p) => p.includes('{*}') || p.endsWith('/')),
    [],
    'no catch-all proxy entries: only the routes behind them',
  );
  t.notOk(
    Object.keys(spec.paths).includes('/api/v1/auth/from-registry'),
    'paths the gateway does not route to that service are left out',
  );
});

t.test('the gateway guards nothing itself: every route is public and each API route is a table prefix', async (t) => {
  const { app } = await buildTestApp(t);
  const prefixes = new Set(API_ROUTES.map((r) => r.prefix));
  for (const route of app.classifiedRoutes) {
    t.equal(route.access, 'public', `${route.method} ${route.url}`);
    if (route.url.startsWith('/api/')) {
      t.ok(prefixes.has(route.url.replace(/\/\*$/, '')), `${route.url} comes from the route table`);
    }
  }
});
