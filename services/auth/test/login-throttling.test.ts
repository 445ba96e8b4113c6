/** Sign-in throttling per email and per IP, and self-registration. */
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, buildTestApp, login, PASSWORD } from './helper.ts';

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
