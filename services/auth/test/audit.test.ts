import { randomUUID } from 'node:crypto';
import { AuditRecorded, DEFAULT_GROUPS } from '@lumikb/contracts';
import { sql } from '@lumikb/db';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

interface AuditItem {
  id: string;
  action: string;
  outcome: string;
  service: string;
  resource_type: string;
  resource_id: string | null;
  actor: { type: string; id: string; email: string | null };
  request_id: string | null;
  ip: string | null;
  old_value: Record<string, unknown> | null;
  new_value: Record<string, unknown> | null;
  occurred_at: string;
}

t.test('every admin action is audited with old and new values and no secret', async (t) => {
  const { app, deps } = await buildTestApp(t);
  const adminSession = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  const admin = adminSession.access_token;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      headers: { ...bearer(admin), 'x-request-id': `req-${method}-${url.length}` },
      ...(payload ? { payload } : {}),
    });

  const SECRET_A = 'first-Secret-value-1';
  const SECRET_B = 'second-Secret-value-2';
  const u = (await call('POST', '/api/v1/admin/users', { email: 'ann@company.local', password: SECRET_A })).json();
  await call('PATCH', `/api/v1/admin/users/${u.id}`, { name: 'Ann' });
  await call('POST', `/api/v1/admin/users/${u.id}/reset-password`, { password: SECRET_B });
  await call('POST', `/api/v1/admin/users/${u.id}/deactivate`);
  await call('POST', `/api/v1/admin/users/${u.id}/reactivate`);
  const g = (await call('POST', '/api/v1/admin/groups', { name: 'Auditors', permission_level: 1 })).json();
  await call('PATCH', `/api/v1/admin/groups/${g.id}`, { permission_level: 2 });
  await call('POST', `/api/v1/admin/groups/${g.id}/members`, { user_id: u.id });
  await call('DELETE', `/api/v1/admin/groups/${g.id}/members/${u.id}`);
  await call('DELETE', `/api/v1/admin/groups/${g.id}`);

  const expected = [
    'user.create',
    'user.update',
    'user.password_reset',
    'user.deactivate',
    'user.reactivate',
    'group.create',
    'group.update',
    'group.member_add',
    'group.member_remove',
    'group.delete',
  ];
  // Through the outbox, NATS and auth's own consumer into the audit trail.
  const items = await waitFor(
    async () => {
      const res = await call('GET', `/api/v1/admin/audit?actor=${adminSession.user.id}&limit=200`);
      const all = res.json().items as AuditItem[];
      return expected.every((a) => all.some((i) => i.action === a)) ? all : undefined;
    },
    { what: 'every admin action in the audit trail' },
  );
  const byAction = (action: string) => items.find((i) => i.action === action)!;
  for (const action of expected) {
    const item = byAction(action);
    t.match(item, { service: 'auth', outcome: 'success', actor: { type: 'user', email: ADMIN_EMAIL } }, action);
    t.match(item.request_id, /^req-/, `${action} carries the request id`);
  }
  t.match(byAction('user.create'), {
    resource_type: 'user',
    resource_id: u.id,
    new_value: { email: 'ann@company.local' },
  });
  t.match(byAction('user.update'), { old_value: { name: '' }, new_value: { name: 'Ann' } });
  t.match(byAction('user.password_reset'), {
    old_value: { password: '[redacted]' },
    new_value: { password: '[redacted]' },
  });
  t.match(byAction('user.deactivate'), { old_value: { is_active: true }, new_value: { is_active: false } });
  t.match(byAction('user.reactivate'), { old_value: { is_active: false }, new_value: { is_active: true } });
  t.match(byAction('group.update'), {
    resource_type: 'group',
    resource_id: g.id,
    old_value: { permission_level: 1 },
    new_value: { permission_level: 2 },
  });
  t.match(byAction('group.member_add'), {
    old_value: { permission_level: 1, groups: ['Users'] },
    new_value: { permission_level: 2, group: 'Auditors' },
  });
  t.match(byAction('group.member_remove'), { old_value: { permission_level: 2 }, new_value: { permission_level: 1 } });
  t.match(byAction('group.delete'), { old_value: { name: 'Auditors' } });

  // The raw rows, not just the API: no password and no hash anywhere.
  const outbox = await sql<{ payload: unknown }>`select payload from auth.outbox`.execute(deps.db.db);
  const audit = await sql<{ row: unknown }>`select to_jsonb(a) as row from auth.audit_log a`.execute(deps.db.db);
  for (const [what, rows] of [
    ['outbox', outbox.rows],
    ['audit_log', audit.rows],
  ] as const) {
    const text = JSON.stringify(rows);
    t.ok(rows.length > 0, `${what} has rows`);
    for (const secret of [SECRET_A, SECRET_B, ADMIN_PASSWORD, PASSWORD, 'scrypt$']) {
      t.notOk(text.includes(secret), `${what} does not contain ${secret.slice(0, 6)}…`);
    }
  }
});

