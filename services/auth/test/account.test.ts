/**
 * One's own account: name, sessions, signing the other devices out and changing the
 * password keep the caller signed in and end everyone else; each change is audited.
 */
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

const NEW_PASSWORD = 'a-new-pass-phrase-7';

const refreshCookie = (token: string) => ({ cookie: `lumikb_refresh=${token}` });

t.test('a signed-in person renames themselves and sees their groups, level and sessions', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createUser(app, admin.access_token, { email: 'pat@company.local' });
  const laptop = await login(app, 'pat@company.local', PASSWORD);
  const phone = await login(app, 'pat@company.local', PASSWORD);

  const renamed = await app.inject({
    method: 'PATCH',
    url: '/api/v1/auth/me',
    headers: bearer(laptop.access_token),
    payload: { name: '  Pat Doe ' },
  });
  t.equal(renamed.statusCode, 200, renamed.body);
  t.equal(renamed.json().name, 'Pat Doe');
  t.match(renamed.json(), { permission_level: 1, groups: [{ name: 'Users', permission_level: 1 }] });

  const tooLong = await app.inject({
    method: 'PATCH',
    url: '/api/v1/auth/me',
    headers: bearer(laptop.access_token),
    payload: { name: 'x'.repeat(201) },
  });
  t.equal(tooLong.statusCode, 400, 'an over-long name is refused with the limit');
  const noEmail = await app.inject({
    method: 'PATCH',
    url: '/api/v1/auth/me',
    headers: bearer(laptop.access_token),
    payload: { email: 'other@company.local' },
  });
  t.equal(noEmail.statusCode, 400, 'the own email is not changed here');

  const sessions = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/sessions',
    headers: { ...bearer(laptop.access_token), ...refreshCookie(laptop.refresh_token) },
  });
  t.equal(sessions.statusCode, 200, sessions.body);
  const items = sessions.json().items as { id: string; current: boolean; ip: string | null }[];
  t.equal(items.length, 2, 'both devices are listed');
  t.equal(items.filter((s) => s.current).length, 1, 'exactly one is marked as this one');
  const otherEyes = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/sessions',
    headers: bearer(admin.access_token),
  });
  t.equal(otherEyes.json().items.length, 1, "another user sees only their own session, not Pat's");
  t.ok(phone.access_token);
});

t.test("changing one's password keeps this session, ends the others, and is audited", async (t) => {
  const { app } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const pat = await createUser(app, admin.access_token, { email: 'pat@company.local' });
  const laptop = await login(app, 'pat@company.local', PASSWORD);
  const phone = await login(app, 'pat@company.local', PASSWORD);
  const before = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/sessions',
    headers: { ...bearer(laptop.access_token), ...refreshCookie(laptop.refresh_token) },
  });
  const laptopSession = (before.json().items as { id: string; current: boolean }[]).find((s) => s.current)!;

  const wrong = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: { ...bearer(laptop.access_token), ...refreshCookie(laptop.refresh_token) },
    payload: { current_password: 'not-my-password-1', new_password: NEW_PASSWORD },
  });
  t.equal(wrong.json().code, 'CURRENT_PASSWORD_INCORRECT', 'the current password is required');
  const stillPhone = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(phone.access_token) });
  t.equal(stillPhone.statusCode, 200, 'a refused change ends nothing');

  const changed = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: { ...bearer(laptop.access_token), ...refreshCookie(laptop.refresh_token) },
    payload: { current_password: PASSWORD, new_password: NEW_PASSWORD },
  });
  t.equal(changed.statusCode, 200, changed.body);
  t.equal(changed.json().sessions_ended, 1, 'the phone was signed out');
  const cookies = changed.cookies.map((c) => c.name).sort();
  t.same(cookies, ['lumikb_access', 'lumikb_refresh'], 'the browser gets the renewed session as cookies');

  const laptopNow = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/me',
    headers: bearer(changed.json().access_token),
  });
  t.equal(laptopNow.statusCode, 200, 'this device stays signed in');
  const phoneNow = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(phone.access_token) });
  t.equal(phoneNow.json().code, 'TOKEN_REVOKED', "the phone's access token is refused");
  const phoneRefresh = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: phone.refresh_token },
  });
  t.equal(phoneRefresh.json().code, 'REFRESH_TOKEN_REVOKED', 'and the phone cannot refresh');
  const laptopRefresh = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: changed.json().refresh_token },
  });
  t.equal(laptopRefresh.statusCode, 200, 'the renewed refresh token works');

  const after = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/sessions',
    headers: { ...bearer(laptopRefresh.json().access_token), ...refreshCookie(laptopRefresh.json().refresh_token) },
  });
  t.match(after.json().items, [{ id: laptopSession.id, current: true }], 'one session left: the same one as before');
  t.equal(after.json().items.length, 1);
  await t.rejects(login(app, 'pat@company.local', PASSWORD), /INVALID_CREDENTIALS/, 'the old password is gone');

  const audit = await waitFor(
    async () => {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/admin/audit?action=auth.password_change&limit=50`,
        headers: bearer(admin.access_token),
      });
      const items = res.json().items as { outcome: string; resource_id: string; new_value: object }[];
      return items.filter((i) => i.resource_id === pat.id).length >= 2 ? items : undefined;
    },
    { what: 'both password attempts in the audit trail' },
  );
  t.match(
    audit.find((i) => i.outcome === 'success'),
    { new_value: { password: '[redacted]', other_sessions_ended: 1, this_session_kept: true } },
  );
  t.ok(
    audit.find((i) => i.outcome === 'failure'),
    'the refused attempt is audited too',
  );
  t.notMatch(JSON.stringify(audit), new RegExp(NEW_PASSWORD), 'no password in the trail');
});

t.test('signing out the other devices keeps this one', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const pat = await createUser(app, admin.access_token, { email: 'pat@company.local' });
  const [a, b, c] = [
    await login(app, 'pat@company.local', PASSWORD),
    await login(app, 'pat@company.local', PASSWORD),
    await login(app, 'pat@company.local', PASSWORD),
  ];

  const ended = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/sessions/end-others',
    headers: { ...bearer(b!.access_token), ...refreshCookie(b!.refresh_token) },
  });
  t.equal(ended.statusCode, 200, ended.body);
  t.equal(ended.json().sessions_ended, 2);
  for (const [name, session] of [
    ['a', a],
    ['c', c],
  ] as const) {
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(session!.access_token) });
    t.equal(me.json().code, 'TOKEN_REVOKED', `${name} is signed out`);
    const refresh = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: session!.refresh_token },
    });
    t.equal(refresh.statusCode, 401, `${name} cannot refresh`);
  }
  const stays = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(ended.json().access_token) });
  t.equal(stays.statusCode, 200, 'this device goes on');
  const oldRefresh = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: b!.refresh_token },
  });
  t.equal(oldRefresh.statusCode, 401, 'the refresh token it replaced works no more');

  const audited = await waitFor(
    async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/admin/audit?action=auth.sessions_end_others',
        headers: bearer(admin.access_token),
      });
      return (res.json().items as { resource_id: string; new_value: object }[]).find((i) => i.resource_id === pat.id);
    },
    { what: 'the sign-out of the other devices in the audit trail' },
  );
  t.match(audited, { new_value: { other_sessions_ended: 2 } });
});
