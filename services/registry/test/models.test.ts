import { sql } from '@lumikb/db';
import t from 'tap';
import { buildTestApp } from './helper.ts';
import { client, createModel, ollamaEmbedding, openaiEmbedding, openaiGeneration, outboxEvents } from './support.ts';

t.test('an admin registers, finds, edits and deletes models', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);

  const created = await createModel(admin, ollamaEmbedding({ name: 'Nomic on the GPU box' }));
  t.match(created, {
    type: 'embedding',
    provider: 'ollama',
    name: 'Nomic on the GPU box',
    model_id: 'nomic-embed-text',
    api_endpoint: 'http://127.0.0.1:11434',
    status: 'active',
    is_default: false,
    has_api_key: false,
    sync_status: 'pending',
    last_test: null,
    kb_count: 0,
  });
  t.same(
    created.config,
    { dimensions: 768, max_tokens: 8192, normalize: true, distance_metric: 'cosine', batch_size: 32, tags: [] },
    'the described defaults are filled in',
  );

  const detail = await admin.get(`/api/v1/admin/models/${created.id}`);
  t.equal(detail.status, 200);
  t.same(detail.body.used_by, []);

  await createModel(admin, openaiGeneration({ name: 'GPT mini' }));
  const filtered = await admin.get('/api/v1/admin/models?type=embedding&provider=ollama');
  t.equal(filtered.body.total, 1);
  t.equal(filtered.body.items[0].id, created.id);
  const all = await admin.get('/api/v1/admin/models?limit=2&offset=0');
  t.equal(all.body.total, 4, 'two built-in local models and the two just registered');
  t.equal(all.body.items.length, 2, 'paged');
  const nextPage = await admin.get('/api/v1/admin/models?limit=2&offset=2');
  t.same(
    new Set([...all.body.items, ...nextPage.body.items].map((m: { id: string }) => m.id)).size,
    4,
    'pages do not overlap',
  );
  const search = await admin.get('/api/v1/admin/models?q=gpu');
  t.same(
    search.body.items.map((m: { name: string }) => m.name),
    ['Nomic on the GPU box'],
    'q matches names case-insensitively',
  );
  const defaults = await admin.get('/api/v1/admin/models?is_default=true');
  t.same(defaults.body.items.map((m: { provider: string }) => m.provider).sort(), ['local', 'local']);

  const renamed = await admin.put(`/api/v1/admin/models/${created.id}`, {
    name: 'Nomic (768)',
    config: { batch_size: 64, tags: ['gpu', 'gpu', 'english'] },
  });
  t.equal(renamed.status, 200, JSON.stringify(renamed.body));
  t.equal(renamed.body.name, 'Nomic (768)');
  t.match(renamed.body.config, { dimensions: 768, batch_size: 64, tags: ['gpu', 'english'] }, 'config is merged');

  const reset = await admin.put(`/api/v1/admin/models/${created.id}`, { config: { batch_size: null } });
  t.equal(reset.body.config.batch_size, 32, 'null resets a setting to its default');

  const typeChange = await admin.put(`/api/v1/admin/models/${created.id}`, { type: 'generation' });
  t.equal(typeChange.status, 400, 'type is fixed at creation');
  t.equal(typeChange.body.code, 'VALIDATION_FAILED');

  const updatesBefore = (await outboxEvents(test, 'model.updated')).length;
  const same = await admin.put(`/api/v1/admin/models/${created.id}`, { name: 'Nomic (768)' });
  t.equal(same.status, 200);
  t.equal(
    (await outboxEvents(test, 'model.updated')).length,
    updatesBefore,
    'an update that changes nothing emits nothing',
  );

  const deleted = await admin.delete(`/api/v1/admin/models/${created.id}`);
  t.equal(deleted.status, 204);
  const gone = await admin.get(`/api/v1/admin/models/${created.id}`);
  t.equal(gone.status, 404);
  t.equal(gone.body.code, 'MODEL_NOT_FOUND');
  t.equal((await admin.delete(`/api/v1/admin/models/${created.id}`)).body.code, 'MODEL_NOT_FOUND');
});

