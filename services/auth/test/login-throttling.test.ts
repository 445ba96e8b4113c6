/**
 * Sign-in throttling: counted before the password is checked (atomic under concurrency,
 * shared by replicas), locking the (address, account) pair rather than the account, and
 * self-registration.
 */
import { publishSystemSettings, testLogger, waitForSettingsVersion } from '@lumikb/test-kit';
import t from 'tap';
import { buildApp, connect } from '../src/app.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

type App = Awaited<ReturnType<typeof buildTestApp>>['app'];
const attempt = (app: App, email: string, password: string, ip: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

t.test("failures lock the address out of that account only; the user's own address still signs in", async (t) => {
  const { app } = await buildTestApp(t, {
    LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '3',
    LOGIN_THROTTLE_WINDOW_SECONDS: '600',
  });
  for (let i = 0; i < 3; i++) {
    t.equal((await attempt(app, ADMIN_EMAIL, `wrong-password-${i}`, '10.0.0.1')).statusCode, 401);
  }
  const throttled = await attempt(app, ADMIN_EMAIL, ADMIN_PASSWORD, '10.0.0.1');
  t.equal(throttled.statusCode, 429, 'the right password is refused too from the guessing address');
  t.match(throttled.json(), { code: 'LOGIN_THROTTLED', details: { scope: 'account_ip' } });
  const retryAfter = Number(throttled.headers['retry-after']);
  t.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After in seconds (${retryAfter})`);
  t.equal(
    (await attempt(app, ADMIN_EMAIL, ADMIN_PASSWORD, '10.0.0.2')).statusCode,
    200,
    'the guesser cannot lock the real user out from their own address',
  );
});

t.test('failures from one address over many accounts are throttled per address', async (t) => {
  const { app } = await buildTestApp(t, { LOGIN_MAX_FAILURES_PER_IP: '5' });
  for (let i = 0; i < 5; i++) {
    t.equal((await attempt(app, `someone${i}@company.local`, 'wrong-password-1', '10.0.0.9')).statusCode, 401);
  }
  const ipThrottled = await attempt(app, 'another@company.local', 'wrong-password-1', '10.0.0.9');
  t.equal(ipThrottled.statusCode, 429);
  t.match(ipThrottled.json(), { code: 'LOGIN_THROTTLED', details: { scope: 'ip' } });
  t.equal((await attempt(app, 'another@company.local', 'wrong-password-1', '10.0.0.10')).statusCode, 401);
});

t.test('15 concurrent wrong guesses over two replicas: at most the limit is evaluated, the rest get 429', async (t) => {
  const { app, config, deps } = await buildTestApp(t, { LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '5' });
  const otherDeps = await connect(config, { runMigrations: false });
  const replica = await buildApp(config, { ...otherDeps, logger: testLogger('auth-2') });
  t.teardown(async () => {
    await replica.close();
  });
  await replica.ready();
  const results = await Promise.all(
    Array.from({ length: 15 }, (_, i) =>
      attempt(i % 2 === 0 ? app : replica, ADMIN_EMAIL, `wrong-guess-${i}`, '198.51.100.3'),
    ),
  );
  const statuses = results.map((r) => r.statusCode);
  t.equal(statuses.filter((s) => s === 401).length, 5, `exactly 5 guesses were checked (${statuses.join(',')})`);
  t.equal(statuses.filter((s) => s === 429).length, 10);
  const counted = await deps.db.db
    .selectFrom('login_attempts')
    .select('attempts')
    .where('scope', '=', 'account_ip')
    .executeTakeFirstOrThrow();
  t.equal(counted.attempts, 15, 'every attempt was counted in the shared row');
});

t.test('guessing spread over many addresses hits the account ceiling, but never a known address', async (t) => {
  const { app } = await buildTestApp(t, {
    LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '2',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '4',
  });
  await login(app, ADMIN_EMAIL, ADMIN_PASSWORD, '192.0.2.1');
  for (const ip of ['203.0.113.1', '203.0.113.2']) {
    for (let i = 0; i < 2; i++) t.equal((await attempt(app, ADMIN_EMAIL, `wrong-${i}-pass`, ip)).statusCode, 401);
  }
  // Hammering from a throttled pair adds nothing to the account's counter.
  for (let i = 0; i < 5; i++)
    t.equal((await attempt(app, ADMIN_EMAIL, 'wrong-again-1', '203.0.113.1')).statusCode, 429);
  const fromNew = await attempt(app, ADMIN_EMAIL, ADMIN_PASSWORD, '203.0.113.3');
  t.equal(fromNew.statusCode, 429, 'a new address waits once the account ceiling is reached');
  t.match(fromNew.json().details, { scope: 'account' });
  t.equal(
    (await attempt(app, ADMIN_EMAIL, ADMIN_PASSWORD, '192.0.2.1')).statusCode,
    200,
    'an address the user signed in from before is never locked out by the ceiling',
  );
});

t.test('a throttled pair signs in again once its window has passed', async (t) => {
  const { app, deps } = await buildTestApp(t, { LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '2' });
  for (let i = 0; i < 2; i++) await attempt(app, ADMIN_EMAIL, 'wrong-password-1', '127.0.0.1');
  await t.rejects(login(app, ADMIN_EMAIL, ADMIN_PASSWORD), /429/);
  await deps.db.db
    .updateTable('login_attempts')
    .set({ window_started_at: new Date(Date.now() - 16 * 60 * 1000) })
    .execute();
  t.ok(await login(app, ADMIN_EMAIL, ADMIN_PASSWORD), 'after the window the correct password works');
});

t.test('a deactivated account answers like a wrong password, whichever password is given', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const sam = await createUser(app, admin.access_token, { email: 'sam@company.local' });
  await app.inject({
    method: 'POST',
    url: `/api/v1/admin/users/${sam.id}/deactivate`,
    headers: bearer(admin.access_token),
  });
  const right = await attempt(app, 'sam@company.local', PASSWORD, '192.0.2.40');
  const wrong = await attempt(app, 'sam@company.local', 'Not-the-password-1', '192.0.2.41');
  const unknown = await attempt(app, 'nobody@company.local', PASSWORD, '192.0.2.42');
  t.equal(right.statusCode, 401);
  t.same(right.json(), wrong.json(), 'the right password learns nothing more than a wrong one');
  t.same(right.json(), unknown.json(), 'nor more than an unknown email');
  t.equal(right.json().code, 'INVALID_CREDENTIALS');
});

t.test('login_attempts_per_minute from the Config page applies live, per address', async (t) => {
  const { app, bus } = await buildTestApp(t);
  await publishSystemSettings(bus, 1, { rate_limits: { login_attempts_per_minute: 2 } });
  await waitForSettingsVersion(app, 1);
  t.equal((await attempt(app, ADMIN_EMAIL, ADMIN_PASSWORD, '192.0.2.50')).statusCode, 200);
  t.equal((await attempt(app, 'x@company.local', 'wrong-password-1', '192.0.2.50')).statusCode, 401);
  const third = await attempt(app, 'y@company.local', 'wrong-password-1', '192.0.2.50');
  t.equal(third.statusCode, 429, 'the third attempt in a minute is refused');
  t.match(third.json().details, { scope: 'ip_minute' });

  await publishSystemSettings(bus, 2, { rate_limits: { login_attempts_per_minute: 10 } });
  await waitForSettingsVersion(app, 2);
  t.equal(
    (await attempt(app, ADMIN_EMAIL, ADMIN_PASSWORD, '192.0.2.50')).statusCode,
    200,
    'raising the limit lets the address in again without a restart',
  );
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
