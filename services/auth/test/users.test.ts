import { DEFAULT_GROUPS, STREAMS } from '@lumikb/contracts';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

const MISSING = '00000000-0000-4000-8000-0000000000ff';

t.test('admins create, find, change, deactivate and reactivate users', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(admin), ...(payload ? { payload } : {}) });

  const created = await call('POST', '/api/v1/admin/users', {
    email: 'x@company.local',
    name: ' Xavier ',
    password: PASSWORD,
    group_ids: [DEFAULT_GROUPS.OPERATORS.id],
  });
  t.equal(created.statusCode, 201, created.body);
  const x = created.json();
  t.match(x, { email: 'x@company.local', name: 'Xavier', is_active: true, permission_level: 2, last_login_at: null });
  t.same(x.groups.map((g: { name: string }) => g.name).sort(), ['Operators', 'Users']);
  t.notOk(JSON.stringify(x).includes('scrypt'), 'no hash in the response');

  for (let i = 0; i < 3; i++) await createUser(app, admin, { email: `bulk${i}@example.org`, name: `Bulk ${i}` });
  const page = await call('GET', '/api/v1/admin/users?limit=2&offset=0');
  t.match(page.json(), { total: 5, limit: 2, offset: 0 });
  t.equal(page.json().items.length, 2);
  const search = await call('GET', '/api/v1/admin/users?q=BULK');
  t.equal(search.json().total, 3, 'search by email or name ignores case');
  const byName = await call('GET', '/api/v1/admin/users?q=xavier');
  t.same(
    byName.json().items.map((u: { email: string }) => u.email),
    ['x@company.local'],
  );
  const wildcard = await call('GET', '/api/v1/admin/users?q=%25');
  t.equal(wildcard.json().total, 0, 'LIKE wildcards in q are taken literally');
  const operators = await call('GET', `/api/v1/admin/users?group_id=${DEFAULT_GROUPS.OPERATORS.id}`);
  t.equal(operators.json().total, 1);

  const renamed = await call('PATCH', `/api/v1/admin/users/${x.id}`, { name: 'Xena', email: 'xena@company.local' });
  t.equal(renamed.statusCode, 200, renamed.body);
  t.match(renamed.json(), { name: 'Xena', email: 'xena@company.local' });
  t.ok(await login(app, 'xena@company.local', PASSWORD), 'signs in with the new email');

  const off = await call('POST', `/api/v1/admin/users/${x.id}/deactivate`);
  t.equal(off.json().is_active, false);
  const inactive = await call('GET', '/api/v1/admin/users?is_active=false');
  t.same(
    inactive.json().items.map((u: { id: string }) => u.id),
    [x.id],
  );
  t.equal((await call('POST', `/api/v1/admin/users/${x.id}/deactivate`)).statusCode, 200, 'deactivating twice is fine');
  t.equal((await call('POST', `/api/v1/admin/users/${x.id}/reactivate`)).json().is_active, true);
});

t.test('bad input on the user routes', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(admin), ...(payload ? { payload } : {}) });

  for (const email of ['plainaddress', 'a@', '@company.local', 'a b@company.local', '']) {
    const res = await call('POST', '/api/v1/admin/users', { email, password: PASSWORD });
    t.equal(res.statusCode, 400, `malformed email ${JSON.stringify(email)} → 400`);
    t.equal(res.json().code, 'VALIDATION_FAILED');
  }
  for (const [password, why] of [
    ['Short-1', /shorter than 12/],
    ['onlylettersandmore', /no digit or symbol/],
    ['1234567890123', /no letter/],
    ['weak@company.local!1', /contains the email/],
  ] as const) {
    const res = await call('POST', '/api/v1/admin/users', { email: 'weak@company.local', password });
    t.equal(res.statusCode, 400, `weak password ${password}`);
    t.equal(res.json().code, 'WEAK_PASSWORD');
    t.match(res.json().message, why);
    t.match(res.json().details.rule, /at least 12 characters/, 'the rule is stated');
  }

  await createUser(app, admin, { email: 'Dup@Company.local' });
  const dup = await call('POST', '/api/v1/admin/users', { email: 'dup@company.LOCAL', password: PASSWORD });
  t.equal(dup.statusCode, 409, 'emails are unique regardless of case');
  t.equal(dup.json().code, 'EMAIL_TAKEN');
  const other = await createUser(app, admin, { email: 'other@company.local' });
  const clash = await call('PATCH', `/api/v1/admin/users/${other.id}`, { email: 'DUP@company.local' });
  t.equal(clash.statusCode, 409);
  t.equal(clash.json().code, 'EMAIL_TAKEN');

  const badGroup = await call('POST', '/api/v1/admin/users', {
    email: 'g@company.local',
    password: PASSWORD,
    group_ids: [MISSING],
  });
  t.equal(badGroup.statusCode, 404);
  t.equal(badGroup.json().code, 'GROUP_NOT_FOUND');
  const listed = await call('GET', '/api/v1/admin/users?q=g%40company');
  t.equal(listed.json().total, 0, 'nothing was created');

  for (const [method, url, payload] of [
    ['GET', `/api/v1/admin/users/${MISSING}`],
    ['PATCH', `/api/v1/admin/users/${MISSING}`, { name: 'x' }],
    ['POST', `/api/v1/admin/users/${MISSING}/deactivate`],
    ['POST', `/api/v1/admin/users/${MISSING}/reactivate`],
    ['POST', `/api/v1/admin/users/${MISSING}/reset-password`, { password: PASSWORD }],
  ] as const) {
    const res = await call(method, url, payload);
    t.equal(res.statusCode, 404, `${method} ${url} → 404`);
    t.equal(res.json().code, 'USER_NOT_FOUND');
  }
  t.equal((await call('GET', '/api/v1/admin/users/42')).statusCode, 400, 'a malformed id → 400');
  t.equal((await call('PATCH', `/api/v1/admin/users/${other.id}`, {})).statusCode, 400, 'an empty patch → 400');
  const extra = await call('POST', '/api/v1/admin/users', {
    email: 'e@company.local',
    password: PASSWORD,
    admin: true,
  });
  t.equal(extra.statusCode, 400, 'unknown fields are refused, not ignored');
});

