/**
 * Rerank models in the registry: the providers that offer them, their form fields and
 * validation, and connection tests that make a real small rerank call (the fake Cohere
 * and Jina servers), within the time limit.
 */
import { startFakeReranker } from '@lumikb/test-kit';
import t from 'tap';
import { buildTestApp } from './helper.ts';
import { client, createModel } from './support.ts';

const cohereRerank = (overrides: Record<string, unknown> = {}) => ({
  type: 'rerank',
  provider: 'cohere',
  name: `Cohere rerank ${Math.random().toString(36).slice(2, 8)}`,
  model_id: 'rerank-v3.5',
  api_key: 'co-key-0123456789',
  config: {},
  ...overrides,
});

t.test('rerank is a model type of Cohere, Jina AI and custom only, with its own fields', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const { providers } = (await admin.get('/api/v1/admin/models/providers')).body;
  const withRerank = providers
    .filter((p: { model_types: string[] }) => p.model_types.includes('rerank'))
    .map((p: { id: string }) => p.id);
  t.same(withRerank.sort(), ['cohere', 'custom', 'jina']);
  const jina = providers.find((p: { id: string }) => p.id === 'jina');
  t.same(
    jina.fields.rerank.map((f: { key: string }) => f.key),
    ['api_endpoint', 'api_key', 'model_id', 'config.max_documents', 'config.tags'],
  );
  t.match(
    jina.fields.rerank.find((f: { key: string }) => f.key === 'config.max_documents'),
    {
      default: 100,
      minimum: 1,
      maximum: 1000,
    },
  );

  const created = await admin.post('/api/v1/admin/models', cohereRerank());
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.match(created.body, { type: 'rerank', provider: 'cohere', config: { max_documents: 100 }, has_api_key: true });
  t.equal(created.body.is_default, true, 'the first rerank model is the default of its type');
  const listed = (await admin.get('/api/v1/admin/models?type=rerank')).body.items;
  t.same(
    listed.map((m: { id: string }) => m.id),
    [created.body.id],
  );
  const available = (await admin.get('/api/v1/models/available?type=rerank')).body;
  t.ok(JSON.stringify(available).includes(created.body.id), 'users can pick it for a KB');

  const unsupported = await admin.post(
    '/api/v1/admin/models',
    cohereRerank({ provider: 'ollama', api_key: undefined }),
  );
  t.equal(unsupported.status, 400);
  t.equal(unsupported.body.code, 'PROVIDER_TYPE_UNSUPPORTED');
  const noKey = await admin.post('/api/v1/admin/models', cohereRerank({ provider: 'jina', api_key: undefined }));
  t.equal(noKey.status, 400);
  t.equal(noKey.body.code, 'INVALID_MODEL_CONFIG');
  const tooMany = await admin.post('/api/v1/admin/models', cohereRerank({ config: { max_documents: 5000 } }));
  t.equal(tooMany.status, 400);
  t.match(tooMany.body.details.problems, [{ field: 'config.max_documents', rule: 'maximum' }]);
  const foreign = await admin.post('/api/v1/admin/models', cohereRerank({ config: { dimensions: 768 } }));
  t.equal(foreign.status, 400);
  t.match(foreign.body.details.problems, [{ field: 'config.dimensions', rule: 'unknown_field' }]);
  const customWithoutUrl = await admin.post(
    '/api/v1/admin/models',
    cohereRerank({ provider: 'custom', api_key: undefined }),
  );
  t.equal(customWithoutUrl.status, 400);
  t.match(customWithoutUrl.body.details.problems, [{ field: 'api_endpoint', rule: 'required' }]);
});

t.test('a rerank connection test makes a real small rerank call, within the limit', async (t) => {
  const cohere = await startFakeReranker(t, { flavour: 'cohere', apiKey: 'co-key-0123456789' });
  const jina = await startFakeReranker(t, { flavour: 'jina', apiKey: null });
  const test = await buildTestApp(t, { CONNECTION_TEST_TIMEOUT_MS: '1000' });
  const admin = client(test.app, test.tokens.admin);

  const saved = await createModel(admin, cohereRerank({ api_endpoint: cohere.url }));
  const ok = await admin.post(`/api/v1/admin/models/${saved.id}/test`);
  t.match(ok.body, { success: true, message: /Rerank works: Cohere scored 2 test passages/ });
  const [call] = cohere.calls();
  t.equal(call?.path, '/v2/rerank');
  t.equal(call?.documents.length, 2);
  t.match((await admin.get(`/api/v1/admin/models/${saved.id}`)).body.last_test, { success: true });

  const unsaved = await admin.post('/api/v1/admin/models/test', {
    type: 'rerank',
    provider: 'custom',
    model_id: 'bge-reranker-v2-m3',
    api_endpoint: jina.url,
    config: {},
  });
  t.match(unsaved.body, { success: true, details: { route: 'direct' } }, unsaved.body.message);

  const wrongKey = await admin.post(
    '/api/v1/admin/models/test',
    cohereRerank({ api_endpoint: cohere.url, api_key: 'co-wrong-key' }),
  );
  t.match(wrongKey.body, { success: false, details: { kind: 'auth', status: 401 } });

  await jina.setOutage('hang');
  const hanging = await admin.post('/api/v1/admin/models/test', {
    type: 'rerank',
    provider: 'custom',
    model_id: 'bge',
    api_endpoint: jina.url,
    config: {},
  });
  t.match(hanging.body, { success: false, details: { kind: 'timeout' } });
  t.match(hanging.body.message, /Timed out after 1 s/, 'the registry kept its own limit');
  await jina.setOutage(null);
});
