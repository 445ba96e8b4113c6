/**
 * RM3 query expansion on the keyword side (docs/retrieval.md, search/prf.ts): with it (the
 * default) a passage that shares no word with the query but the vocabulary of its best
 * matches is found; with `query_expansion: none` only passages with a query word are.
 * Points are written straight into the store with their terms, as the worker writes them.
 */
import { termFrequencies } from '@lumikb/text-analysis';
import { pointId } from '@lumikb/vector-store';
import t from 'tap';
import { auth, buildTestApp, multipart, seedDefaultModels } from './helper.ts';

const TEXTS = {
  interaction: 'Shock wave and boundary layer interaction on a flat plate.',
  reflection: 'Reflection of a shock wave from the boundary layer of a flat plate.',
  separation: 'Boundary layer separation and reattachment on a flat plate.',
  unrelated: 'Quarterly revenue grew by twelve percent in Europe.',
};

t.test('rm3 finds the passage that only shares the matches’ vocabulary; none does not', async (t) => {
  const built = await buildTestApp(t);
  await seedDefaultModels(built);
  const call = (method: 'POST' | 'PUT', url: string, payload: Record<string, unknown>) =>
    built.app.inject({ method, url, headers: auth(built.tokens.operator), payload });
  const kb = (await call('POST', '/api/v1/knowledge-bases', { name: 'Aero' })).json();
  const ids: Record<string, string> = {};
  for (const [name, text] of Object.entries(TEXTS)) {
    const body = multipart(`${name}.txt`, text);
    const res = await built.app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kb.id}/documents`,
      headers: { ...auth(built.tokens.operator), ...body.headers },
      payload: body.payload,
    });
    ids[name] = res.json().id;
    const { tf, length } = termFrequencies(text);
    await built.deps.vectors.upsert(kb.collection, [
      {
        id: pointId(ids[name]!, 0),
        vector: Array.from({ length: kb.dimensions }, (_, i) => (i === 0 ? 1 : 0)),
        payload: { kb_id: kb.id, document_id: ids[name]!, chunk_index: 0, text, start_offset: 0, end_offset: 1 },
        lexical: { terms: Object.fromEntries(tf), length },
      },
    ]);
  }
  const found = async () => {
    const res = await call('POST', '/api/v1/search', {
      query: 'shock wave',
      kb_ids: [kb.id],
      retrieval_mode: 'keyword',
    });
    t.equal(res.statusCode, 200);
    return (res.json().results as { document_id: string }[]).map((r) => r.document_id);
  };

  const expanded = await found();
  t.same(expanded.slice(0, 2).sort(), [ids.interaction, ids.reflection].sort(), 'the two shock-wave passages first');
  t.equal(expanded[2], ids.separation, 'then the boundary-layer passage, found through the feedback terms');
  t.notOk(expanded.includes(ids.unrelated!), 'a passage sharing nothing stays out');

  t.equal(
    (
      await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, {
        config_overrides: { query_expansion: 'none' },
      })
    ).statusCode,
    200,
  );
  const plain = await found();
  t.same(plain.sort(), [ids.interaction, ids.reflection].sort(), 'without expansion: only passages with a query word');
});
