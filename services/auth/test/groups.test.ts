import { DEFAULT_GROUPS } from '@lumikb/contracts';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
const { USERS, OPERATORS, ADMINISTRATORS } = DEFAULT_GROUPS;

t.test('default groups are seeded with their levels and are protected', async (t) => {
  const { app } = await buildTestApp(t);
  const { access_token: token } = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const call = (method: 'GET' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  const list = await call('GET', '/api/v1/admin/groups');
  t.equal(list.statusCode, 200);
  t.match(list.json().items, [
    { id: ADMINISTRATORS.id, name: 'Administrators', permission_level: 3, is_system: true, member_count: 1 },
    { id: OPERATORS.id, name: 'Operators', permission_level: 2, is_system: true, member_count: 0 },
    { id: USERS.id, name: 'Users', permission_level: 1, is_system: true, member_count: 1 },
  ]);

  for (const group of [USERS, OPERATORS, ADMINISTRATORS]) {
    const del = await call('DELETE', `/api/v1/admin/groups/${group.id}`);
    t.equal(del.statusCode, 409, `${group.name} cannot be deleted`);
    t.equal(del.json().code, 'SYSTEM_GROUP_PROTECTED');
    const level = await call('PATCH', `/api/v1/admin/groups/${group.id}`, {
      permission_level: group.permission_level === 3 ? 2 : 3,
    });
    t.equal(level.statusCode, 409, `${group.name} keeps its level`);
    t.equal(level.json().code, 'SYSTEM_GROUP_PROTECTED');
    const rename = await call('PATCH', `/api/v1/admin/groups/${group.id}`, { name: `${group.name} renamed` });
    t.equal(rename.json().code, 'SYSTEM_GROUP_PROTECTED', `${group.name} keeps its name`);
  }
  const described = await call('PATCH', `/api/v1/admin/groups/${OPERATORS.id}`, { description: 'Night shift' });
  t.equal(described.statusCode, 200, 'the description of a system group may change');
  t.match(described.json(), { description: 'Night shift', permission_level: 2, is_system: true });

  const after = await call('GET', '/api/v1/admin/groups');
  t.equal(after.json().items.length, 3, 'nothing was deleted');
  t.same(
    after.json().items.map((g: { permission_level: number }) => g.permission_level),
    [3, 2, 1],
    'no level changed',
  );
});

t.test('new users join Users automatically; the effective level is the MAX over groups', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(admin), ...(payload ? { payload } : {}) });

  const kim = await createUser(app, admin, { email: 'kim@company.local' });
  t.match(kim, { permission_level: 1, groups: [{ id: USERS.id }] });

  const reviewers = (await call('POST', '/api/v1/admin/groups', { name: 'Reviewers', permission_level: 2 })).json();
  const leads = (
    await call('POST', '/api/v1/admin/groups', { name: 'Leads', description: 'team leads', permission_level: 3 })
  ).json();
  t.match(leads, { name: 'Leads', permission_level: 3, is_system: false, member_count: 0 });

  const added = await call('POST', `/api/v1/admin/groups/${reviewers.id}/members`, { user_id: kim.id });
  t.equal(added.statusCode, 201, added.body);
  t.equal(added.json().permission_level, 2);
  await call('POST', `/api/v1/admin/groups/${OPERATORS.id}/members`, { user_id: kim.id });
  let session = await login(app, 'kim@company.local', PASSWORD);
  t.equal(session.user.permission_level, 2, 'Users(1) + Reviewers(2) + Operators(2) → 2');
  t.equal(decode(session.access_token).lvl, 2);

  await call('POST', `/api/v1/admin/groups/${leads.id}/members`, { user_id: kim.id });
  session = await login(app, 'kim@company.local', PASSWORD);
  t.equal(session.user.permission_level, 3, 'adding a level-3 group → 3');
  const claims = decode(session.access_token);
  t.equal(claims.lvl, 3);
  t.same([...claims.groups].sort(), [USERS.id, OPERATORS.id, reviewers.id, leads.id].sort(), 'every group id');

  const lowered = await call('PATCH', `/api/v1/admin/groups/${leads.id}`, { permission_level: 1 });
  t.equal(lowered.statusCode, 200, 'the built-in admin remains, so lowering is allowed');
  const stale = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(session.access_token) });
  t.equal(stale.json().code, 'TOKEN_REVOKED', 'a token claiming the old, higher level is void');
  const renewed = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: session.refresh_token },
  });
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(renewed.json().access_token) });
  t.equal(me.json().permission_level, 2, "a group's level change changes its members' level");

  const members = await call('GET', `/api/v1/admin/groups/${reviewers.id}/members`);
  t.match(members.json(), { total: 1, items: [{ email: 'kim@company.local' }] });
});