t.test('sign-in successes and failures are audited', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD, '192.0.2.7');
  await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: ADMIN_EMAIL, password: 'Wrong-password-123' },
    remoteAddress: '192.0.2.8',
  });
  await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'ghost@company.local', password: 'Wrong-password-123' },
    remoteAddress: '192.0.2.9',
  });
  const list = (query: string) =>
    app.inject({ method: 'GET', url: `/api/v1/admin/audit?${query}`, headers: bearer(admin.access_token) });

  const failures = await waitFor(
    async () => {
      const items = (await list('action=auth.login_failed')).json().items as AuditItem[];
      return items.length >= 2 ? items : undefined;
    },
    { what: 'two failed logins audited' },
  );
  t.match(
    failures.find((i) => i.ip === '192.0.2.8'),
    {
      outcome: 'failure',
      resource_id: admin.user.id,
      new_value: { email: ADMIN_EMAIL, reason: 'wrong_password' },
    },
  );
  t.match(
    failures.find((i) => i.ip === '192.0.2.9'),
    {
      outcome: 'failure',
      resource_id: null,
      new_value: { email: 'ghost@company.local', reason: 'unknown_email' },
    },
  );
  t.notOk(JSON.stringify(failures).includes('Wrong-password-123'), 'the attempted password is not recorded');

  const success = await waitFor(async () => (await list('action=auth.login')).json().items[0] as AuditItem);
  t.match(success, {
    outcome: 'success',
    ip: '192.0.2.7',
    actor: { type: 'user', id: admin.user.id, email: ADMIN_EMAIL },
    resource_id: admin.user.id,
  });
  const onlyFailures = (await list('outcome=failure')).json();
  t.ok(
    onlyFailures.items.every((i: AuditItem) => i.outcome === 'failure'),
    'outcome filter',
  );
});

t.test('the audit trail stores other services’ records once, re-redacted, and filters and pages them', async (t) => {
  const { app, bus } = await buildTestApp(t);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createUser(app, admin.access_token, {
    email: 'op@company.local',
    group_ids: [DEFAULT_GROUPS.OPERATORS.id],
  });
  const opToken = (await login(app, 'op@company.local', PASSWORD)).access_token;
  const modelId = randomUUID();
  const publish = async (occurredAt: string, action: string, extra: Record<string, unknown> = {}) => {
    const event = {
      id: randomUUID(),
      type: AuditRecorded.type,
      occurredAt,
      actor: { type: 'user' as const, id: 'registry-admin', email: 'Models@Company.local' },
      requestId: 'req-registry',
      data: {
        action,
        resource_type: 'model',
        resource_id: modelId,
        service: 'registry',
        outcome: 'success' as const,
        ...extra,
      },
    };
    await bus.publish(event.type, Buffer.from(JSON.stringify(event)), event.id);
    return event;
  };
  const leaky = await publish('2030-01-01T10:00:00.000Z', 'model.update', {
    old_value: { api_key: 'sk-live-123', name: 'a' },
    new_value: { api_key: 'sk-live-456', name: 'b' },
  });
  // The same event delivered again (a relay retry) is stored once.
  await bus.publish(leaky.type, Buffer.from(JSON.stringify(leaky)), randomUUID());
  await publish('2030-01-02T10:00:00.000Z', 'model.create');
  await publish('2030-01-03T10:00:00.000Z', 'model.delete');

  const get = (query: string) =>
    app.inject({ method: 'GET', url: `/api/v1/admin/audit?${query}`, headers: bearer(opToken) });
  const all = await waitFor(
    async () => {
      const page = (await get('service=registry')).json();
      return page.total === 3 ? page : undefined;
    },
    { what: 'three registry audit records' },
  );
  t.same(
    all.items.map((i: AuditItem) => i.action),
    ['model.delete', 'model.create', 'model.update'],
    'newest first; the duplicate was stored once',
  );
  const stored = all.items.find((i: AuditItem) => i.id === leaky.id) as AuditItem;
  t.same(stored.old_value, { api_key: '[redacted]', name: 'a' }, 'secrets a service forgot to redact are redacted');
  t.same(stored.new_value, { api_key: '[redacted]', name: 'b' });
  t.match(stored, { actor: { id: 'registry-admin' }, request_id: 'req-registry', resource_id: modelId });

  t.equal((await get('actor=models@company.local')).json().total, 0, 'operators match actors by id only');
  t.equal((await get('actor=registry-admin')).json().total, 3, 'actor by id');
  t.equal((await get('action=model.create')).json().total, 1);
  t.equal((await get('action=model.*')).json().total, 3, 'action prefix');
  t.equal((await get(`resource_type=model&resource_id=${modelId}`)).json().total, 3);
  t.equal((await get(`resource_id=${randomUUID()}`)).json().total, 0);
  const range = (await get('from=2030-01-02T00:00:00Z&to=2030-01-03T00:00:00Z')).json();
  t.same(
    range.items.map((i: AuditItem) => i.action),
    ['model.create'],
    'time range: from inclusive, to exclusive',
  );
  const page2 = (await get('service=registry&limit=2&offset=2')).json();
  t.match(page2, { total: 3, limit: 2, offset: 2 });
  t.same(
    page2.items.map((i: AuditItem) => i.action),
    ['model.update'],
  );

  const backwards = await get('from=2030-01-03T00:00:00Z&to=2030-01-01T00:00:00Z');
  t.equal(backwards.statusCode, 400);
  t.equal(backwards.json().code, 'INVALID_TIME_RANGE');
  t.equal((await get('from=yesterday')).statusCode, 400, 'a malformed date → 400');
  t.equal((await get('limit=0')).statusCode, 400);

  const user = (
    await login(app, (await createUser(app, admin.access_token, { email: 'u@company.local' })).email, PASSWORD)
  ).access_token;
  const refused = await app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: bearer(user) });
  t.equal(refused.statusCode, 403, 'level 1 may not read the audit trail');
});
