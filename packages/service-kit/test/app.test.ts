import { generateSigningKeys, signJwt, testKeys, testLogger, userToken } from '@lumikb/test-kit';
import t from 'tap';
import { Type } from 'typebox';
import { createServiceApp, defineErrors } from '../src/index.ts';

const errors = defineErrors({ WIDGET_LOCKED: 'conflict' });

async function buildKitApp(t: Tap) {
  const keys = testKeys();
  const app = await createServiceApp({
    service: 'kit-test',
    logger: testLogger(),
    auth: { publicKey: keys.publicKey },
  });
  app.post(
    '/widgets',
    {
      config: { access: 'user' },
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 2 }), size: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ created: request.body.name }),
  );
  app.get('/admin-only', { config: { access: 'admin' } }, async () => ({ ok: true }));
  app.get('/locked', { config: { access: 'public' } }, async () => {
    throw errors.WIDGET_LOCKED('Widget is locked while it is being painted', { widget: 'w1' });
  });
  app.get('/boom', { config: { access: 'public' } }, async () => {
    throw new Error('connection string postgres://admin:hunter2@db failed');
  });
  t.teardown(() => app.close());
  await app.ready();
  return { app, keys };
}
type Tap = { teardown(fn: () => unknown): void };

t.test('invalid bodies get 400 VALIDATION_FAILED with details; bad JSON gets INVALID_JSON', async (t) => {
  const { app, keys } = await buildKitApp(t);
  const auth = { authorization: `Bearer ${userToken(keys, 1)}` };
  const invalid = await app.inject({
    method: 'POST',
    url: '/widgets',
    headers: auth,
    payload: { name: 'x', extra: 1 },
  });
  t.equal(invalid.statusCode, 400);
  const body = invalid.json();
  t.equal(body.code, 'VALIDATION_FAILED');
  t.ok(Array.isArray(body.details) && body.details.length >= 2, 'every problem is listed');
  t.ok(
    body.details.some((d: { path: string }) => d.path === '/name'),
    'the offending field is named',
  );
  const badJson = await app.inject({
    method: 'POST',
    url: '/widgets',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: '{"name": ',
  });
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.json().code, 'INVALID_JSON');
  const ok = await app.inject({ method: 'POST', url: '/widgets', headers: auth, payload: { name: 'xy', size: 2 } });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { created: 'xy' });
});

t.test('unknown routes, domain errors and crashes share one error shape; 5xx leak nothing', async (t) => {
  const { app } = await buildKitApp(t);
  const missing = await app.inject({ method: 'GET', url: '/nope?x=1' });
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { code: 'ROUTE_NOT_FOUND', message: 'Route GET /nope not found' });
  const locked = await app.inject({ method: 'GET', url: '/locked' });
  t.equal(locked.statusCode, 409);
  t.same(locked.json(), {
    code: 'WIDGET_LOCKED',
    message: 'Widget is locked while it is being painted',
    details: { widget: 'w1' },
  });
  const boom = await app.inject({ method: 'GET', url: '/boom' });
  t.equal(boom.statusCode, 500);
  t.same(boom.json(), { code: 'INTERNAL_ERROR', message: 'Internal server error' });
  t.notMatch(boom.body, /hunter2|postgres:/, 'internals are not leaked');
});

t.test('request ids are accepted, propagated and generated', async (t) => {
  const { app } = await buildKitApp(t);
  const given = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'req-abc.123' } });
  t.equal(given.headers['x-request-id'], 'req-abc.123');
  const generated = await app.inject({ method: 'GET', url: '/health' });
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  const hostile = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'a b <script>' } });
  t.match(hostile.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'unsafe ids are replaced');
});

t.test('the guard: anonymous 401, bad tokens 401, low level 403, cookie accepted', async (t) => {
  const { app, keys } = await buildKitApp(t);
  const get = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/admin-only', headers });
  t.equal((await get()).json().code, 'UNAUTHENTICATED');
  t.equal((await get()).statusCode, 401);

  const otherKeys = generateSigningKeys();
  const wrongKey = await get({ authorization: `Bearer ${userToken(otherKeys, 3)}` });
  t.equal(wrongKey.statusCode, 401);
  t.equal(wrongKey.json().code, 'TOKEN_INVALID');

  const expired = await get({
    authorization: `Bearer ${signJwt(keys.privateKey, { sub: 'u', typ: 'access', lvl: 3, groups: [] }, -10)}`,
  });
  t.equal(expired.statusCode, 401);
  t.equal(expired.json().code, 'TOKEN_EXPIRED');

  const [h, p, s] = userToken(keys, 1).split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, lvl: 3 })).toString('base64url')}.${s}`;
  t.equal((await get({ authorization: `Bearer ${tampered}` })).statusCode, 401, 'a raised level breaks the signature');

  for (const [what, extra] of [
    ['another audience', { aud: 'some-other-system' }],
    ['another issuer', { iss: 'someone-else' }],
    ['no audience', { aud: undefined }],
  ] as const) {
    const token = signJwt(keys.privateKey, { sub: 'u', typ: 'access', lvl: 3, groups: [], ...extra });
    const res = await get({ authorization: `Bearer ${token}` });
    t.equal(res.json().code, 'TOKEN_INVALID', `a token signed with our key but for ${what} is refused`);
  }

  const low = await get({ authorization: `Bearer ${userToken(keys, 2)}` });
  t.equal(low.statusCode, 403);
  t.match(low.json(), { code: 'INSUFFICIENT_LEVEL', details: { required: 3, actual: 2 } });

  const cookie = await get({ cookie: `lumikb_access=${userToken(keys, 3)}` });
  t.equal(cookie.statusCode, 200);

  const anonymousPost = await app.inject({ method: 'POST', url: '/widgets', payload: { bad: true } });
  t.equal(anonymousPost.statusCode, 401, 'refused before validation, so the schema is not revealed');
});

t.test('a route without an access class stops the app from starting', async (t) => {
  const app = await createServiceApp({
    service: 'kit-test',
    logger: testLogger(),
    auth: { publicKey: testKeys().publicKey },
  });
  t.throws(() => app.get('/unclassified', async () => ({})), /declares no config\.access/);
  await app.close();
});

t.test('metrics record latency by route and count errors by status class', async (t) => {
  const { app } = await buildKitApp(t);
  await app.inject({ method: 'GET', url: '/locked' });
  await app.inject({ method: 'GET', url: '/boom' });
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(text, /lumikb_api_request_latency_seconds_bucket\{[^}]*method="GET"[^}]*route="\/locked"[^}]*status="409"/);
  t.match(text, /lumikb_api_error_total\{route="\/locked",status_class="4xx",service="kit-test"\} 1/);
  t.match(text, /lumikb_api_error_total\{route="\/boom",status_class="5xx",service="kit-test"\} 1/);
  t.match(text, /# TYPE lumikb_db_connections_active gauge/);
});
