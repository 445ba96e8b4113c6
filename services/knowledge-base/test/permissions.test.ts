/**
 * Per-KB grants: READ < WRITE < ADMIN for users and groups (group ids come from the
 * token), the creator is ADMIN, level 3 sees everything, listing shows readable KBs only,
 * and a KB one cannot read does not exist for them.
 */
import { randomUUID } from 'node:crypto';
import { userToken, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, multipart, publishEvent, seedDefaultModels } from './helper.ts';

t.test('user and group grants decide who reads, writes and administers a KB', async (t) => {
  const built = await buildTestApp(t);
  await seedDefaultModels(built);
  const { app, keys } = built;
  const owner = randomUUID();
  const reader = randomUUID();
  const writer = randomUUID();
  const stranger = randomUUID();
  const team = randomUUID();
  const teamMember = randomUUID();
  const tokenOf = (sub: string, lvl = 1, groups: string[] = []) => userToken(keys, lvl, { sub, groups });
  const ownerToken = tokenOf(owner, 2);
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token: string, payload?: object) =>
    app.inject({ method, url, headers: auth(token), ...(payload !== undefined ? { payload } : {}) });
  const upload = (kbId: string, token: string) => {
    // A note of its own each time: the same bytes twice in a KB are a DUPLICATE_DOCUMENT.
    const body = multipart('note.txt', `A short note ${randomUUID()}.`);
    return app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kbId}/documents`,
      headers: { ...auth(token), ...body.headers },
      payload: body.payload,
    });
  };

  const kb = (await call('POST', '/api/v1/knowledge-bases', ownerToken, { name: 'Team KB' })).json();
  const other = (await call('POST', '/api/v1/knowledge-bases', tokenOf(randomUUID(), 2), { name: 'Other KB' })).json();
  const grants = await call('GET', `/api/v1/knowledge-bases/${kb.id}/permissions`, ownerToken);
  t.match(
    grants.json().items,
    [{ principal_type: 'user', principal_id: owner, permission: 'ADMIN' }],
    'creator is ADMIN',
  );

  // Nobody else can see it yet.
  const hidden = await call('GET', `/api/v1/knowledge-bases/${kb.id}`, tokenOf(stranger));
  t.equal(hidden.statusCode, 404, 'a KB without a grant does not exist for the caller');
  t.equal(hidden.json().code, 'KB_NOT_FOUND');
  t.same((await call('GET', '/api/v1/knowledge-bases', tokenOf(stranger))).json().items, []);

  const grant = (type: 'user' | 'group', id: string, permission: string, token = ownerToken) =>
    call('PUT', `/api/v1/knowledge-bases/${kb.id}/permissions/${type}/${id}`, token, { permission });
  t.equal((await grant('user', reader, 'READ')).statusCode, 200);
  t.equal((await grant('user', writer, 'WRITE')).statusCode, 200);
  t.equal((await grant('group', team, 'WRITE')).statusCode, 200);

  // READ: sees and lists, cannot upload or administer.
  const readerToken = tokenOf(reader);
  t.equal((await call('GET', `/api/v1/knowledge-bases/${kb.id}`, readerToken)).json().permission, 'READ');
  t.same(
    (await call('GET', '/api/v1/knowledge-bases', readerToken)).json().items.map((k: { id: string }) => k.id),
    [kb.id],
    'listing shows only readable KBs',
  );
  const denied = await upload(kb.id, readerToken);
  t.equal(denied.statusCode, 403, 'READ cannot upload');
  t.equal(denied.json().code, 'KB_PERMISSION_DENIED');
  t.equal((await grant('user', stranger, 'READ', readerToken)).statusCode, 403, 'READ cannot grant');
  t.equal((await call('DELETE', `/api/v1/knowledge-bases/${kb.id}`, readerToken)).statusCode, 403);

  // WRITE: uploads and deletes documents, cannot change the KB.
  t.equal((await upload(kb.id, tokenOf(writer))).statusCode, 201, 'WRITE uploads');
  t.equal((await call('PATCH', `/api/v1/knowledge-bases/${kb.id}`, tokenOf(writer), { name: 'x' })).statusCode, 403);
  t.equal(
    (await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, tokenOf(writer), { config_overrides: {} }))
      .statusCode,
    403,
    'WRITE cannot change model configuration',
  );

  // Group grant, enforced from the token's groups.
  const member = tokenOf(teamMember, 1, [team]);
  t.equal((await call('GET', `/api/v1/knowledge-bases/${kb.id}`, member)).json().permission, 'WRITE');
  t.equal((await upload(kb.id, member)).statusCode, 201, 'a group member uploads through the group grant');
  t.equal(
    (await call('GET', `/api/v1/knowledge-bases/${kb.id}`, tokenOf(teamMember))).statusCode,
    404,
    'out of the group, no access',
  );
  // The highest of user and group grants wins.
  await grant('user', teamMember, 'READ');
  t.equal((await call('GET', `/api/v1/knowledge-bases/${kb.id}`, member)).json().permission, 'WRITE');
  await grant('group', team, 'ADMIN');
  t.equal((await call('GET', `/api/v1/knowledge-bases/${kb.id}`, member)).json().permission, 'ADMIN');
  t.equal((await grant('user', stranger, 'READ', member)).statusCode, 200, 'a group ADMIN manages grants');

  // Level 3 sees and administers every KB, including ones without a grant.
  const admin = tokenOf(randomUUID(), 3);
  const all = (await call('GET', '/api/v1/knowledge-bases', admin)).json();
  t.same(all.items.map((k: { id: string }) => k.id).sort(), [kb.id, other.id].sort(), 'level 3 lists all');
  t.equal((await call('GET', `/api/v1/knowledge-bases/${other.id}`, admin)).json().permission, 'ADMIN');

  // Revoking; the last ADMIN grant stays.
  t.equal(
    (await call('DELETE', `/api/v1/knowledge-bases/${kb.id}/permissions/user/${reader}`, ownerToken)).statusCode,
    204,
  );
  t.equal((await call('GET', `/api/v1/knowledge-bases/${kb.id}`, readerToken)).statusCode, 404, 'revoked');
  t.equal(
    (await call('DELETE', `/api/v1/knowledge-bases/${kb.id}/permissions/user/${reader}`, ownerToken)).json().code,
    'GRANT_NOT_FOUND',
  );
  await call('DELETE', `/api/v1/knowledge-bases/${kb.id}/permissions/group/${team}`, ownerToken);
  const last = await grant('user', owner, 'WRITE');
  t.equal(last.statusCode, 409);
  t.equal(last.json().code, 'LAST_KB_ADMIN');
  const lastDelete = await call('DELETE', `/api/v1/knowledge-bases/${kb.id}/permissions/user/${owner}`, ownerToken);
  t.equal(lastDelete.json().code, 'LAST_KB_ADMIN');

  const bad = await call('PUT', `/api/v1/knowledge-bases/${kb.id}/permissions/user/${reader}`, ownerToken, {
    permission: 'OWNER',
  });
  t.equal(bad.statusCode, 400);

  // Administrators' overview of grants.
  const overview = await call('GET', `/api/v1/admin/kb-permissions?principal_id=${writer}`, admin);
  t.match(overview.json(), { total: 1, items: [{ kb_id: kb.id, kb_name: 'Team KB', permission: 'WRITE' }] });
  t.equal((await call('GET', '/api/v1/admin/kb-permissions', tokenOf(owner, 2))).statusCode, 403);

  // A deleted group's grants go with it.
  const groupGrants = async () =>
    (await call('GET', `/api/v1/knowledge-bases/${kb.id}/permissions`, ownerToken))
      .json()
      .items.filter((g: { principal_id: string }) => g.principal_id === team);
  await grant('group', team, 'READ');
  t.equal((await groupGrants()).length, 1);
  await publishEvent(built.bus, 'group.deleted', { id: team, member_ids: [teamMember] });
  await waitFor(async () => (await groupGrants()).length === 0, { what: 'the group grant to disappear' });
  t.pass('group deletion revoked the group grant');
});