t.test('group CRUD and bad input', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(admin), ...(payload ? { payload } : {}) });
  const missing = '00000000-0000-4000-8000-0000000000ff';

  const created = await call('POST', '/api/v1/admin/groups', { name: 'Editors', permission_level: 1 });
  t.equal(created.statusCode, 201);
  const editors = created.json();
  const dup = await call('POST', '/api/v1/admin/groups', { name: 'editors', permission_level: 2 });
  t.equal(dup.statusCode, 409, 'group names are unique regardless of case');
  t.equal(dup.json().code, 'GROUP_NAME_TAKEN');
  t.equal((await call('POST', '/api/v1/admin/groups', { name: 'X', permission_level: 4 })).statusCode, 400);
  t.equal((await call('POST', '/api/v1/admin/groups', { name: '  ', permission_level: 1 })).statusCode, 400);
  t.equal((await call('PATCH', `/api/v1/admin/groups/${editors.id}`, {})).statusCode, 400, 'an empty patch');

  const renamed = await call('PATCH', `/api/v1/admin/groups/${editors.id}`, { name: 'Writers', permission_level: 2 });
  t.match(renamed.json(), { name: 'Writers', permission_level: 2 });
  const clash = await call('PATCH', `/api/v1/admin/groups/${editors.id}`, { name: 'users' });
  t.equal(clash.json().code, 'GROUP_NAME_TAKEN');

  for (const [method, url, payload] of [
    ['GET', `/api/v1/admin/groups/${missing}`],
    ['PATCH', `/api/v1/admin/groups/${missing}`, { description: 'x' }],
    ['DELETE', `/api/v1/admin/groups/${missing}`],
    ['GET', `/api/v1/admin/groups/${missing}/members`],
    ['POST', `/api/v1/admin/groups/${missing}/members`, { user_id: missing }],
  ] as const) {
    const res = await call(method, url, payload);
    t.equal(res.statusCode, 404, `${method} ${url} → 404`);
    t.equal(res.json().code, 'GROUP_NOT_FOUND');
  }
  t.equal((await call('GET', '/api/v1/admin/groups/not-a-uuid')).statusCode, 400);

  const lee = await createUser(app, admin, { email: 'lee@company.local' });
  const unknownUser = await call('POST', `/api/v1/admin/groups/${editors.id}/members`, { user_id: missing });
  t.equal(unknownUser.statusCode, 404);
  t.equal(unknownUser.json().code, 'USER_NOT_FOUND');
  t.equal((await call('POST', `/api/v1/admin/groups/${editors.id}/members`, { user_id: lee.id })).statusCode, 201);
  const twice = await call('POST', `/api/v1/admin/groups/${editors.id}/members`, { user_id: lee.id });
  t.equal(twice.statusCode, 409);
  t.equal(twice.json().code, 'ALREADY_MEMBER');

  const notMember = await call('DELETE', `/api/v1/admin/groups/${OPERATORS.id}/members/${lee.id}`);
  t.equal(notMember.statusCode, 404, 'removing a non-member → 404');
  t.equal(notMember.json().code, 'MEMBERSHIP_NOT_FOUND');
  const fromUsers = await call('DELETE', `/api/v1/admin/groups/${USERS.id}/members/${lee.id}`);
  t.equal(fromUsers.statusCode, 409, 'every user stays in Users');
  t.equal(fromUsers.json().code, 'DEFAULT_GROUP_MEMBERSHIP');

  t.equal((await call('DELETE', `/api/v1/admin/groups/${editors.id}/members/${lee.id}`)).statusCode, 204);
  t.equal((await call('POST', `/api/v1/admin/groups/${editors.id}/members`, { user_id: lee.id })).statusCode, 201);
  t.equal((await call('DELETE', `/api/v1/admin/groups/${editors.id}`)).statusCode, 204);
  t.equal((await call('GET', `/api/v1/admin/groups/${editors.id}`)).statusCode, 404, 'gone');
  const leeAfter = await call('GET', `/api/v1/admin/users/${lee.id}`);
  t.match(leeAfter.json(), { permission_level: 1, groups: [{ name: 'Users' }] }, 'members lose the deleted group');
  t.equal(leeAfter.json().groups.length, 1);
});
