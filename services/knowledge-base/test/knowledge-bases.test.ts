/**
 * Knowledge bases: model choice (defaults, unknown, inactive, wrong type), overrides,
 * the vector collection sized for the embedding model, CRUD, the embedding-model lock,
 * and the model projection that keeps KB creation working while the registry is down.
 */
import { randomUUID } from 'node:crypto';
import { type Teardown, userToken, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, modelView, multipart, publishEvent, registerModel, seedDefaultModels } from './helper.ts';

async function setup(t: Teardown) {
  const built = await buildTestApp(t);
  const models = await seedDefaultModels(built);
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token: string, payload?: object) =>
    built.app.inject({ method, url, headers: auth(token), ...(payload !== undefined ? { payload } : {}) });
  return { ...built, models, call };
}

t.test(
  'creating a KB: defaults when omitted, collection sized for the embedding model, creator is ADMIN',
  async (t) => {
    const { call, tokens, models, deps, bus } = await setup(t);
    const started = Date.now();
    const res = await call('POST', '/api/v1/knowledge-bases', tokens.operator, {
      name: 'Handbook',
      description: 'Ops',
    });
    t.equal(res.statusCode, 201, res.body);
    t.ok(Date.now() - started < 2_000, 'created (with its collection) in under 2 s');
    const kb = res.json();
    t.match(kb, {
      name: 'Handbook',
      description: 'Ops',
      embedding_model_id: models.embedding.id,
      generation_model_id: models.generation.id,
      embedding_model: { name: 'Local hash embedder', provider: 'local' },
      dimensions: 384,
      distance_metric: 'cosine',
      collection: `kb_${kb.id}`,
      document_count: 0,
      embedding_model_locked: false,
      permission: 'ADMIN',
      config_overrides: {},
    });
    t.match(await deps.vectors.collectionInfo(kb.collection), { dimensions: 384, distance: 'cosine', points: 0 });

    const dot = await registerModel(
      { bus, deps },
      modelView({
        type: 'embedding',
        name: 'Dot 128',
        config: { dimensions: 128, max_tokens: 512, normalize: true, distance_metric: 'dot', batch_size: 8 },
      }),
    );
    const chosen = await call('POST', '/api/v1/knowledge-bases', tokens.operator, {
      name: 'Chosen',
      embedding_model_id: dot.id,
      config_overrides: {
        chunk_size: 500,
        chunk_overlap: 50,
        top_k: 3,
        similarity_threshold: 0.2,
        temperature: 0.1,
        max_tokens: 300,
        system_prompt: 'Be brief.',
      },
    });
    t.equal(chosen.statusCode, 201);
    t.match(chosen.json(), {
      dimensions: 128,
      distance_metric: 'dot',
      config_overrides: { chunk_size: 500, top_k: 3 },
    });
    t.match(await deps.vectors.collectionInfo(chosen.json().collection), { dimensions: 128, distance: 'dot' });

    const events: string[] = [];
    const rows = await deps.db.db.selectFrom('outbox').select(['subject', 'payload']).execute();
    for (const row of rows) events.push(row.subject);
    t.ok(events.includes('kb.created'), 'kb.created published through the outbox');
    const created = rows.find((r) => r.subject === 'kb.created')!.payload as { data: { kb: Record<string, unknown> } };
    t.match(created.data.kb, {
      id: kb.id,
      embedding_model_id: models.embedding.id,
      dimensions: 384,
      document_count: 0,
    });
    t.ok(events.includes('audit.recorded'));
  },
);

t.test('model choices are validated with clear codes; overrides are range- and cross-checked', async (t) => {
  const { call, tokens, models, bus, deps } = await setup(t);
  const inactive = await registerModel(
    { bus, deps },
    modelView({ type: 'embedding', name: 'Retired', status: 'inactive' }),
  );
  const cases: [string, Record<string, unknown>, number, string][] = [
    ['unknown model', { embedding_model_id: randomUUID() }, 400, 'MODEL_NOT_FOUND'],
    ['inactive model', { embedding_model_id: inactive.id }, 400, 'MODEL_INACTIVE'],
    ['generation model as embedding', { embedding_model_id: models.generation.id }, 400, 'MODEL_TYPE_MISMATCH'],
    ['embedding model as generation', { generation_model_id: models.embedding.id }, 400, 'MODEL_TYPE_MISMATCH'],
    [
      'overlap not below size',
      { config_overrides: { chunk_size: 300, chunk_overlap: 300 } },
      400,
      'INVALID_CONFIG_OVERRIDES',
    ],
    ['overlap above default size', { config_overrides: { chunk_overlap: 1000 } }, 400, 'INVALID_CONFIG_OVERRIDES'],
    ['chunk size out of range', { config_overrides: { chunk_size: 10 } }, 400, 'VALIDATION_FAILED'],
    ['temperature out of range', { config_overrides: { temperature: 3 } }, 400, 'VALIDATION_FAILED'],
    ['unknown override', { config_overrides: { colour: 'red' } }, 400, 'VALIDATION_FAILED'],
    ['empty name', { name: '' }, 400, 'VALIDATION_FAILED'],
  ];
  for (const [what, body, status, code] of cases) {
    const res = await call('POST', '/api/v1/knowledge-bases', tokens.operator, { name: 'X', ...body });
    t.equal(res.statusCode, status, what);
    t.equal(res.json().code, code, `${what} → ${code}`);
  }
  const res = await call('POST', '/api/v1/knowledge-bases', tokens.operator, {
    name: 'X',
    embedding_model_id: inactive.id,
  });
  t.match(res.json(), { message: /Retired.*inactive/, details: { field: 'embedding_model_id' } });
  t.equal((await deps.db.db.selectFrom('knowledge_bases').selectAll().execute()).length, 0, 'no KB was stored');
});

