/**
 * Search across KBs on different embedding models, and chat with the KB's generation
 * model: streamed, cited, changed without reprocessing, and falling back to the default
 * model (saying so) when the KB's model is unavailable.
 */
import { randomUUID } from 'node:crypto';
import { auth, modelView, publishEvent, registerModel } from '@lumikb/knowledge-base/testing';
import { type LlmModel, LlmRouter, type LlmRouterOptions } from '@lumikb/llm';
import { startFakeOllama, userToken, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { parseSse, startPipeline } from './pipeline-helper.ts';

class CountingRouter extends LlmRouter {
  readonly embedded: string[] = [];
  override async embed(model: LlmModel, texts: string[], options?: { signal?: AbortSignal }) {
    this.embedded.push(model.id);
    return super.embed(model, texts, options);
  }
}

t.test(
  'search spans KBs on different embedding models: one query embedding per model, merged by relevance',
  async (t) => {
    let router: CountingRouter | undefined;
    const pipeline = await startPipeline(t, {
      kbOptions: {
        llm: (options: LlmRouterOptions) => {
          router = new CountingRouter(options);
          return router;
        },
      },
    });
    const { api, kb: kbApp, models } = pipeline;
    const small = await registerModel(
      kbApp,
      modelView({
        type: 'embedding',
        name: 'Local embedder, 256 dims, euclidean',
        config: { dimensions: 256, max_tokens: 8192, normalize: true, distance_metric: 'euclidean', batch_size: 32 },
      }),
    );
    const animals = await api.createKb({ name: 'Animals', embedding_model_id: models.embedding.id });
    const volcanoes = await api.createKb({ name: 'Volcanoes' });
    const cables = await api.createKb({ name: 'Cables', embedding_model_id: small.id });
    t.match(await kbApp.deps.vectors.collectionInfo(animals.collection), { dimensions: 384, distance: 'cosine' });
    t.match(await kbApp.deps.vectors.collectionInfo(cables.collection), { dimensions: 256, distance: 'euclidean' });

    const docs = {
      animals: await api.upload(
        animals.id,
        'giraffes.txt',
        'Giraffes in the Serengeti sleep only thirty minutes per day.',
      ),
      volcanoes: await api.upload(
        volcanoes.id,
        'krakatoa.txt',
        'The Krakatoa eruption of 1883 was the loudest sound ever.',
      ),
      cables: await api.upload(cables.id, 'cables.txt', 'Submarine cables across the Atlantic carry internet traffic.'),
    };
    for (const [name, doc] of Object.entries(docs)) {
      const kbId = name === 'animals' ? animals.id : name === 'volcanoes' ? volcanoes.id : cables.id;
      t.equal((await api.waitForStatus(kbId, doc.id, ['READY', 'FAILED'])).status, 'READY', `${name} ready`);
    }

    router!.embedded.length = 0;
    const res = await api.search({ query: 'Which submarine cables carry Atlantic internet traffic?' });
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.same(router!.embedded.sort(), [models.embedding.id, small.id].sort(), 'the query was embedded once per model');
    t.same(body.searched_kb_ids.sort(), [animals.id, volcanoes.id, cables.id].sort(), 'every readable KB searched');
    t.same(body.errors, []);
    t.equal(body.results.length, 3, 'hits from all three KBs');
    t.match(body.results[0], { kb_id: cables.id, kb_name: 'Cables', document_id: docs.cables.id, chunk_index: 0 });
    const scores = body.results.map((r: { score: number }) => r.score);
    t.same(
      scores,
      [...scores].sort((a, b) => b - a),
      'merged by relevance',
    );
    t.ok(body.results[0].score > 0 && body.results[0].score <= 1, 'euclidean distance reported on the cosine scale');

    const giraffes = (await api.search({ query: 'How long do giraffes sleep?' })).json();
    t.equal(giraffes.results[0].document_id, docs.animals.id);
    t.equal(giraffes.results[0].kb_name, 'Animals');

    const only = (await api.search({ query: 'giraffes', kb_ids: [cables.id], top_k: 5 })).json();
    // The nearest hit is returned even for an unrelated query (no threshold): Cables' one chunk.
    t.same(
      only.results.map((r: { kb_id: string; document_id: string }) => [r.kb_id, r.document_id]),
      [[cables.id, docs.cables.id]],
      'kb_ids limits the search',
    );
    t.same(only.searched_kb_ids, [cables.id], 'and only that KB is searched');

    const stranger = userToken(pipeline.platform.keys, 1);
    const none = (await api.search({ query: 'giraffes' }, stranger)).json();
    t.same(none.results, [], 'a user without grants finds nothing');
    t.same(none.searched_kb_ids, []);
    const forbidden = await api.search({ query: 'giraffes', kb_ids: [animals.id] }, stranger);
    t.equal(forbidden.statusCode, 404, 'naming a KB one cannot read is refused without saying it exists');
    t.equal(forbidden.json().code, 'KB_NOT_FOUND');
    const unknown = await api.search({ query: 'giraffes', kb_ids: [randomUUID()] });
    t.equal(unknown.statusCode, 404);

    const threshold = (
      await api.search({ query: 'giraffes sleep', similarity_threshold: 0.99, retrieval_mode: 'vector' })
    ).json();
    t.same(threshold.results, [], 'a high relevance floor filters weak hits');
    // The floor is on vector similarity only (docs/retrieval.md): hybrid, the default, keeps keyword matches.
    const hybridFloor = (await api.search({ query: 'giraffes sleep', similarity_threshold: 0.99 })).json();
    t.same(
      hybridFloor.results.map((r: { document_id: string; ranks: unknown }) => [r.document_id, r.ranks]),
      [[docs.animals.id, { lexical: 1, vector: null }]],
      'hybrid keeps the keyword match, with no vector rank',
    );
  },
);

t.test('chat streams tokens, citations and done; a generation model change applies to the next answer', async (t) => {
  const pipeline = await startPipeline(t);
  const { api, kb: kbApp, models, tokens } = pipeline;
  const second = await registerModel(
    kbApp,
    modelView({ type: 'generation', name: 'Second answerer', model_id: 'lumikb-extractive-v1' }),
  );
  const kb = await api.createKb({ name: 'Pumps' });
  const doc = await api.upload(
    kb.id,
    'pumps.txt',
    'The pump must be serviced every twelve months.\n\nOnly original spare parts keep the warranty valid.\n\nThe valve opens clockwise.',
  );
  const ready = await api.waitForStatus(kb.id, doc.id, 'READY');
  const ask = async (message: string) => {
    const res = await kbApp.app.inject({
      method: 'POST',
      url: '/api/v1/chat',
      headers: auth(tokens.operator),
      payload: { kb_id: kb.id, message },
    });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /text\/event-stream/);
    return parseSse(res.body);
  };

  const events = await ask('How often must the pump be serviced?');
  const kinds = events.map((e) => e.event);
  const firstNonToken = kinds.findIndex((k) => k !== 'token');
  t.ok(firstNonToken > 0, 'tokens first');
  t.same(kinds.slice(firstNonToken), ['citations', 'done'], 'then citations, then done');
  const answer = events
    .filter((e) => e.event === 'token')
    .map((e) => e.data.text)
    .join('');
  t.match(answer, /twelve months/, 'the extractive answer quotes the passage');
  const citations = events.find((e) => e.event === 'citations')!.data.citations as Record<string, unknown>[];
  t.ok(citations.length >= 1);
  t.match(citations[0], { kb_id: kb.id, document_id: doc.id, document_name: 'pumps.txt', marker: /^\[\d+\]$/ });
  t.match(events.at(-1)!.data, { model_id: models.generation.id, fallback_used: false, fallback_reason: null });

  const changed = await kbApp.app.inject({
    method: 'PUT',
    url: `/api/v1/knowledge-bases/${kb.id}/model-config`,
    headers: auth(tokens.operator),
    payload: { generation_model_id: second.id, config_overrides: { top_k: 1 } },
  });
  t.equal(changed.statusCode, 200, 'the generation model can change while the KB has documents');
  t.equal(changed.json().embedding_model_locked, true);
  const next = await ask('How often must the pump be serviced?');
  t.match(next.at(-1)!.data, {
    model_id: second.id,
    model_name: 'Second answerer',
    fallback_used: false,
    passages_retrieved: 1,
  });
  const after = await api.document(kb.id, doc.id);
  t.equal(after.attempt, ready.attempt, 'no reprocessing');
  t.equal(after.updated_at, ready.updated_at);

  // The KB's model is deactivated in the registry: the default model answers, and says so.
  await publishEvent(pipeline.platform.bus, 'model.updated', {
    model: { ...second, status: 'inactive', updated_at: new Date(Date.now() + 1000).toISOString() },
    changed_fields: ['status'],
  });
  await waitFor(
    async () =>
      (await kbApp.deps.db.db.selectFrom('models').select('status').where('id', '=', second.id).executeTakeFirst())
        ?.status === 'inactive',
  );
  const fallback = await ask('How often must the pump be serviced?');
  t.match(fallback.at(-1)!.data, {
    model_id: models.generation.id,
    fallback_used: true,
    fallback_reason: /default generation model because .*Second answerer.* inactive/,
  });
});

