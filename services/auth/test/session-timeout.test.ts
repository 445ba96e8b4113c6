/** `session_timeout_minutes` from the Config page ends idle sessions, applied without a restart. */
import { publishSystemSettings, waitForSettingsVersion } from '@lumikb/test-kit';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, buildTestApp, login } from './helper.ts';

t.test('a session idle longer than the live session timeout cannot be refreshed', async (t) => {
  const { app, deps, bus } = await buildTestApp(t);
  const refresh = (token: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });
  /** Pretends the session's last refresh happened `minutes` ago. */
  const idleFor = async (minutes: number) =>
    deps.db.db
      .updateTable('refresh_tokens')
      .set({ created_at: new Date(Date.now() - minutes * 60_000) })
      .execute();

  const early = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  await idleFor(30);
  t.equal((await refresh(early.refresh_token)).statusCode, 200, '30 idle minutes are within the default 480');

  await publishSystemSettings(bus, 1, { session_timeout_minutes: 10 });
  await waitForSettingsVersion(app, 1);
  const late = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  await idleFor(30);
  const refused = await refresh(late.refresh_token);
  t.equal(refused.statusCode, 401, 'the shorter timeout applies at once');
  t.match(refused.json(), { code: 'SESSION_TIMED_OUT', details: { session_timeout_minutes: 10 } });
  const fresh = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  t.equal((await refresh(fresh.refresh_token)).statusCode, 200, 'an active session is unaffected');
});
