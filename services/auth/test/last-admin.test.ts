/** Every path that could leave no active administrator is refused with 409 LAST_ADMIN, changing nothing. */
import { DEFAULT_GROUPS } from '@lumikb/contracts';
import t, { type Test } from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

const { ADMINISTRATORS } = DEFAULT_GROUPS;

async function setup(t: Test) {
  const built = await buildTestApp(t);
  const admin = await login(built.app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    built.app.inject({ method, url, headers: bearer(admin.access_token), ...(payload ? { payload } : {}) });
  const expectLastAdmin = async (res: Awaited<ReturnType<typeof call>>, what: string) => {
    t.equal(res.statusCode, 409, `${what} → 409`);
    t.equal(res.json().code, 'LAST_ADMIN', `${what} → LAST_ADMIN`);
  };
  return { ...built, admin, call, expectLastAdmin };
}

t.test('deactivating the only administrator', async (t) => {
  const { call, admin, expectLastAdmin } = await setup(t);
  await expectLastAdmin(await call('POST', `/api/v1/admin/users/${admin.user.id}/deactivate`), 'self-deactivation');
  const me = await call('GET', `/api/v1/admin/users/${admin.user.id}`);
  t.equal(me.json().is_active, true, 'still active');
  t.equal((await call('GET', '/api/v1/auth/me')).statusCode, 200, 'and still signed in');
});

t.test('removing the only administrator from Administrators', async (t) => {
  const { call, admin, expectLastAdmin } = await setup(t);
  await expectLastAdmin(
    await call('DELETE', `/api/v1/admin/groups/${ADMINISTRATORS.id}/members/${admin.user.id}`),
    'removal from Administrators',
  );
  t.equal((await call('GET', `/api/v1/admin/users/${admin.user.id}`)).json().permission_level, 3, 'still level 3');
});

t.test('deleting or lowering the group that makes the only active administrator', async (t) => {
  const { app, call, admin, expectLastAdmin } = await setup(t);
  // Move administration into a custom level-3 group, then take Administrators away.
  const owners = (await call('POST', '/api/v1/admin/groups', { name: 'Owners', permission_level: 3 })).json();
  t.equal(
    (await call('POST', `/api/v1/admin/groups/${owners.id}/members`, { user_id: admin.user.id })).statusCode,
    201,
  );
  const left = await call('DELETE', `/api/v1/admin/groups/${ADMINISTRATORS.id}/members/${admin.user.id}`);
  t.equal(left.statusCode, 204, 'allowed: Owners still makes them an administrator');
  const session = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  t.equal(session.user.permission_level, 3);

  await expectLastAdmin(await call('DELETE', `/api/v1/admin/groups/${owners.id}`), 'deleting Owners');
  await expectLastAdmin(
    await call('PATCH', `/api/v1/admin/groups/${owners.id}`, { permission_level: 2 }),
    'lowering Owners to 2',
  );
  await expectLastAdmin(
    await call('DELETE', `/api/v1/admin/groups/${owners.id}/members/${admin.user.id}`),
    'removal from Owners',
  );
  const owned = (await call('GET', `/api/v1/admin/groups/${owners.id}`)).json();
  t.match(owned, { permission_level: 3, member_count: 1 }, 'Owners unchanged');
});

t.test('an inactive administrator does not count; with a second active one, the first may go', async (t) => {
  const { app, call, admin, expectLastAdmin } = await setup(t);
  const second = await createUser(app, admin.access_token, {
    email: 'second-admin@company.local',
    group_ids: [ADMINISTRATORS.id],
  });
  t.equal(second.permission_level, 3);
  t.equal((await call('POST', `/api/v1/admin/users/${second.id}/deactivate`)).statusCode, 200);
  await expectLastAdmin(
    await call('POST', `/api/v1/admin/users/${admin.user.id}/deactivate`),
    'deactivating the last active admin while another admin is inactive',
  );
  t.equal((await call('POST', `/api/v1/admin/users/${second.id}/reactivate`)).statusCode, 200);

  const bySecond = (await login(app, 'second-admin@company.local', PASSWORD)).access_token;
  const removeFirst = await app.inject({
    method: 'DELETE',
    url: `/api/v1/admin/groups/${ADMINISTRATORS.id}/members/${admin.user.id}`,
    headers: bearer(bySecond),
  });
  t.equal(removeFirst.statusCode, 204, 'two active admins: one may leave Administrators');
  const selfRemove = await app.inject({
    method: 'DELETE',
    url: `/api/v1/admin/groups/${ADMINISTRATORS.id}/members/${second.id}`,
    headers: bearer(bySecond),
  });
  t.equal(selfRemove.json().code, 'LAST_ADMIN', 'but then the remaining one may not');
});

t.test('concurrent changes cannot together leave no administrator', async (t) => {
  const { call, admin } = await setup(t);
  const g1 = (await call('POST', '/api/v1/admin/groups', { name: 'G1', permission_level: 3 })).json();
  const g2 = (await call('POST', '/api/v1/admin/groups', { name: 'G2', permission_level: 3 })).json();
  for (const g of [g1, g2]) await call('POST', `/api/v1/admin/groups/${g.id}/members`, { user_id: admin.user.id });
  t.equal((await call('DELETE', `/api/v1/admin/groups/${ADMINISTRATORS.id}/members/${admin.user.id}`)).statusCode, 204);
  // Each change alone is fine (the other group still makes an admin); both together are not.
  const results = await Promise.all([
    call('PATCH', `/api/v1/admin/groups/${g1.id}`, { permission_level: 2 }),
    call('PATCH', `/api/v1/admin/groups/${g2.id}`, { permission_level: 2 }),
  ]);
  t.same(results.map((r) => r.statusCode).sort(), [200, 409], 'exactly one of two simultaneous changes succeeds');
  t.equal((await call('GET', '/api/v1/auth/me')).json().permission_level, 3, 'an administrator remains');
});
