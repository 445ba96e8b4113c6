/** Revocation: password change, deactivation and demotion take effect in auth at once. */
import { DEFAULT_GROUPS } from '@lumikb/contracts';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

t.test("changing one's password ends every other session and renews this one; the rule is stated", async (t) => {
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
  t.equal(ok.statusCode, 200, ok.body);
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(pat.access_token) });
  t.equal(me.json().code, 'TOKEN_REVOKED', 'the old access token is refused');
  const renewed = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(ok.json().access_token) });
  t.equal(renewed.statusCode, 200, 'the new access token returned with the change works');
  const refresh = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: pat.refresh_token },
  });
  t.equal(refresh.json().code, 'REFRESH_TOKEN_REVOKED');
  await t.rejects(
    login(app, 'pat@company.local', PASSWORD),
    /failed: 401 .*"code":"INVALID_CREDENTIALS"/,
    'the old password no longer works',
  );
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
  t.equal(relogin.json().code, 'INVALID_CREDENTIALS', 'sign-in does not confirm the password of a deactivated account');

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

t.test('demotion voids the old token; the refreshed one carries the new level', async (t) => {
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
  t.equal(after.statusCode, 401, 'demotion voids the token claiming the old level at once');
  t.equal(after.json().code, 'TOKEN_REVOKED');
  const renewed = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: session.refresh_token },
  });
  t.equal(decode(renewed.json().access_token).lvl, 1, 'the session goes on at the new level');
  const refused = await app.inject({
    method: 'GET',
    url: '/api/v1/admin/audit',
    headers: bearer(renewed.json().access_token),
  });
  t.equal(refused.json().code, 'INSUFFICIENT_LEVEL');
});
