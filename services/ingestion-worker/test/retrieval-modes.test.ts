/**
 * Retrieval modes end to end (docs/retrieval.md): documents go through the real worker,
 * which now stores each chunk's keyword terms; search and chat then run the KB's mode.
 * The local hashing embedder splits `ASN1_SUCCESS` into "asn1" and "success", so short
 * texts repeating those words sit nearer the query vector than the one passage naming the
 * identifier; keyword search keeps the identifier whole and finds that passage first.
 */
import { auth, modelView, registerModel } from '@lumikb/knowledge-base/testing';
import { type LlmModel, LlmRouter } from '@lumikb/llm';
import type { VectorStore } from '@lumikb/vector-store';
import t from 'tap';
import { parseSse, startPipeline } from './pipeline-helper.ts';

const IDENTIFIER_DOC =
  'When the DER decoder accepts the whole certificate structure it returns ASN1_SUCCESS; every other ' +
  'return value names the first problem found while reading the input, such as a truncated tag, an ' +
  'unexpected element or a length that runs past the end of the buffer.';
const DECOYS = [
  'ASN1 success: asn1 parsing success in the asn1 test suite.',
  'Success with ASN1. Another ASN1 success story.',
  'asn1 success asn1 success',
];

type Hit = { document_id: string; score: number; ranks: { lexical: number | null; vector: number | null } };