t.test('every change is published and audited, and no secret leaves in an event', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const secret = 'sk-live-SECRET-4242424242';
  const model = await createModel(admin, openaiGeneration({ api_key: secret }));
  await admin.put(`/api/v1/admin/models/${model.id}`, { api_key: 'sk-live-OTHER-1111111111', status: 'deprecated' });
  await admin.delete(`/api/v1/admin/models/${model.id}`);

  const [created] = (await outboxEvents(test, 'model.created')).filter(
    (e) => (e.data as { model: { id: string } }).model.id === model.id,
  );
  t.match(created, { actor: { type: 'user', email: 'level3@company.local' }, data: { model: { has_api_key: true } } });
  const [updated] = await outboxEvents(test, 'model.updated');
  t.same([...((updated?.data as { changed_fields?: string[] })?.changed_fields ?? [])].sort(), ['api_key', 'status']);
  const [deleted] = await outboxEvents(test, 'model.deleted');
  t.same(deleted?.data, { id: model.id, type: 'generation', provider: 'openai' });

  const audits = (await outboxEvents(test, 'audit.recorded')).filter(
    (e) => (e.data as { resource_id: string }).resource_id === model.id,
  );
  t.same(
    audits.map((a) => (a.data as { action: string }).action),
    ['model.created', 'model.updated', 'model.deleted'],
  );
  t.match(audits[1]?.data, {
    service: 'registry',
    resource_type: 'llm_model',
    old_value: { status: 'active', has_api_key: true },
    new_value: { status: 'deprecated', changed_fields: ['status', 'api_key'] },
  });

  const everything = await sql<{ payload: string }>`select payload::text from registry.outbox`.execute(test.deps.db.db);
  for (const row of everything.rows) {
    t.notOk(row.payload.includes('SECRET') || row.payload.includes('OTHER-1111'), 'no API key in any event');
  }
});

t.test('the provider description is what the server accepts', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const { body, status } = await admin.get('/api/v1/admin/models/providers');
  t.equal(status, 200);
  const byId = new Map<string, { model_types: string[]; fields: Record<string, { key: string }[]> }>(
    body.providers.map((p: { id: string }) => [p.id, p]),
  );
  t.same(
    [...byId.keys()],
    ['local', 'ollama', 'lmstudio', 'openai', 'azure', 'anthropic', 'cohere', 'google', 'jina', 'custom'],
  );
  const keys = (provider: string, type: string) => byId.get(provider)?.fields[type]?.map((f) => f.key) ?? [];
  t.match(keys('azure', 'embedding'), ['api_endpoint', 'api_key', 'config.api_version', 'model_id']);
  t.match(body.providers.find((p: { id: string }) => p.id === 'azure').fields.embedding, [
    { key: 'api_endpoint', label: 'Endpoint', required: true },
    { key: 'api_key', type: 'secret', required: true },
    { key: 'config.api_version', required: true, default: '2024-10-21' },
    { key: 'model_id', label: 'Deployment', required: true },
  ]);
  t.match(body.providers.find((p: { id: string }) => p.id === 'ollama').fields.generation[0], {
    key: 'api_endpoint',
    label: 'Base URL',
    default: 'http://localhost:11434',
  });
  t.same(byId.get('anthropic')?.model_types, ['generation'], 'Anthropic offers no embedding type');
  t.notOk(keys('ollama', 'embedding').includes('api_key'), 'Ollama takes no API key');
  t.ok(keys('openai', 'generation').includes('config.temperature_range'));

  // Fill in every required field the form would ask for, from the description alone:
  // the server must accept each such model.
  for (const provider of body.providers) {
    for (const type of provider.model_types as string[]) {
      const model: Record<string, unknown> = {
        type,
        provider: provider.id,
        name: `${provider.id} ${type}`,
        config: {},
      };
      for (const field of provider.fields[type] as {
        key: string;
        type: string;
        required: boolean;
        default?: unknown;
        placeholder?: string;
        options?: unknown[];
        minimum?: number;
      }[]) {
        if (!field.required || field.default !== undefined) continue;
        const value =
          field.type === 'secret'
            ? 'sk-form-filled-key'
            : field.type === 'enum'
              ? field.options?.[0]
              : field.type === 'integer'
                ? Number(field.placeholder ?? field.minimum ?? 1)
                : (field.placeholder ?? 'x');
        if (field.key.startsWith('config.')) (model.config as Record<string, unknown>)[field.key.slice(7)] = value;
        else model[field.key] = value;
      }
      const created = await admin.post('/api/v1/admin/models', model);
      t.equal(created.status, 201, `${provider.id} ${type}: ${JSON.stringify(created.body)}`);

      const extra = await admin.post('/api/v1/admin/models', {
        ...model,
        name: `${model.name} again`,
        config: { ...(model.config as object), not_in_the_form: 1 },
      });
      t.equal(extra.status, 400, `${provider.id} ${type}: a field the form does not have is refused`);
      t.match(extra.body, {
        code: 'INVALID_MODEL_CONFIG',
        details: { problems: [{ field: 'config.not_in_the_form', rule: 'unknown_field' }] },
      });
    }
  }
});

