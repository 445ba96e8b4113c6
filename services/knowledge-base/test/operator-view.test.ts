/** What an operator (level 2) sees in the KB statistics, compared with an administrator. */
import { randomUUID } from 'node:crypto';
import { userToken } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, multipart, seedDefaultModels } from './helper.ts';

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
  const search = (asAdmin.body.items as { kb_id: string; vector_search?: string | null }[]).find(
    (k) => k.kb_id === own,
  )?.vector_search;
  t.equal(search, built.deps.vectors.describe().search, 'the stats say how the KB is searched');
});

t.test('the processing queue shows operators file and KB names only where they may read', async (t) => {
  const built = await buildTestApp(t);
  await seedDefaultModels(built);
  const { app, keys } = built;
  const operatorToken = userToken(keys, 2, { sub: randomUUID() });
  const ownerToken = userToken(keys, 2, { sub: randomUUID() });
  const kb = (
    await app.inject({
      method: 'POST',
      url: '/api/v1/knowledge-bases',
      headers: auth(ownerToken),
      payload: { name: 'Legal: pending litigation' },
    })
  ).json().id as string;
  const body = multipart('settlement-offer-acme.txt', 'Confidential.');
  const upload = await app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb}/documents`,
    headers: { ...auth(ownerToken), ...body.headers },
    payload: body.payload,
  });
  t.equal(upload.statusCode, 201);
  const documentId = upload.json().id as string;

  const taskOf = async (token: string) => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/admin/queue/tasks', headers: auth(token) });
    t.equal(res.statusCode, 200);
    return (res.json().items as { document_id: string; kb_name: string | null; filename: string | null }[]).find(
      (i) => i.document_id === documentId,
    );
  };
  const asOperator = await taskOf(operatorToken);
  t.match(asOperator, { kb_id: kb, document_id: documentId, kb_name: null, filename: null }, 'ids, no names');
  t.notMatch(JSON.stringify(asOperator), /Legal|settlement/);
  t.match(await taskOf(userToken(keys, 3, { sub: randomUUID() })), {
    kb_name: 'Legal: pending litigation',
    filename: 'settlement-offer-acme.txt',
  });
});
