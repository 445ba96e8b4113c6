/**
 * A KB's retrieval settings (docs/retrieval.md): defaults, what is accepted, and a 400 with
 * a stable code for anything else, on creation and on the model-config update; search's own
 * mode override and term limit. (Modes over processed documents: the worker's
 * retrieval-modes test.)
 */
import { type Teardown, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, modelView, publishEvent, registerModel, seedDefaultModels } from './helper.ts';

async function setup(t: Teardown) {
  const built = await buildTestApp(t);
  await seedDefaultModels(built);
  const call = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: Record<string, unknown>) =>
    built.app.inject({ method, url, headers: auth(built.tokens.operator), ...(payload ? { payload } : {}) });
  return { ...built, call };
}

t.test('retrieval settings default to hybrid, english, weighted 0.5, rm3, and can be chosen', async (t) => {
  const { call } = await setup(t);
  const plain = (await call('POST', '/api/v1/knowledge-bases', { name: 'Plain' })).json();
  const config = (await call('GET', `/api/v1/knowledge-bases/${plain.id}/model-config`)).json();
  t.match(config.effective_config, {
    retrieval_mode: 'hybrid',
    language: 'english',
    fusion: { method: 'weighted', lexical_weight: 0.5 },
    query_expansion: 'rm3',
  });

  const chosen = await call('POST', '/api/v1/knowledge-bases', {
    name: 'Chosen',
    config_overrides: {
      retrieval_mode: 'keyword',
      language: 'german',
      fusion: { method: 'weighted', lexical_weight: 0.3 },
      query_expansion: 'none',
    },
  });
  t.equal(chosen.statusCode, 201);
  const chosenConfig = (await call('GET', `/api/v1/knowledge-bases/${chosen.json().id}/model-config`)).json();
  t.match(chosenConfig.effective_config, {
    retrieval_mode: 'keyword',
    language: 'german',
    fusion: { method: 'weighted', lexical_weight: 0.3 },
    query_expansion: 'none',
  });
  const updated = await call('PUT', `/api/v1/knowledge-bases/${plain.id}/model-config`, {
    config_overrides: { retrieval_mode: 'vector', language: 'none', fusion: { method: 'rrf', rrf_k: 10 } },
  });
  t.equal(updated.statusCode, 200);
  t.match(updated.json().effective_config, { retrieval_mode: 'vector', language: 'none', fusion: { rrf_k: 10 } });
  const rrf = await call('PUT', `/api/v1/knowledge-bases/${plain.id}/model-config`, {
    config_overrides: { fusion: { method: 'rrf' } },
  });
  t.match(rrf.json().effective_config.fusion, { method: 'rrf', rrf_k: 60 }, 'rrf without k: k 60');
});

t.test('bad retrieval settings are refused with 400 VALIDATION_FAILED, on create and update', async (t) => {
  const { call } = await setup(t);
  const kb = (await call('POST', '/api/v1/knowledge-bases', { name: 'Target' })).json();
  const cases: [string, Record<string, unknown>][] = [
    ['unknown mode', { retrieval_mode: 'fuzzy' }],
    ['unknown language', { language: 'klingon' }],
    ['language in capitals', { language: 'English' }],
    ['unknown fusion', { fusion: { method: 'max' } }],
    ['weighted without its weight', { fusion: { method: 'weighted' } }],
    ['weight above 1', { fusion: { method: 'weighted', lexical_weight: 1.5 } }],
    ['rrf k of 0', { fusion: { method: 'rrf', rrf_k: 0 } }],
    ['rrf with a weight', { fusion: { method: 'rrf', lexical_weight: 0.5 } }],
    ['unknown query expansion', { query_expansion: 'bo1' }],
  ];
  for (const [what, overrides] of cases) {
    const created = await call('POST', '/api/v1/knowledge-bases', { name: 'X', config_overrides: overrides });
    t.equal(created.statusCode, 400, `create: ${what}`);
    t.equal(created.json().code, 'VALIDATION_FAILED');
    const updated = await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, { config_overrides: overrides });
    t.equal(updated.statusCode, 400, `update: ${what}`);
    t.equal(updated.json().code, 'VALIDATION_FAILED');
  }
  const after = (await call('GET', `/api/v1/knowledge-bases/${kb.id}/model-config`)).json();
  t.same(after.config_overrides, {}, 'nothing was stored');
  const bad = await call('POST', '/api/v1/search', { query: 'x', retrieval_mode: 'semantic' });
  t.equal(bad.statusCode, 400, 'an unknown search mode is refused');
  t.equal(bad.json().code, 'VALIDATION_FAILED');
});

t.test('search on empty KBs: every mode answers, stop words and long queries included', async (t) => {
  const { call } = await setup(t);
  const keywordKb = (
    await call('POST', '/api/v1/knowledge-bases', { name: 'K', config_overrides: { retrieval_mode: 'keyword' } })
  ).json();
  const hybridKb = (await call('POST', '/api/v1/knowledge-bases', { name: 'H' })).json();
  const stop = await call('POST', '/api/v1/search', { query: 'the and of', kb_ids: [keywordKb.id] });
  t.equal(stop.statusCode, 200, 'a stop-word-only query is no error');
  t.match(stop.json(), {
    mode: 'keyword',
    results: [],
    retrieval: [{ kb_id: keywordKb.id, mode: 'keyword', lexical_index: 'empty', query_terms: 0 }],
  });
  const both = await call('POST', '/api/v1/search', { query: 'pump', kb_ids: [keywordKb.id, hybridKb.id] });
  t.equal(both.statusCode, 200);
  t.equal(both.json().mode, 'mixed', 'KBs in different modes: mixed');
  t.same(
    both.json().retrieval.map((r: { mode: string }) => r.mode),
    ['keyword', 'hybrid'],
    'each KB in its own mode, in the order asked',
  );
  const long = Array.from({ length: 300 }, (_, i) => `t${i}`).join(' ');
  const truncated = await call('POST', '/api/v1/search', { query: long, kb_ids: [hybridKb.id] });
  t.equal(truncated.statusCode, 200);
  t.match(truncated.json(), { query_truncated: true, retrieval: [{ query_terms: 64 }] });
});