t.test('invalid models are refused with a clear code and nothing is stored', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const before = (await admin.get('/api/v1/admin/models')).body.total;

  const refused = async (body: Record<string, unknown>, code: string, problems?: unknown) => {
    const response = await admin.post('/api/v1/admin/models', body);
    t.equal(response.status, 400, `${code}: ${JSON.stringify(response.body)}`);
    t.equal(response.body.code, code);
    if (problems) t.match(response.body.details.problems, problems);
    return response.body;
  };

  await refused(ollamaEmbedding({ config: { dimensions: 0, max_tokens: 512 } }), 'INVALID_MODEL_CONFIG', [
    { field: 'config.dimensions', rule: 'minimum', minimum: 1, maximum: 16384, actual: 0 },
  ]);
  await refused(ollamaEmbedding({ config: { dimensions: 70000, max_tokens: 512 } }), 'INVALID_MODEL_CONFIG', [
    { field: 'config.dimensions', rule: 'maximum' },
  ]);
  await refused(ollamaEmbedding({ config: { dimensions: 768.5, max_tokens: 512 } }), 'INVALID_MODEL_CONFIG', [
    { field: 'config.dimensions', rule: 'type' },
  ]);
  await refused(
    ollamaEmbedding({ config: { dimensions: 768, max_tokens: 512, distance_metric: 'manhattan', batch_size: 0 } }),
    'INVALID_MODEL_CONFIG',
    [
      { field: 'config.distance_metric', rule: 'enum', options: ['cosine', 'dot', 'euclidean'] },
      { field: 'config.batch_size', rule: 'minimum' },
    ],
  );
  await refused(ollamaEmbedding({ config: { max_tokens: 512 } }), 'INVALID_MODEL_CONFIG', [
    { field: 'config.dimensions', rule: 'required', message: 'Dimensions is required' },
  ]);
  await refused(
    openaiGeneration({ config: { context_window: 4096, max_output_tokens: 8192 } }),
    'INVALID_MODEL_CONFIG',
    [{ field: 'config.max_output_tokens', rule: 'constraint', message: /cannot exceed context_window/ }],
  );
  await refused(
    openaiGeneration({
      config: { context_window: 4096, max_output_tokens: 512, temperature_range: [0, 1], temperature_default: 1.5 },
    }),
    'INVALID_MODEL_CONFIG',
    [{ field: 'config.temperature_default', rule: 'constraint' }],
  );
  await refused(
    openaiGeneration({ config: { context_window: 4096, max_output_tokens: 512, temperature_range: [1.5, 0.5] } }),
    'INVALID_MODEL_CONFIG',
    [{ field: 'config.temperature_range', rule: 'constraint' }],
  );
  await refused(
    openaiGeneration({
      config: { context_window: 4096, max_output_tokens: 512, top_p_default: 1.2, cost_per_1k_input: -1 },
    }),
    'INVALID_MODEL_CONFIG',
    [
      { field: 'config.top_p_default', rule: 'maximum' },
      { field: 'config.cost_per_1k_input', rule: 'minimum' },
    ],
  );
  await refused(
    {
      type: 'embedding',
      provider: 'azure',
      name: 'Azure without details',
      model_id: 'emb',
      config: { dimensions: 1536, max_tokens: 8191 },
    },
    'INVALID_MODEL_CONFIG',
    [
      { field: 'api_key', rule: 'required' },
      { field: 'api_endpoint', rule: 'required' },
    ],
  );
  await refused(
    { ...openaiEmbedding(), provider: 'anthropic', model_id: 'claude-3-5-haiku-latest' },
    'PROVIDER_TYPE_UNSUPPORTED',
  );
  await refused(ollamaEmbedding({ api_key: 'sk-not-for-ollama' }), 'INVALID_MODEL_CONFIG', [
    { field: 'api_key', rule: 'unknown_field' },
  ]);
  await refused(ollamaEmbedding({ api_endpoint: 'http://user:pw@gpu-box:11434' }), 'INVALID_MODEL_CONFIG', [
    { field: 'api_endpoint', rule: 'format', message: /must not contain a user name or password/ },
  ]);
  await refused(ollamaEmbedding({ api_endpoint: 'ftp://gpu-box' }), 'INVALID_MODEL_CONFIG', [
    { field: 'api_endpoint', rule: 'format' },
  ]);
  await refused(
    ollamaEmbedding({ config: { dimensions: 768, max_tokens: 512, tags: ['has space'] } }),
    'INVALID_MODEL_CONFIG',
    [{ field: 'config.tags', rule: 'pattern' }],
  );
  await refused(openaiGeneration({ api_key: 'sk with spaces' }), 'INVALID_MODEL_CONFIG', [
    { field: 'api_key', rule: 'format' },
  ]);
  await refused(
    { ...openaiGeneration(), type: 'generation', provider: 'local', model_id: 'gpt-4', api_key: undefined },
    'INVALID_MODEL_CONFIG',
    [{ field: 'model_id', rule: 'enum' }],
  );
  await refused({ ...ollamaEmbedding(), provider: 'huggingface' }, 'VALIDATION_FAILED');
  await refused(ollamaEmbedding({ name: '   ' }), 'VALIDATION_FAILED');

  t.equal((await admin.get('/api/v1/admin/models')).body.total, before, 'nothing was stored');
});

