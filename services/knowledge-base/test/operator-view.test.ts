/** What an operator (level 2) sees in the KB statistics, compared with an administrator. */
import { randomUUID } from 'node:crypto';
import { userToken } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, seedDefaultModels } from './helper.ts';

t.test('operators get every KB with its figures, but names only of KBs they may read', async (t) => {
  const built = await buildTestApp(t);
  await seedDefaultModels(built);
  const { app, keys } = built;
  const operator = randomUUID();
  const operatorToken = userToken(keys, 2, { sub: operator });
  const adminToken = userToken(keys, 3, { sub: randomUUID() });
  const create = async (token: string, name: string) =>
    (
      await app.inject({ method: 'POST', url: '/api/v1/knowledge-bases', headers: auth(token), payload: { name } })
    ).json().id as string;
  const own = await create(operatorToken, 'Ops runbooks');
  const foreign = await create(userToken(keys, 2, { sub: randomUUID() }), 'HR: salary review 2027');

  const stats = async (token: string) => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/admin/kb-stats', headers: auth(token) });
    t.equal(res.statusCode, 200);
    const body = res.json() as { items: { kb_id: string; name: string | null }[]; totals: { knowledge_bases: number } };
    return { body, nameOf: (id: string) => body.items.find((k) => k.kb_id === id)?.name };
  };

  const asOperator = await stats(operatorToken);
  t.equal(asOperator.body.totals.knowledge_bases, 2, 'the operator counts every KB');
  t.equal(asOperator.nameOf(own), 'Ops runbooks', 'a KB the operator may read keeps its name');
  t.equal(asOperator.nameOf(foreign), null, 'a KB the operator is not a member of shows no name');
  t.notMatch(JSON.stringify(asOperator.body), /salary/, 'the name appears nowhere in the answer');

  const asAdmin = await stats(adminToken);
  t.equal(asAdmin.nameOf(foreign), 'HR: salary review 2027', 'an administrator sees every name');
  t.equal(asAdmin.nameOf(own), 'Ops runbooks');
});