t.test('keyword finds an exact identifier that vector ranks lower; hybrid says its mode and ranks', async (t) => {
  const pipeline = await startPipeline(t);
  const { api, kb: kbApp, tokens } = pipeline;
  const kb = await api.createKb({ name: 'Crypto library' });
  const target = await api.upload(kb.id, 'decoder.txt', IDENTIFIER_DOC);
  const decoys = await Promise.all(DECOYS.map((text, i) => api.upload(kb.id, `decoy-${i}.txt`, text)));
  for (const doc of [target, ...decoys])
    t.equal((await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED'])).status, 'READY');
  t.equal(
    (await kbApp.deps.vectors.lexicalStats(kb.collection)).documents,
    4,
    'every chunk was indexed with its terms',
  );

  const search = async (body: Record<string, unknown>) => {
    const res = await api.search({ kb_ids: [kb.id], top_k: 10, ...body });
    t.equal(res.statusCode, 200, `${JSON.stringify(body)} answers 200`);
    return res.json();
  };
  const rankOf = (hits: Hit[]) => hits.findIndex((h) => h.document_id === target.id) + 1;

  const keyword = await search({ query: 'ASN1_SUCCESS', retrieval_mode: 'keyword' });
  t.equal(keyword.mode, 'keyword');
  t.same(keyword.retrieval, [
    { kb_id: kb.id, mode: 'keyword', lexical_index: 'indexed', query_terms: 3, rerank: null, rerank_reason: null },
  ]);
  t.equal(keyword.results[0].document_id, target.id, 'keyword search puts the passage naming the identifier first');
  t.same(keyword.results[0].ranks, { lexical: 1, vector: null });

  const vector = await search({ query: 'ASN1_SUCCESS', retrieval_mode: 'vector' });
  t.equal(vector.mode, 'vector');
  t.same(vector.retrieval, [
    { kb_id: kb.id, mode: 'vector', lexical_index: null, query_terms: null, rerank: null, rerank_reason: null },
  ]);
  const vectorRank = rankOf(vector.results);
  t.ok(vectorRank > 1, `vector search ranks it lower (rank ${vectorRank})`);
  t.ok(
    vector.results.every((h: Hit, i: number) => h.ranks.vector === i + 1 && h.ranks.lexical === null),
    'vector hits carry their vector rank only',
  );

  // No retrieval_mode: the KB's own, hybrid by default.
  const hybrid = await search({ query: 'ASN1_SUCCESS' });
  t.equal(hybrid.mode, 'hybrid');
  t.same(hybrid.retrieval, [
    { kb_id: kb.id, mode: 'hybrid', lexical_index: 'indexed', query_terms: 3, rerank: null, rerank_reason: null },
  ]);
  const hit = hybrid.results.find((h: Hit) => h.document_id === target.id);
  t.same(hit.ranks, { lexical: 1, vector: vectorRank }, 'each hit says where each ranking put it');
  t.ok(rankOf(hybrid.results) <= vectorRank, 'hybrid ranks the identifier at least as high as vector alone');
  t.ok(
    hybrid.results.every((h: Hit) => h.ranks.lexical !== null || h.ranks.vector !== null),
    'every hybrid hit came from one of the rankings',
  );

  // Only stop words: nothing to match by keyword, and no error.
  const stop = await search({ query: 'the of and which', retrieval_mode: 'keyword' });
  t.same(stop.results, [], 'a stop-word-only query finds nothing in keyword mode');
  t.equal(stop.retrieval[0].query_terms, 0);
  const stopHybrid = await search({ query: 'the of and which' });
  t.equal(stopHybrid.results.length, 4, 'hybrid still answers with the vector hits');
  t.ok(stopHybrid.results.every((h: Hit) => h.ranks.lexical === null));

  // A very long query: keyword search uses its first 64 distinct terms, and says so.
  const words = Array.from({ length: 80 }, (_, i) => `word${i}x`).join(' ');
  const long = await search({ query: `ASN1_SUCCESS ${words}`, retrieval_mode: 'keyword' });
  t.equal(long.query_truncated, true);
  t.equal(long.retrieval[0].query_terms, 64);
  t.equal(long.results[0].document_id, target.id, 'the first terms still count');
  t.equal(keyword.query_truncated, false);

  // Thresholds filter vector similarity only: keyword matches survive in hybrid.
  const floor = await search({ query: 'ASN1_SUCCESS', similarity_threshold: 0.99 });
  t.equal(floor.results[0].document_id, target.id, 'hybrid with a high similarity floor keeps the keyword matches');
  t.ok(
    floor.results.every((h: Hit) => h.ranks.vector === null && h.ranks.lexical !== null),
    'and no vector hit passes the floor',
  );
  const floorVector = await search({ query: 'ASN1_SUCCESS', similarity_threshold: 0.99, retrieval_mode: 'vector' });
  t.same(floorVector.results, [], 'vector mode drops hits under the floor');

  // Weighted fusion leans as told: all keyword puts the identifier first, all vector keeps vector's order.
  const setFusion = async (lexicalWeight: number) => {
    const res = await kbApp.app.inject({
      method: 'PUT',
      url: `/api/v1/knowledge-bases/${kb.id}/model-config`,
      headers: auth(tokens.operator),
      payload: { config_overrides: { fusion: { method: 'weighted', lexical_weight: lexicalWeight } } },
    });
    t.equal(res.statusCode, 200);
  };
  await setFusion(1);
  t.equal(
    (await search({ query: 'ASN1_SUCCESS' })).results[0].document_id,
    target.id,
    'lexical_weight 1: keyword order',
  );
  await setFusion(0);
  const vectorWeighted = await search({ query: 'ASN1_SUCCESS' });
  t.same(
    vectorWeighted.results.map((h: Hit) => h.document_id),
    vector.results.map((h: Hit) => h.document_id),
    'lexical_weight 0: vector order',
  );

  // Chat retrieves the same way, in the KB's mode.
  const setMode = await kbApp.app.inject({
    method: 'PUT',
    url: `/api/v1/knowledge-bases/${kb.id}/model-config`,
    headers: auth(tokens.operator),
    // One passage: the keyword ranking's first, which vector retrieval would not give.
    payload: { config_overrides: { retrieval_mode: 'keyword', top_k: 1 } },
  });
  t.equal(setMode.statusCode, 200);
  t.equal(setMode.json().effective_config.retrieval_mode, 'keyword');
  const chat = await kbApp.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: auth(tokens.operator),
    payload: { kb_id: kb.id, message: 'ASN1_SUCCESS' },
  });
  t.equal(chat.statusCode, 200);
  const citations = parseSse(chat.body).find((e) => e.event === 'citations')!.data.citations as Hit[];
  t.same(
    citations.map((c) => [c.document_id, c.ranks]),
    [[target.id, { lexical: 1, vector: null }]],
    'chat ran keyword retrieval: it answers from the passage naming the identifier',
  );
  const searchNow = await search({ query: 'ASN1_SUCCESS' });
  t.equal(searchNow.mode, 'keyword', "search without a mode follows the KB's setting too");
});

