import { DEFAULT_GROUPS } from '@lumikb/contracts';
import { generateSigningKeys, signJwt } from '@lumikb/test-kit';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, login } from './helper.ts';

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

t.test('login sets httpOnly SameSite cookies, returns the tokens, and /me answers with groups and level', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'ADMIN@Company.Local', password: ADMIN_PASSWORD },
  });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json();
  t.match(body, {
    token_type: 'Bearer',
    expires_in: 300,
    user: { email: ADMIN_EMAIL, permission_level: 3, is_active: true },
  });
  t.notOk('password_hash' in body.user, 'the hash never leaves the service');

  const access = res.cookies.find((c) => c.name === 'lumikb_access');
  const refresh = res.cookies.find((c) => c.name === 'lumikb_refresh');
  t.match(access, { value: body.access_token, httpOnly: true, sameSite: 'Strict', path: '/' });
  t.match(refresh, { value: body.refresh_token, httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });

  const header = JSON.parse(Buffer.from(body.access_token.split('.')[0], 'base64url').toString('utf8'));
  t.equal(header.alg, 'EdDSA');
  const claims = decode(body.access_token);
  t.match(claims, { sub: body.user.id, typ: 'access', email: ADMIN_EMAIL, lvl: 3 });
  t.same(
    [...claims.groups].sort(),
    [DEFAULT_GROUPS.USERS.id, DEFAULT_GROUPS.ADMINISTRATORS.id].sort(),
    'groups claim = group ids',
  );
  t.ok(claims.exp - claims.iat <= 300, 'access tokens live at most 5 minutes');

  const viaCookie = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/me',
    cookies: { lumikb_access: access!.value },
  });
  t.equal(viaCookie.statusCode, 200, viaCookie.body);
  t.match(viaCookie.json(), { id: body.user.id, permission_level: 3 });
  t.same(
    viaCookie
      .json()
      .groups.map((g: { name: string }) => g.name)
      .sort(),
    ['Administrators', 'Users'],
  );

  const viaBearer = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(body.access_token) });
  t.equal(viaBearer.statusCode, 200);
});

t.test('bad credentials and bad input', async (t) => {
  const { app } = await buildTestApp(t);
  const wrong = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: ADMIN_EMAIL, password: 'not-the-password-1' },
  });
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json().code, 'INVALID_CREDENTIALS');

  const unknown = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'nobody@company.local', password: 'not-the-password-1' },
  });
  t.equal(unknown.statusCode, 401);
  t.same(unknown.json(), wrong.json(), 'an unknown email is answered exactly like a wrong password');

  const malformed = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'not-an-email', password: 'whatever-123' },
  });
  t.equal(malformed.statusCode, 400);
  t.equal(malformed.json().code, 'VALIDATION_FAILED');
  t.match(malformed.json().details, [{ path: '/email' }]);

  const anonymousMe = await app.inject({ method: 'GET', url: '/api/v1/auth/me' });
  t.equal(anonymousMe.statusCode, 401);
  t.equal(anonymousMe.json().code, 'UNAUTHENTICATED');
});

t.test('tampered, expired and wrong-key tokens are refused with 401', async (t) => {
  const { app, keys } = await buildTestApp(t);
  const { access_token: token, user } = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const [h, p, s] = token.split('.') as [string, string, string];

  const raised = Buffer.from(JSON.stringify({ ...decode(token), lvl: 3, email: 'evil@company.local' })).toString(
    'base64url',
  );
  const cases: [string, string, string][] = [
    ['payload changed after signing', `${h}.${raised}.${s}`, 'TOKEN_INVALID'],
    ['signature flipped', `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`, 'TOKEN_INVALID'],
    [
      'signed by another key',
      signJwt(generateSigningKeys().privateKey, { sub: user.id, typ: 'access', lvl: 3, groups: [] }),
      'TOKEN_INVALID',
    ],
    [
      'expired',
      signJwt(keys.privateKey, { sub: user.id, typ: 'access', lvl: 3, groups: [], iat: 1_000 }, -60),
      'TOKEN_EXPIRED',
    ],
    ['alg none', `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`, 'TOKEN_INVALID'],
    ['garbage', 'not.a.jwt', 'TOKEN_INVALID'],
  ];
  for (const [what, bad, code] of cases) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(bad) });
    t.equal(res.statusCode, 401, `${what} → 401`);
    t.equal(res.json().code, code, `${what} → ${code}`);
  }

  const unknownUser = signJwt(keys.privateKey, {
    sub: '00000000-0000-4000-8000-00000000dead',
    typ: 'access',
    lvl: 3,
    groups: [],
  });
  const ghost = await app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(unknownUser) });
  t.equal(ghost.statusCode, 401, 'a validly signed token of a user auth does not know is refused');
  t.equal(ghost.json().code, 'TOKEN_REVOKED');
});