t.test('creating a KB needs level 2', async (t) => {
  const { call, keys } = await setup(t);
  const res = await call('POST', '/api/v1/knowledge-bases', userToken(keys, 1), { name: 'Mine' });
  t.equal(res.statusCode, 403);
  t.equal(res.json().code, 'INSUFFICIENT_LEVEL');
});

t.test('no default model and none chosen → 400 NO_DEFAULT_MODEL', async (t) => {
  const built = await buildTestApp(t);
  const res = await built.app.inject({
    method: 'POST',
    url: '/api/v1/knowledge-bases',
    headers: auth(built.tokens.operator),
    payload: { name: 'Nothing registered' },
  });
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, 'NO_DEFAULT_MODEL');
});

t.test('the model projection follows model.* events: updates, defaults, deletion, stale views ignored', async (t) => {
  const { call, tokens, models, bus, deps } = await setup(t);
  const newer = modelView({ type: 'generation', name: 'Newer default' });
  await registerModel({ bus, deps }, newer);
  await publishEvent(bus, 'model.default_changed', {
    type: 'generation',
    model_id: newer.id,
    previous_model_id: models.generation.id,
  });
  await waitFor(async () => {
    const row = await deps.db.db
      .selectFrom('models')
      .select('is_default')
      .where('id', '=', newer.id)
      .executeTakeFirst();
    return row?.is_default === true;
  });
  const kb = await call('POST', '/api/v1/knowledge-bases', tokens.operator, { name: 'After default change' });
  t.equal(kb.json().generation_model_id, newer.id, 'the new default is used');

  // An older view arriving late changes nothing.
  await publishEvent(bus, 'model.updated', {
    model: { ...newer, name: 'Stale name', updated_at: new Date(Date.parse(newer.updated_at) - 60_000).toISOString() },
    changed_fields: ['name'],
  });
  await publishEvent(bus, 'model.deleted', { id: models.embedding.id, type: 'embedding', provider: 'local' });
  await waitFor(async () => {
    const row = await deps.db.db
      .selectFrom('models')
      .select('deleted_at')
      .where('id', '=', models.embedding.id)
      .executeTakeFirst();
    return row?.deleted_at !== null;
  });
  const row = await deps.db.db.selectFrom('models').select('name').where('id', '=', newer.id).executeTakeFirstOrThrow();
  t.equal(row.name, 'Newer default', 'the stale view was ignored');
  const gone = await call('POST', '/api/v1/knowledge-bases', tokens.operator, {
    name: 'X',
    embedding_model_id: models.embedding.id,
  });
  t.equal(gone.json().code, 'MODEL_NOT_FOUND', 'a deleted model cannot be chosen');
  // …and a late "created" for a deleted model does not resurrect it.
  await publishEvent(bus, 'model.created', {
    model: { ...models.embedding, updated_at: new Date().toISOString() },
  });
  const marker = modelView({ type: 'generation', name: 'marker' });
  await registerModel({ bus, deps }, marker);
  const resurrected = await call('POST', '/api/v1/knowledge-bases', tokens.operator, {
    name: 'X',
    embedding_model_id: models.embedding.id,
  });
  t.equal(resurrected.json().code, 'MODEL_NOT_FOUND');
});

t.test('KB creation keeps working while the registry is down: the projection survives a restart', async (t) => {
  const first = await buildTestApp(t);
  const models = await seedDefaultModels(first);
  await first.app.close();
  // No registry, no new events: a fresh instance on the same database knows the models.
  const second = await buildTestApp(t, {}, { platform: first.platform });
  const res = await second.app.inject({
    method: 'POST',
    url: '/api/v1/knowledge-bases',
    headers: auth(second.tokens.operator),
    payload: { name: 'Offline registry' },
  });
  t.equal(res.statusCode, 201);
  t.equal(res.json().embedding_model_id, models.embedding.id);
});

