import type { AddressInfo } from 'node:net';
import { createServiceApp, createServiceTokenSource, SERVICE_SECRET_HEADER } from '@lumikb/service-kit';
import { testLogger, userToken } from '@lumikb/test-kit';
import t from 'tap';
import { buildTestApp } from './helper.ts';

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

t.test('POST /internal/service-token issues service identities only for the shared secret', async (t) => {
  const { app, serviceSecret, keys, deps } = await buildTestApp(t);
  const ask = (secret: string | undefined, payload: unknown = { service: 'proxy-sync' }) =>
    app.inject({
      method: 'POST',
      url: '/internal/service-token',
      headers: secret === undefined ? {} : { [SERVICE_SECRET_HEADER]: secret },
      payload: payload as object,
    });

  for (const [what, secret] of [
    ['no secret', undefined],
    ['wrong secret', `${serviceSecret}x`],
    ['empty secret', ''],
  ] as const) {
    const res = await ask(secret);
    t.equal(res.statusCode, 401, `${what} → 401`);
    t.equal(res.json().code, 'INVALID_CLIENT_SECRET');
  }
  const refusals = await deps.db.db
    .selectFrom('outbox')
    .select('payload')
    .where('subject', '=', 'audit.recorded')
    .execute();
  t.ok(
    refusals.some((r) => (r.payload as { data: { action: string } }).data.action === 'service_token.refused'),
    'refusals are audited',
  );
  t.notOk(JSON.stringify(refusals).includes(serviceSecret), 'the secret is in no audit record');

  const bad = await ask(serviceSecret, { service: 'Not A Name!' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'VALIDATION_FAILED');

  const ok = await ask(serviceSecret);
  t.equal(ok.statusCode, 200, ok.body);
  const body = ok.json();
  t.match(body, { token_type: 'Bearer', expires_in: 600 });
  t.match(decode(body.access_token), {
    typ: 'service',
    svc: 'proxy-sync',
    sub: 'service:proxy-sync',
    lvl: 0,
    groups: [],
  });

  // Any service verifies it with the public key alone and lets it through service routes only.
  const other = await createServiceApp({ service: 'other', logger: testLogger(), auth: { publicKey: keys.publicKey } });
  other.get('/internal/thing', { config: { access: 'service' } }, async (request) => ({ svc: request.user.svc }));
  other.get('/api/v1/thing', { config: { access: 'user' } }, async () => ({ ok: true }));
  t.teardown(() => other.close());
  const internal = await other.inject({
    method: 'GET',
    url: '/internal/thing',
    headers: { authorization: `Bearer ${body.access_token}` },
  });
  t.equal(internal.statusCode, 200, internal.body);
  t.same(internal.json(), { svc: 'proxy-sync' });
  const userRoute = await other.inject({
    method: 'GET',
    url: '/api/v1/thing',
    headers: { authorization: `Bearer ${body.access_token}` },
  });
  t.equal(userRoute.statusCode, 403, 'a service identity is not a user');
  const userOnInternal = await other.inject({
    method: 'GET',
    url: '/internal/thing',
    headers: { authorization: `Bearer ${userToken(keys, 3)}` },
  });
  t.equal(userOnInternal.statusCode, 403, 'an admin user is not a service');
});

t.test('createServiceTokenSource caches, shares one request, and refreshes before expiry', async (t) => {
  const { app, serviceSecret } = await buildTestApp(t, { SERVICE_TOKEN_TTL_SECONDS: '600' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const authUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  let requests = 0;
  const counting: typeof fetch = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  let clock = Date.now();
  const source = createServiceTokenSource({
    authUrl,
    service: 'knowledge-base',
    secret: serviceSecret,
    fetch: counting,
    now: () => clock,
  });

  const [a, b, c] = await Promise.all([source(), source(), source()]);
  t.equal(requests, 1, 'concurrent callers share one request');
  t.equal(a, b);
  t.equal(b, c);
  t.match(decode(a), { typ: 'service', svc: 'knowledge-base' });

  clock += 8 * 60 * 1000;
  t.equal(await source(), a, 'cached while well within its lifetime');
  t.equal(requests, 1);

  clock += 60 * 1000; // 9 of 10 minutes: inside the refresh margin
  const renewed = await source();
  t.equal(requests, 2, 'fetched again before the token expires');
  t.not(renewed, a);

  const wrong = createServiceTokenSource({ authUrl, service: 'knowledge-base', secret: 'not-the-secret' });
  const error = await wrong().catch((e: Error) => e);
  t.match(error, { name: 'ServiceTokenError', status: 401, message: /INVALID_CLIENT_SECRET/ });
  t.notOk(String((error as Error).message).includes('not-the-secret'), 'the secret is not in the error');

  const unreachable = createServiceTokenSource({
    authUrl: 'http://127.0.0.1:9',
    service: 'knowledge-base',
    secret: serviceSecret,
  });
  await t.rejects(unreachable(), { name: 'ServiceTokenError', message: /cannot reach auth/ });
});

t.test('createServiceTokenSource refuses an answer that auth’s contract does not allow', async (t) => {
  const answering =
    (status: number, body: string): typeof fetch =>
    async () =>
      new Response(body, { status, headers: { 'content-type': 'application/json' } });
  const source = (answer: typeof fetch) =>
    createServiceTokenSource({ authUrl: 'http://auth.invalid', service: 'knowledge-base', secret: 's', fetch: answer });
  const valid = { access_token: 'tok', token_type: 'Bearer', expires_in: 600, expires_at: new Date().toISOString() };
  t.equal(await source(answering(200, JSON.stringify(valid)))(), 'tok', 'an answer as the contract says is taken');
  for (const [what, body] of [
    ['no token', JSON.stringify({ ...valid, access_token: undefined })],
    ['an empty token', JSON.stringify({ ...valid, access_token: '' })],
    ['another token type', JSON.stringify({ ...valid, token_type: 'MAC' })],
    ['a lifetime that is no number of seconds', JSON.stringify({ ...valid, expires_in: '600' })],
    ['not JSON', '<html>proxy error</html>'],
    ['a body far larger than a token', JSON.stringify({ ...valid, padding: 'x'.repeat(20_000) })],
  ] as const) {
    await t.rejects(
      source(answering(200, body))(),
      { name: 'ServiceTokenError', message: /without a token its contract allows/ },
      what,
    );
  }
});
