/**
 * The Config page's `rate_limits.*` are what the gateway enforces: per signed-in user
 * (per address when anonymous), shared by every replica, changed without a restart, and
 * with uploads, searches and chat questions each on their own limit.
 */
import { publishSystemSettings, testLogger, userToken, waitForSettingsVersion } from '@lumikb/test-kit';
import t from 'tap';
import { buildApp, connect } from '../src/app.ts';
import { buildTestApp, fixedLimits } from './helper.ts';

type App = Awaited<ReturnType<typeof buildTestApp>>['app'];
const get = (app: App, token?: string, remoteAddress = '192.0.2.1') =>
  app.inject({
    method: 'GET',
    url: '/api/v1/models/available',
    remoteAddress,
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
const statuses = async (n: number, send: () => Promise<{ statusCode: number }>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send()).statusCode);
  return out;
};

t.test('api_requests_per_minute changed on the Config page applies to the next request', async (t) => {
  const { app, bus } = await buildTestApp(t);
  await publishSystemSettings(bus, 1, { rate_limits: { api_requests_per_minute: 10 } });
  await waitForSettingsVersion(app, 1);
  t.same(await statuses(10, () => get(app)), Array(10).fill(200));
  const limited = await get(app);
  t.equal(limited.statusCode, 429);
  t.match(limited.json(), { code: 'RATE_LIMITED', details: { bucket: 'api', limit_per_minute: 10 } });
  t.ok(Number(limited.headers['retry-after']) >= 1, 'Retry-After says when');

  await publishSystemSettings(bus, 2, { rate_limits: { api_requests_per_minute: 20 } });
  await waitForSettingsVersion(app, 2);
  t.equal((await get(app)).statusCode, 200, 'the raised limit lets the caller in again');
});

t.test('a signed-in user has one budget across gateway replicas and addresses', async (t) => {
  const settings = fixedLimits({ api_requests_per_minute: 6 });
  const { app, config, keys } = await buildTestApp(t, {}, { settings });
  const replica = await buildApp(config, {
    ...(await connect(config, { runMigrations: false })),
    settings,
    logger: testLogger('gateway-2'),
  });
  t.teardown(() => replica.close());
  await replica.ready();
  const alice = userToken(keys, 1);
  const replicas = [app, replica];
  const seen = await statuses(6, async () =>
    get(replicas[Math.floor(Math.random() * 2)]!, alice, `198.51.100.${Math.floor(Math.random() * 200)}`),
  );
  t.same(seen, Array(6).fill(200));
  t.equal((await get(app, alice, '203.0.113.1')).statusCode, 429, 'the 7th on one replica, from a new address');
  t.equal((await get(replica, alice, '203.0.113.2')).statusCode, 429, 'and on the other');
  t.equal((await get(replica, userToken(keys, 1), '203.0.113.1')).statusCode, 200, 'another user is not affected');
  t.equal((await get(app, undefined, '203.0.113.1')).statusCode, 200, 'nor anonymous calls from that address');
  const forged = `${alice.slice(0, -4)}AAAA`;
  t.equal(
    (await get(app, forged, '203.0.113.9')).statusCode,
    200,
    'a forged token is counted by address, not as the user',
  );
});

t.test('uploads, searches and chat questions count against their own limits, not the API limit', async (t) => {
  const settings = fixedLimits({
    api_requests_per_minute: 2,
    upload_requests_per_minute: 4,
    search_requests_per_minute: 3,
    chat_requests_per_minute: 1,
  });
  const { app, keys } = await buildTestApp(t, {}, { settings });
  const token = userToken(keys, 1);
  const post = (url: string) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload: {} });
  t.same(await statuses(3, () => get(app, token)), [200, 200, 429], 'the API budget is spent');
  const uploads = await statuses(5, () => post('/api/v1/knowledge-bases/kb-1/documents'));
  t.same(uploads, [200, 200, 200, 200, 429], 'a bulk import is held only to the upload limit');
  const last = await post('/api/v1/knowledge-bases/kb-1/documents');
  t.match(last.json().details, { bucket: 'upload', limit_per_minute: 4 });
  t.same(await statuses(4, () => post('/api/v1/search')), [200, 200, 200, 429]);
  t.same(await statuses(2, () => post('/api/v1/chat')), [200, 429]);
});