t.test('a generation model that does not answer falls back to the default model, said in the stream', async (t) => {
  const pipeline = await startPipeline(t, {});
  const { api, kb: kbApp, models, tokens } = pipeline;
  const ollama = await startFakeOllama(t);
  await ollama.setOutage('refuse');
  const remote = await registerModel(
    kbApp,
    modelView({
      type: 'generation',
      provider: 'ollama' as never,
      name: 'Llama on Ollama',
      model_id: 'llama3.2',
      api_endpoint: ollama.url,
      config: { context_window: 8192, max_output_tokens: 256 },
    }),
  );
  const kb = await api.createKb({ name: 'Remote answers', generation_model_id: remote.id });
  const doc = await api.upload(kb.id, 'valves.txt', 'The valve opens clockwise and closes anticlockwise.');
  await api.waitForStatus(kb.id, doc.id, 'READY');
  const res = await kbApp.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: auth(tokens.operator),
    payload: { kb_id: kb.id, message: 'Which way does the valve open?', history: [{ role: 'user', content: 'Hello' }] },
  });
  const events = parseSse(res.body);
  t.match(events.at(-1), {
    event: 'done',
    data: { model_id: models.generation.id, fallback_used: true, fallback_reason: /default generation model/ },
  });
  t.match(
    events
      .filter((e) => e.event === 'token')
      .map((e) => e.data.text)
      .join(''),
    /clockwise/,
  );

  const missing = await kbApp.app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: auth(tokens.operator),
    payload: { kb_id: randomUUID(), message: 'hi' },
  });
  t.equal(missing.statusCode, 404, 'an unknown KB is a JSON 404, not a stream');
  t.equal(missing.json().code, 'KB_NOT_FOUND');
});