t.test('get, list, rename and delete; deletion drops the collection', async (t) => {
  const { call, tokens, deps } = await setup(t);
  const a = (await call('POST', '/api/v1/knowledge-bases', tokens.operator, { name: 'Alpha' })).json();
  const b = (await call('POST', '/api/v1/knowledge-bases', tokens.operator, { name: 'Beta' })).json();
  const list = await call('GET', '/api/v1/knowledge-bases?limit=1', tokens.operator);
  t.match(list.json(), { total: 2, limit: 1, offset: 0, items: [{ name: 'Beta' }] }, 'newest first, paged');
  const filtered = await call('GET', '/api/v1/knowledge-bases?q=alp', tokens.operator);
  t.match(filtered.json(), { total: 1, items: [{ id: a.id }] });

  const renamed = await call('PATCH', `/api/v1/knowledge-bases/${a.id}`, tokens.operator, { name: 'Alpha 2' });
  t.equal(renamed.statusCode, 200);
  t.equal(renamed.json().name, 'Alpha 2');
  t.equal((await call('PATCH', `/api/v1/knowledge-bases/${a.id}`, tokens.operator, {})).statusCode, 400);

  const deleted = await call('DELETE', `/api/v1/knowledge-bases/${b.id}`, tokens.operator);
  t.equal(deleted.statusCode, 204);
  t.equal(await deps.vectors.collectionInfo(b.collection), null, 'collection dropped');
  t.equal((await call('GET', `/api/v1/knowledge-bases/${b.id}`, tokens.operator)).statusCode, 404);
  const outbox = await deps.db.db.selectFrom('outbox').select('payload').where('subject', '=', 'kb.deleted').execute();
  t.match(outbox[0]?.payload, { data: { id: b.id } });
});

t.test('model-config: says whether the embedding model is locked; locked once a document exists', async (t) => {
  const { call, tokens, deps, bus, app } = await setup(t);
  const bigger = await registerModel(
    { bus, deps },
    modelView({
      type: 'embedding',
      name: 'Bigger',
      config: { dimensions: 512, max_tokens: 512, normalize: true, distance_metric: 'euclidean', batch_size: 8 },
    }),
  );
  const otherGen = await registerModel({ bus, deps }, modelView({ type: 'generation', name: 'Other' }));
  const kb = (await call('POST', '/api/v1/knowledge-bases', tokens.operator, { name: 'Lock' })).json();

  const before = await call('GET', `/api/v1/knowledge-bases/${kb.id}/model-config`, tokens.operator);
  t.match(before.json(), {
    embedding_model_locked: false,
    lock_reason: null,
    document_count: 0,
    effective_config: { chunk_size: 1000, chunk_overlap: 200, top_k: 5 },
  });

  const switched = await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, tokens.operator, {
    embedding_model_id: bigger.id,
  });
  t.equal(switched.statusCode, 200, 'an empty KB may change its embedding model');
  t.match(switched.json(), { embedding_model_id: bigger.id, dimensions: 512, distance_metric: 'euclidean' });
  t.match(
    await deps.vectors.collectionInfo(kb.collection),
    { dimensions: 512, distance: 'euclidean' },
    'collection recreated',
  );

  const body = multipart('a.txt', 'some text');
  const upload = await app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents`,
    headers: { ...auth(tokens.operator), ...body.headers },
    payload: body.payload,
  });
  t.equal(upload.statusCode, 201);
  const pending = await call('GET', `/api/v1/knowledge-bases/${kb.id}/model-config`, tokens.operator);
  t.match(pending.json(), { embedding_model_locked: false, document_count: 1 }, 'a PENDING document has no vectors');
  // What the worker's reports leave behind once the document is embedded.
  await deps.db.db
    .updateTable('documents')
    .set({ status: 'READY', chunk_count: 1 })
    .where('id', '=', upload.json().id)
    .execute();

  const locked = await call('GET', `/api/v1/knowledge-bases/${kb.id}/model-config`, tokens.operator);
  t.match(locked.json(), { embedding_model_locked: true, lock_reason: /1 document/, document_count: 1 });
  const refused = await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, tokens.operator, {
    embedding_model_id: before.json().embedding_model_id,
  });
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), {
    code: 'EMBEDDING_MODEL_LOCKED',
    message: /embedded with this model/,
    details: { document_count: 1 },
  });
  t.match(await deps.vectors.collectionInfo(kb.collection), { dimensions: 512 }, 'collection untouched');

  const same = await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, tokens.operator, {
    embedding_model_id: bigger.id,
    generation_model_id: otherGen.id,
    config_overrides: { temperature: 0.2 },
  });
  t.equal(same.statusCode, 200, 'naming the current embedding model is not a change');
  t.match(same.json(), {
    generation_model_id: otherGen.id,
    config_overrides: { temperature: 0.2 },
    effective_config: { temperature: 0.2 },
  });
  const bad = await call('PUT', `/api/v1/knowledge-bases/${kb.id}/model-config`, tokens.operator, {
    config_overrides: { chunk_size: 200, chunk_overlap: 250 },
  });
  t.equal(bad.json().code, 'INVALID_CONFIG_OVERRIDES');
});
