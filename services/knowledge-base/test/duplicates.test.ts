/**
 * The same bytes uploaded twice to one KB: 409 DUPLICATE_DOCUMENT naming the document
 * that holds them, unless the caller keeps both; concurrent uploads cannot both pass.
 */
import type { Teardown } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, multipart, seedDefaultModels } from './helper.ts';

async function setup(t: Teardown) {
  const built = await buildTestApp(t);
  await seedDefaultModels(built);
  const createKb = async (name: string) =>
    (
      await built.app.inject({
        method: 'POST',
        url: '/api/v1/knowledge-bases',
        headers: auth(built.tokens.operator),
        payload: { name },
      })
    ).json();
  const upload = (kbId: string, filename: string, content: string, query = '') => {
    const body = multipart(filename, content);
    return built.app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kbId}/documents${query}`,
      headers: { ...auth(built.tokens.operator), ...body.headers },
      payload: body.payload,
    });
  };
  const documents = async (kbId: string) =>
    (await built.deps.db.db.selectFrom('documents').select('id').where('kb_id', '=', kbId).execute()).length;
  return { ...built, createKb, upload, documents };
}

t.test('the same content twice is refused with the existing document named', async (t) => {
  const { createKb, upload, documents, app, tokens } = await setup(t);
  const kb = await createKb('Docs');
  const first = await upload(kb.id, 'report.txt', 'quarterly figures');
  t.equal(first.statusCode, 201);
  const again = await upload(kb.id, 'report-copy.txt', 'quarterly figures');
  t.equal(again.statusCode, 409);
  t.match(again.json(), {
    code: 'DUPLICATE_DOCUMENT',
    message: /report\.txt/,
    details: { document_id: first.json().id, existing_filename: 'report.txt', filename: 'report-copy.txt' },
  });
  t.equal(await documents(kb.id), 1, 'nothing stored for the duplicate');

  const kept = await upload(kb.id, 'report-copy.txt', 'quarterly figures', '?allow_duplicate=true');
  t.equal(kept.statusCode, 201, 'kept when the caller asks for both');
  t.equal(await documents(kb.id), 2);

  const otherKb = await createKb('Elsewhere');
  t.equal((await upload(otherKb.id, 'report.txt', 'quarterly figures')).statusCode, 201, 'another KB is free');

  const bad = await upload(kb.id, 'x.txt', 'other words', '?allow_duplicate=maybe');
  t.equal(bad.statusCode, 400, 'a malformed flag is a 400');

  await app.inject({
    method: 'DELETE',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${first.json().id}`,
    headers: auth(tokens.operator),
  });
  await app.inject({
    method: 'DELETE',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${kept.json().id}`,
    headers: auth(tokens.operator),
  });
  t.equal((await upload(kb.id, 'report.txt', 'quarterly figures')).statusCode, 201, 'free again once deleted');
});

t.test('concurrent uploads of the same content: exactly one is stored', async (t) => {
  const { createKb, upload, documents } = await setup(t);
  const kb = await createKb('Docs');
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => upload(kb.id, `copy-${i}.txt`, 'one and the same text')),
  );
  const statuses = results.map((r) => r.statusCode).sort();
  t.same(statuses, [201, 409, 409, 409, 409, 409]);
  const winner = results.find((r) => r.statusCode === 201)!.json();
  for (const loser of results.filter((r) => r.statusCode === 409)) {
    t.equal(loser.json().details.document_id, winner.id, 'each refusal names the stored document');
  }
  t.equal(await documents(kb.id), 1);
});