t.test('refresh tokens rotate; reusing a rotated one revokes the whole session', async (t) => {
  const { app } = await buildTestApp(t);
  const first = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);

  const r1 = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: first.refresh_token },
  });
  t.equal(r1.statusCode, 200, r1.body);
  const second = r1.json();
  t.not(second.refresh_token, first.refresh_token, 'a new refresh token each time');
  t.not(second.access_token, first.access_token);
  t.equal(r1.cookies.find((c) => c.name === 'lumikb_refresh')?.value, second.refresh_token, 'cookie rotated too');

  // The SPA path: the refresh token travels in its cookie, no body at all.
  const r2 = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    cookies: { lumikb_refresh: second.refresh_token },
  });
  t.equal(r2.statusCode, 200, r2.body);
  const third = r2.json();

  const reuse = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: first.refresh_token },
  });
  t.equal(reuse.statusCode, 401);
  t.equal(reuse.json().code, 'REFRESH_TOKEN_REUSED');
  t.match(
    reuse.cookies.find((c) => c.name === 'lumikb_refresh'),
    { value: '' },
    'the cookie is cleared on refusal',
  );

  const latest = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: third.refresh_token },
  });
  t.equal(latest.statusCode, 401, 'the newest token of the family is revoked as well');
  t.equal(latest.json().code, 'REFRESH_TOKEN_REVOKED');

  const other = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const unaffected = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: other.refresh_token },
  });
  t.equal(unaffected.statusCode, 200, 'another session (another login) is not affected');

  const none = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: {} });
  t.equal(none.statusCode, 401);
  t.equal(none.json().code, 'REFRESH_TOKEN_MISSING');
  const bogus = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: 'nope' } });
  t.equal(bogus.json().code, 'REFRESH_TOKEN_INVALID');
});

t.test('refresh tokens expire', async (t) => {
  const { app, deps } = await buildTestApp(t);
  const session = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  await deps.db.db
    .updateTable('refresh_tokens')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .execute();
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: session.refresh_token },
  });
  t.equal(res.statusCode, 401);
  t.equal(res.json().code, 'REFRESH_TOKEN_EXPIRED');
});

t.test('logout revokes the session; logout everywhere also refuses earlier access tokens', async (t) => {
  const { app } = await buildTestApp(t);
  const a = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const out = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/logout',
    headers: bearer(a.access_token),
    cookies: { lumikb_refresh: a.refresh_token },
  });
  t.equal(out.statusCode, 204, out.body);
  t.match(
    out.cookies.find((c) => c.name === 'lumikb_access'),
    { value: '' },
    'access cookie cleared',
  );
  const again = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: a.refresh_token },
  });
  t.equal(again.json().code, 'REFRESH_TOKEN_REVOKED', 'the refresh token no longer works');

  const b = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const c = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const all = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/logout',
    headers: bearer(b.access_token),
    payload: { all: true },
  });
  t.equal(all.statusCode, 204);
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(c.access_token) });
  t.equal(me.statusCode, 401, "another device's access token is refused by auth at once");
  t.equal(me.json().code, 'TOKEN_REVOKED');
  const refreshC = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: c.refresh_token },
  });
  t.equal(refreshC.json().code, 'REFRESH_TOKEN_REVOKED');
  t.ok(await login(app, ADMIN_EMAIL, ADMIN_PASSWORD), 'signing in again works');
});