t.test(
  'a KB whose chunks have no terms (processed before keyword search) still answers in hybrid, and says so',
  async (t) => {
    // The worker as it was: points written without their terms.
    const withoutTerms = (store: VectorStore): VectorStore =>
      new Proxy(store, {
        get(target, key, receiver) {
          const strip = (points: Parameters<VectorStore['upsert']>[1]) =>
            points.map(({ lexical: _lexical, ...point }) => point);
          if (key === 'upsert') {
            return (name: string, points: Parameters<VectorStore['upsert']>[1]) => target.upsert(name, strip(points));
          }
          if (key === 'replaceDocument') {
            return (name: string, documentId: string, points: Parameters<VectorStore['upsert']>[1]) =>
              target.replaceDocument(name, documentId, strip(points));
          }
          const value = Reflect.get(target, key, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const pipeline = await startPipeline(t, { workerOptions: { vectors: withoutTerms } });
    const { api } = pipeline;
    const kb = await api.createKb({ name: 'Legacy' });
    const doc = await api.upload(kb.id, 'decoder.txt', IDENTIFIER_DOC);
    t.equal((await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED'])).status, 'READY');

    const hybrid = (await api.search({ query: 'ASN1_SUCCESS', kb_ids: [kb.id] })).json();
    t.equal(hybrid.mode, 'hybrid');
    t.same(hybrid.retrieval, [
      { kb_id: kb.id, mode: 'hybrid', lexical_index: 'empty', query_terms: 3, rerank: null, rerank_reason: null },
    ]);
    t.same(
      hybrid.results.map((h: Hit) => [h.document_id, h.ranks]),
      [[doc.id, { lexical: null, vector: 1 }]],
      'the vector hit answers',
    );
    const keyword = await api.search({ query: 'ASN1_SUCCESS', kb_ids: [kb.id], retrieval_mode: 'keyword' });
    t.equal(keyword.statusCode, 200);
    t.same(keyword.json().results, []);
    t.equal(keyword.json().retrieval[0].lexical_index, 'empty', 'keyword mode says why it finds nothing');

    const chat = await pipeline.kb.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      headers: auth(pipeline.tokens.operator),
      payload: { kb_id: kb.id, message: 'What does the decoder return?' },
    });
    t.equal(chat.statusCode, 200);
    const done = parseSse(chat.body).find((e) => e.event === 'done')!.data;
    t.match(done.retrieval, [{ kb_id: kb.id, mode: 'hybrid', lexical_index: 'empty' }]);
    t.match(done.notes, [/"Legacy" has no keyword index yet.*vector matches only/], 'the answer says so too');
  },
);

t.test(
  'KBs on different models merge by rank: one whose similarities run high does not crowd out the other',
  async (t) => {
    // A model whose dot products are 100 times the others' (vectors ×10): raw scores would put
    // every one of its hits first.
    const loud: { id?: string } = {};
    class LoudRouter extends LlmRouter {
      override async embed(model: LlmModel, texts: string[], options?: { signal?: AbortSignal }) {
        const vectors = await super.embed(model, texts, options);
        return model.id === loud.id ? vectors.map((v) => v.map((x) => x * 10)) : vectors;
      }
    }
    const pipeline = await startPipeline(t, {
      kbOptions: { llm: (options) => new LoudRouter(options) },
      workerOptions: {},
    });
    const { api, kb: kbApp } = pipeline;
    const loudModel = await registerModel(
      kbApp,
      modelView({
        type: 'embedding',
        name: 'Loud embedder',
        config: { dimensions: 384, max_tokens: 8192, normalize: true, distance_metric: 'dot', batch_size: 32 },
      }),
    );
    loud.id = loudModel.id;
    const loudKb = await api.createKb({ name: 'Loud', embedding_model_id: loudModel.id });
    const quietKb = await api.createKb({ name: 'Quiet' });
    const texts = [
      'Pumps need service every year.',
      'The pump valve opens clockwise.',
      'Spare pump parts keep the warranty.',
    ];
    const docs = [];
    for (const kb of [loudKb, quietKb]) {
      for (const [i, text] of texts.entries()) docs.push({ kb, doc: await api.upload(kb.id, `p${i}.txt`, text) });
    }
    for (const { kb, doc } of docs)
      t.equal((await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED'])).status, 'READY');

    const res = await api.search({
      query: 'pump valve',
      kb_ids: [loudKb.id, quietKb.id],
      top_k: 4,
      retrieval_mode: 'vector',
    });
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.ok(body.results[0].score > 1.5 * body.results[1].score, 'the loud KB scores on another scale');
    t.same(
      body.results.map((r: { kb_id: string; ranks: { vector: number } }) => [r.kb_id, r.ranks.vector]),
      [
        [loudKb.id, 1],
        [quietKb.id, 1],
        [loudKb.id, 2],
        [quietKb.id, 2],
      ],
      "each KB's first, then each one's second",
    );
  },
);