t.test('a rerank model is bound like the other models: it must exist, be a rerank model and be active', async (t) => {
  const built = await setup(t);
  const { call } = built;
  const reranker = await registerModel(
    built,
    modelView({ type: 'rerank', provider: 'cohere', name: 'Cohere rerank', model_id: 'rerank-v3.5', config: {} }),
  );
  const generation = await registerModel(built, modelView({ type: 'generation', name: 'Another answerer' }));
  const retired = await registerModel(
    built,
    modelView({ type: 'rerank', provider: 'jina', name: 'Old rerank', model_id: 'jina-old', status: 'inactive' }),
  );

  const created = await call('POST', '/api/v1/knowledge-bases', {
    name: 'Reranked',
    config_overrides: { rerank: { model_id: reranker.id } },
  });
  t.equal(created.statusCode, 201, created.body);
  const kb = created.json();
  const config = (await call('GET', `/api/v1/knowledge-bases/${kb.id}/model-config`)).json();
  t.same(config.effective_config.rerank, { model_id: reranker.id, top_n: 20 }, 'top_n defaults to 20');
  const plain = (await call('POST', '/api/v1/knowledge-bases', { name: 'Plain' })).json();
  t.equal(
    (await call('GET', `/api/v1/knowledge-bases/${plain.id}/model-config`)).json().effective_config.rerank,
    null,
    'no rerank model: no reranking',
  );

  const cases: [string, Record<string, unknown>, number, string][] = [
    ['an unknown model', { model_id: '9b0c7e0e-1111-4d3c-9a55-0d9f3b6c1a11' }, 400, 'MODEL_NOT_FOUND'],
    ['a generation model', { model_id: generation.id }, 400, 'MODEL_TYPE_MISMATCH'],
    ['an inactive model', { model_id: retired.id }, 400, 'MODEL_INACTIVE'],
    ['top_n 0', { model_id: reranker.id, top_n: 0 }, 400, 'VALIDATION_FAILED'],
    ['top_n above 100', { model_id: reranker.id, top_n: 101 }, 400, 'VALIDATION_FAILED'],
    ['no model', { top_n: 5 }, 400, 'VALIDATION_FAILED'],
    ['not a uuid', { model_id: 'cohere' }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { model_id: reranker.id, timeout_ms: 5 }, 400, 'VALIDATION_FAILED'],
  ];
  for (const [what, rerank, status, code] of cases) {
    const create = await call('POST', '/api/v1/knowledge-bases', { name: 'X', config_overrides: { rerank } });
    t.equal(create.statusCode, status, `create: ${what}`);
    t.equal(create.json().code, code, `create: ${what}`);
    const update = await call('PUT', `/api/v1/knowledge-bases/${plain.id}/model-config`, {
      config_overrides: { rerank },
    });
    t.equal(update.statusCode, status, `update: ${what}`);
    t.equal(update.json().code, code, `update: ${what}`);
  }
  t.match(
    (
      await call('PUT', `/api/v1/knowledge-bases/${plain.id}/model-config`, {
        config_overrides: { rerank: { model_id: generation.id } },
      })
    ).json().details,
    { field: 'config_overrides.rerank.model_id' },
    'the error names the field',
  );
  const changed = await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, {
    config_overrides: { rerank: { model_id: reranker.id, top_n: 50 } },
  });
  t.equal(changed.statusCode, 200);
  t.same(changed.json().effective_config.rerank, { model_id: reranker.id, top_n: 50 });
  const removed = await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, { config_overrides: {} });
  t.equal(removed.json().effective_config.rerank, null, 'leaving it out unbinds it');
});

t.test('search on a KB whose rerank model is gone answers unreranked and says why', async (t) => {
  const built = await setup(t);
  const { call } = built;
  const reranker = await registerModel(
    built,
    modelView({ type: 'rerank', provider: 'cohere', name: 'Cohere rerank', model_id: 'rerank-v3.5', config: {} }),
  );
  const kb = (
    await call('POST', '/api/v1/knowledge-bases', {
      name: 'Reranked',
      config_overrides: { rerank: { model_id: reranker.id } },
    })
  ).json();
  await publishEvent(built.bus, 'model.deleted', { id: reranker.id, type: 'rerank', provider: 'cohere' });
  await waitFor(
    async () =>
      (
        await built.deps.db.db
          .selectFrom('models')
          .select('deleted_at')
          .where('id', '=', reranker.id)
          .executeTakeFirst()
      )?.deleted_at ?? false,
    { what: 'rerank model tombstoned' },
  );
  const res = await call('POST', '/api/v1/search', { query: 'pump', kb_ids: [kb.id] });
  t.equal(res.statusCode, 200);
  t.match(res.json().retrieval, [{ kb_id: kb.id, rerank: 'failed', rerank_reason: 'RERANK_MODEL_UNAVAILABLE' }]);
});
