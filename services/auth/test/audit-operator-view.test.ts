/** The same audit request as an operator (level 2) and as an administrator (level 3). */
import { DEFAULT_GROUPS } from '@lumikb/contracts';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, createUser, login, PASSWORD } from './helper.ts';

interface AuditItem {
  action: string;
  resource_id: string | null;
  actor: { id: string; email: string | null };
  ip: string | null;
  new_value: Record<string, unknown> | null;
}

t.test('operators see who and what by id, with e-mails masked, IPs cut and names hidden', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  await createUser(app, admin, { email: 'olga@company.local', group_ids: [DEFAULT_GROUPS.OPERATORS.id] });
  const operator = (await login(app, 'olga@company.local', PASSWORD)).access_token;
  const ann = await createUser(app, admin, { email: 'ann.private@company.local', name: 'Ann Private' });
  await login(app, 'ann.private@company.local', PASSWORD, '198.51.100.77');
  await login(app, 'ann.private@company.local', PASSWORD, '2001:db8:abcd:12::99');

  const audit = (token: string, query: string) =>
    app.inject({ method: 'GET', url: `/api/v1/admin/audit?${query}`, headers: bearer(token) });
  const itemsOf = async (token: string, query: string) => {
    const res = await audit(token, query);
    t.equal(res.statusCode, 200, `GET /admin/audit?${query}`);
    return res.json().items as AuditItem[];
  };
  await waitFor(async () => ((await itemsOf(admin, `actor=${ann.id}`)).length >= 2 ? true : undefined), {
    what: "both of Ann's sign-ins audited",
  });

  const query = 'action=auth.login&limit=200';
  const asAdmin = (await itemsOf(admin, query)).filter((i) => i.actor.id === ann.id);
  const asOperator = (await itemsOf(operator, query)).filter((i) => i.actor.id === ann.id);
  t.equal(asOperator.length, 2, 'the operator sees the same records');
  t.same(
    asAdmin.map((i) => i.actor.email),
    ['ann.private@company.local', 'ann.private@company.local'],
  );
  t.same(asAdmin.map((i) => i.ip).sort(), ['198.51.100.77', '2001:db8:abcd:12::99']);
  t.same(
    asOperator.map((i) => i.actor.email),
    ['a***@company.local', 'a***@company.local'],
    'e-mail masked',
  );
  t.same(asOperator.map((i) => i.ip).sort(), ['198.51.100.0/24', '2001:db8:abcd::/48'], 'client IP cut');

  const created = async (token: string) =>
    (await itemsOf(token, `action=user.create&resource_id=${ann.id}`))[0]?.new_value ?? {};
  t.match(await created(admin), { email: 'ann.private@company.local', name: 'Ann Private' });
  const seenByOperator = await created(operator);
  t.match(seenByOperator, { email: 'a***@company.local', name: '[hidden]' }, 'values redacted too');
  t.notMatch(JSON.stringify(seenByOperator), /ann\.private|Ann Private/);

  t.equal(
    (await itemsOf(admin, 'actor=Ann.Private@company.local')).length > 0,
    true,
    'admins filter by e-mail, any case',
  );
  t.same(await itemsOf(operator, 'actor=ann.private@company.local'), [], 'operators cannot look a person up by e-mail');
  t.ok((await itemsOf(operator, `actor=${ann.id}`)).length >= 2, 'but can by id');
});