t.test('names are unique per type, ignoring case', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  await createModel(admin, ollamaEmbedding({ name: 'Team model' }));
  const clash = await admin.post('/api/v1/admin/models', ollamaEmbedding({ name: 'team MODEL ' }));
  t.equal(clash.status, 409);
  t.equal(clash.body.code, 'MODEL_NAME_TAKEN');
  const otherType = await admin.post('/api/v1/admin/models', openaiGeneration({ name: 'Team model' }));
  t.equal(otherType.status, 201, 'the same name may be used for the other type');
  const renameClash = await admin.put(`/api/v1/admin/models/${otherType.body.id}`, { name: 'Built-in answerer X' });
  t.equal(renameClash.status, 200);
  const local = (await admin.get('/api/v1/admin/models?type=generation&provider=local')).body.items[0];
  const taken = await admin.put(`/api/v1/admin/models/${otherType.body.id}`, { name: local.name.toUpperCase() });
  t.equal(taken.status, 409);
  t.equal(taken.body.code, 'MODEL_NAME_TAKEN');
});

t.test('API keys are encrypted at rest, never returned, and can be kept, replaced or cleared', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const service = client(test.app, test.tokens.service('proxy-sync'));
  const secret = 'sk-proj-PLAINTEXT-do-not-store-7f3a9c';

  const created = await admin.post('/api/v1/admin/models', openaiGeneration({ api_key: `  ${secret}\n` }));
  t.equal(created.status, 201);
  t.equal(created.body.has_api_key, true);
  t.notOk('api_key' in created.body, 'the key is not part of the response');
  const id = created.body.id as string;
  for (const response of [
    created,
    await admin.get(`/api/v1/admin/models/${id}`),
    await admin.get('/api/v1/admin/models'),
  ]) {
    t.notOk(JSON.stringify(response.body).includes('PLAINTEXT'), 'no response contains the key');
  }

  const raw = await sql<{ api_key_ciphertext: Buffer; api_key_key_id: string; row_text: string }>`
    select api_key_ciphertext, api_key_key_id, m::text as row_text from registry.llm_models m where id = ${id}`.execute(
    test.deps.db.db,
  );
  const row = raw.rows[0]!;
  t.equal(row.api_key_key_id, 'k1', 'the key id is stored with the ciphertext');
  t.ok(row.api_key_ciphertext.length > secret.length, 'a ciphertext is stored');
  t.equal(row.api_key_ciphertext.indexOf(Buffer.from(secret)), -1, 'the plaintext is not in the raw column');
  t.notOk(row.row_text.includes('PLAINTEXT'), 'nor anywhere in the row');
  t.notOk(row.row_text.includes(Buffer.from(secret).toString('hex')), 'not even hex-encoded');
  const dump = await sql<{ t: string }>`select string_agg(m::text, ' ') as t from registry.llm_models m`.execute(
    test.deps.db.db,
  );
  t.notOk(dump.rows[0]!.t.includes('PLAINTEXT'));

  const credentials = async () => (await service.get(`/internal/models/${id}/credentials`)).body.api_key;
  t.equal(await credentials(), secret, 'the key decrypts to what was entered (trimmed)');

  await admin.put(`/api/v1/admin/models/${id}`, { name: 'GPT renamed' });
  t.equal(await credentials(), secret, 'an update without api_key keeps the key');

  const replaced = await admin.put(`/api/v1/admin/models/${id}`, { api_key: 'sk-proj-NEW-key-0000' });
  t.equal(replaced.body.has_api_key, true);
  t.equal(await credentials(), 'sk-proj-NEW-key-0000', 'a new key replaces the old one');

  const required = await admin.put(`/api/v1/admin/models/${id}`, { api_key: null });
  t.equal(required.status, 400, 'OpenAI needs a key, so it cannot be cleared');
  t.match(required.body, {
    code: 'INVALID_MODEL_CONFIG',
    details: { problems: [{ field: 'api_key', rule: 'required' }] },
  });

  const custom = await createModel(admin, {
    type: 'generation',
    provider: 'custom',
    name: 'vLLM box',
    model_id: 'qwen',
    api_endpoint: 'http://10.0.0.5:8000/v1',
    api_key: 'optional-key-1234',
    config: { context_window: 32768, max_output_tokens: 2048 },
  });
  const cleared = await admin.put(`/api/v1/admin/models/${custom.id}`, { api_key: null });
  t.equal(cleared.status, 200, JSON.stringify(cleared.body));
  t.equal(cleared.body.has_api_key, false, 'an optional key can be removed');
  t.equal((await service.get(`/internal/models/${custom.id}/credentials`)).body.api_key, null);
});