t.test('an admin password reset ends the user’s sessions; the new password works', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const rae = await createUser(app, admin, { email: 'rae@company.local' });
  const session = await login(app, 'rae@company.local', PASSWORD);

  const weak = await app.inject({
    method: 'POST',
    url: `/api/v1/admin/users/${rae.id}/reset-password`,
    headers: bearer(admin),
    payload: { password: 'weak' },
  });
  t.equal(weak.json().code, 'WEAK_PASSWORD');

  const reset = await app.inject({
    method: 'POST',
    url: `/api/v1/admin/users/${rae.id}/reset-password`,
    headers: bearer(admin),
    payload: { password: 'brand-new-secret-77' },
  });
  t.equal(reset.statusCode, 200, reset.body);
  t.notOk(reset.body.includes('brand-new-secret-77'), 'the password is not echoed');
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(session.access_token) });
  t.equal(me.json().code, 'TOKEN_REVOKED');
  const refresh = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: session.refresh_token },
  });
  t.equal(refresh.json().code, 'REFRESH_TOKEN_REVOKED');
  await t.rejects(
    login(app, 'rae@company.local', PASSWORD),
    /failed: 401 .*"code":"INVALID_CREDENTIALS"/,
    'the old password no longer works',
  );
  t.ok(await login(app, 'rae@company.local', 'brand-new-secret-77'));
});

t.test('user.created, user.updated and group.membership_changed reach the USERS stream', async (t) => {
  const { app, bus } = await buildTestApp(t);
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const ivy = await createUser(app, admin, { email: 'ivy@company.local', name: 'Ivy' });
  await app.inject({
    method: 'POST',
    url: `/api/v1/admin/groups/${DEFAULT_GROUPS.OPERATORS.id}/members`,
    headers: bearer(admin),
    payload: { user_id: ivy.id },
  });
  await app.inject({ method: 'POST', url: `/api/v1/admin/users/${ivy.id}/deactivate`, headers: bearer(admin) });

  const stream = bus.streamName(STREAMS.USERS);
  const last = (type: string) =>
    waitFor(
      async () => {
        const msg = await bus.jsm.streams
          .getMessage(stream, { last_by_subj: bus.subject(type) })
          .catch(() => undefined);
        return msg?.json<{ type: string; actor: { id: string }; data: Record<string, unknown> }>();
      },
      { what: `${type} on ${stream}` },
    );

  const created = await last('user.created');
  t.match(created.data, {
    user: { id: ivy.id, email: 'ivy@company.local', is_active: true, permission_level: 1 },
  });
  const membership = await last('group.membership_changed');
  t.match(membership.data, {
    group_id: DEFAULT_GROUPS.OPERATORS.id,
    user_id: ivy.id,
    change: 'added',
    permission_level: 2,
  });
  const updated = await last('user.updated');
  t.match(updated.data, { user: { id: ivy.id, is_active: false }, changed_fields: ['is_active'] });
  t.type(updated.data.sessions_revoked_at, 'string', 'consumers learn from when tokens are revoked');
  for (const event of [created, membership, updated]) {
    const text = JSON.stringify(event);
    t.notOk(/scrypt|password_hash|correct-horse/.test(text), `${event.type} carries no secret`);
  }
});
