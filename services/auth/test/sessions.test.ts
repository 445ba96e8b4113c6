import { DEFAULT_GROUPS } from '@lumikb/contracts';
import { generateSigningKeys, signJwt } from '@lumikb/test-kit';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

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

t.test("changing one's password ends every session; the rule is stated", async (t) => {
  const { app } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createUser(app, admin.access_token, { email: 'pat@company.local' });
  const pat = await login(app, 'pat@company.local', PASSWORD);

  const wrongCurrent = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: bearer(pat.access_token),
    payload: { current_password: 'not-my-password-1', new_password: 'a-new-pass-phrase-7' },
  });
  t.equal(wrongCurrent.statusCode, 400);
  t.equal(wrongCurrent.json().code, 'CURRENT_PASSWORD_INCORRECT');

  const weak = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: bearer(pat.access_token),
    payload: { current_password: PASSWORD, new_password: 'short1' },
  });
  t.equal(weak.statusCode, 400);
  t.equal(weak.json().code, 'WEAK_PASSWORD');
  t.match(weak.json().message, /at least 12 characters/);

  const ok = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: bearer(pat.access_token),
    payload: { current_password: PASSWORD, new_password: 'a-new-pass-phrase-7' },
  });
  t.equal(ok.statusCode, 204, ok.body);
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(pat.access_token) });
  t.equal(me.json().code, 'TOKEN_REVOKED', 'the old access token is refused');
  const refresh = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: pat.refresh_token },
  });
  t.equal(refresh.json().code, 'REFRESH_TOKEN_REVOKED');
  await t.rejects(login(app, 'pat@company.local', PASSWORD), 'the old password no longer works');
  const fresh = await login(app, 'pat@company.local', 'a-new-pass-phrase-7');
  const meAgain = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(fresh.access_token) });
  t.equal(meAgain.statusCode, 200, 'a token issued after the change works');
});

t.test("a deactivated user's still-valid token is refused, and so is their refresh", async (t) => {
  const { app } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const sam = await createUser(app, admin.access_token, { email: 'sam@company.local' });
  const session = await login(app, 'sam@company.local', PASSWORD);

  const off = await app.inject({
    method: 'POST',
    url: `/api/v1/admin/users/${sam.id}/deactivate`,
    headers: bearer(admin.access_token),
  });
  t.equal(off.statusCode, 200, off.body);
  t.equal(off.json().is_active, false);

  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(session.access_token) });
  t.equal(me.statusCode, 401);
  t.equal(me.json().code, 'ACCOUNT_DEACTIVATED');
  const refresh = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: session.refresh_token },
  });
  t.equal(refresh.statusCode, 401, 'refresh refused');
  const relogin = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'sam@company.local', password: PASSWORD },
  });
  t.equal(relogin.statusCode, 401);
  t.equal(relogin.json().code, 'ACCOUNT_DEACTIVATED');

  const on = await app.inject({
    method: 'POST',
    url: `/api/v1/admin/users/${sam.id}/reactivate`,
    headers: bearer(admin.access_token),
  });
  t.equal(on.json().is_active, true);
  const stillOld = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(session.access_token) });
  t.equal(stillOld.statusCode, 401, 'reactivation does not resurrect tokens issued before the deactivation');
  t.ok(await login(app, 'sam@company.local', PASSWORD), 'the reactivated user signs in again');
});

t.test('auth checks the current level, not the one frozen in the token', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const op = await createUser(app, admin.access_token, {
    email: 'op@company.local',
    group_ids: [DEFAULT_GROUPS.OPERATORS.id],
  });
  const session = await login(app, 'op@company.local', PASSWORD);
  t.equal(decode(session.access_token).lvl, 2);
  const before = await app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: bearer(session.access_token) });
  t.equal(before.statusCode, 200);
  await app.inject({
    method: 'DELETE',
    url: `/api/v1/admin/groups/${DEFAULT_GROUPS.OPERATORS.id}/members/${op.id}`,
    headers: bearer(admin.access_token),
  });
  const after = await app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: bearer(session.access_token) });
  t.equal(after.statusCode, 403, 'demotion applies at once in auth');
  t.equal(after.json().code, 'INSUFFICIENT_LEVEL');
});

t.test('failed logins are throttled per email and per IP with 429 and Retry-After', async (t) => {
  const { app } = await buildTestApp(t, {
    LOGIN_MAX_FAILURES_PER_EMAIL: '3',
    LOGIN_MAX_FAILURES_PER_IP: '5',
    LOGIN_THROTTLE_WINDOW_SECONDS: '600',
  });
  const attempt = (email: string, password: string, ip: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

  for (let i = 0; i < 3; i++) {
    t.equal((await attempt(ADMIN_EMAIL, `wrong-password-${i}`, '10.0.0.1')).statusCode, 401);
  }
  const throttled = await attempt(ADMIN_EMAIL, ADMIN_PASSWORD, '10.0.0.2');
  t.equal(throttled.statusCode, 429, 'the right password is refused too while the email is throttled');
  t.equal(throttled.json().code, 'LOGIN_THROTTLED');
  t.match(throttled.json().details, { scope: 'email' });
  const retryAfter = Number(throttled.headers['retry-after']);
  t.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After in seconds (${retryAfter})`);

  // Per IP: many emails from one address.
  for (let i = 0; i < 5; i++) {
    t.equal((await attempt(`someone${i}@company.local`, 'wrong-password-1', '10.0.0.9')).statusCode, 401);
  }
  const ipThrottled = await attempt('another@company.local', 'wrong-password-1', '10.0.0.9');
  t.equal(ipThrottled.statusCode, 429);
  t.match(ipThrottled.json(), { code: 'LOGIN_THROTTLED', details: { scope: 'ip' } });
  t.ok(Number(ipThrottled.headers['retry-after']) > 0);
  t.equal(
    (await attempt('another@company.local', 'wrong-password-1', '10.0.0.10')).statusCode,
    401,
    'other IPs are not affected',
  );
});

t.test('a throttled email signs in again once its failures age out of the window', async (t) => {
  const { app, deps } = await buildTestApp(t, { LOGIN_MAX_FAILURES_PER_EMAIL: '2' });
  for (let i = 0; i < 2; i++) {
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: ADMIN_EMAIL, password: 'wrong-password-1' },
    });
  }
  await t.rejects(login(app, ADMIN_EMAIL, ADMIN_PASSWORD), /429/);
  await deps.db.db
    .updateTable('login_failures')
    .set({ at: new Date(Date.now() - 16 * 60 * 1000) })
    .execute();
  t.ok(await login(app, ADMIN_EMAIL, ADMIN_PASSWORD), 'after the window the correct password works');
});

t.test('self-registration is off by default, and joins Users when on', async (t) => {
  const off = await buildTestApp(t);
  const refused = await off.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: 'new@company.local', password: PASSWORD },
  });
  t.equal(refused.statusCode, 403);
  t.equal(refused.json().code, 'REGISTRATION_DISABLED');

  const on = await buildTestApp(t, { SELF_REGISTRATION: 'true' });
  const created = await on.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: 'x@company.local', name: 'X', password: PASSWORD },
  });
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), { email: 'x@company.local', permission_level: 1, groups: [{ name: 'Users' }] });
  const dup = await on.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: 'X@COMPANY.LOCAL', password: PASSWORD },
  });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().code, 'EMAIL_TAKEN');
  const weak = await on.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: 'y@company.local', password: 'onlyletters' },
  });
  t.equal(weak.json().code, 'WEAK_PASSWORD');
  t.ok(await login(on.app, 'x@company.local', PASSWORD));
});