t.test('the stored key is never sent to an endpoint it was not entered for', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const model = await createModel(admin, {
    type: 'generation',
    provider: 'custom',
    name: 'Gateway',
    model_id: 'llama',
    api_endpoint: 'https://llm.internal.example/v1',
    api_key: 'gateway-key-12345',
    config: { context_window: 8192, max_output_tokens: 1024 },
  });
  const moved = await admin.put(`/api/v1/admin/models/${model.id}`, { api_endpoint: 'https://attacker.example/v1' });
  t.equal(moved.status, 400);
  t.match(moved.body, {
    code: 'INVALID_MODEL_CONFIG',
    details: { problems: [{ field: 'api_key', rule: 'required' }] },
  });
  const movedWithKey = await admin.put(`/api/v1/admin/models/${model.id}`, {
    api_endpoint: 'https://llm2.internal.example/v1/',
    api_key: 'gateway-key-67890',
  });
  t.equal(movedWithKey.status, 200);
  t.equal(movedWithKey.body.api_endpoint, 'https://llm2.internal.example/v1', 'trailing slash normalised');
});

t.test('any signed-in user sees the active models to choose from, without connection details', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const user = client(test.app, test.tokens.user);
  const active = await createModel(admin, ollamaEmbedding());
  const inactive = await createModel(admin, ollamaEmbedding({ status: 'inactive' }));
  const deprecated = await createModel(admin, openaiGeneration({ status: 'deprecated' }));

  const all = await user.get('/api/v1/models/available');
  t.equal(all.status, 200);
  const ids = all.body.items.map((m: { id: string }) => m.id);
  t.ok(ids.includes(active.id));
  t.notOk(ids.includes(inactive.id), 'inactive models are not offered');
  t.notOk(ids.includes(deprecated.id), 'deprecated models are not offered for new knowledge bases');
  t.same(Object.keys(all.body.items[0]).sort(), [
    'config',
    'health',
    'health_checked_at',
    'health_message',
    'id',
    'is_default',
    'model_id',
    'name',
    'provider',
    'type',
  ]);
  const untested = all.body.items.find((m: { id: string }) => m.id === active.id);
  t.equal(untested.health, 'unknown', 'a model never tested has unknown health (pickers mark unhealthy ones)');
  const embeddings = await user.get('/api/v1/models/available?type=embedding');
  t.ok(embeddings.body.items.every((m: { type: string }) => m.type === 'embedding'));
  t.ok(
    embeddings.body.items.some((m: { is_default: boolean }) => m.is_default),
    'the default is marked',
  );

  t.equal((await user.get('/api/v1/admin/models')).status, 403, 'the admin list is for admins');
});
