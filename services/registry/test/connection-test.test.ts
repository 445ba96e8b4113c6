import { proxyAlias } from '@lumikb/contracts';
import type { ConnectionTestResult } from '@lumikb/llm';
import { startFakeLiteLLM, startFakeOllama, startFakeProviders } from '@lumikb/test-kit';
import t from 'tap';
import { buildTestApp } from './helper.ts';
import { client, createModel, ollamaEmbedding } from './support.ts';

t.test('saved models are tested against the real provider API and the result is kept', async (t) => {
  const ollama = await startFakeOllama(t);
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);

  const local = (await admin.get('/api/v1/admin/models?provider=local')).body.items;
  for (const model of local) {
    const result = await admin.post(`/api/v1/admin/models/${model.id}/test`);
    t.equal(result.status, 200);
    t.match(result.body, { success: true, message: /works/, details: { route: 'local' } });
  }

  const nomic = await createModel(admin, ollamaEmbedding({ api_endpoint: ollama.url }));
  const ok = await admin.post(`/api/v1/admin/models/${nomic.id}/test`);
  t.match(ok.body, { success: true, details: { actual_dimensions: 768, expected_dimensions: 768 } });
  t.ok(ollama.requestsTo('/api/embed').length >= 1, 'the fake Ollama was really asked to embed');
  const stored = (await admin.get(`/api/v1/admin/models/${nomic.id}`)).body.last_test;
  t.match(stored, { success: true, latency_ms: Number, message: ok.body.message, tested_at: ok.body.tested_at });

  const wrongSize = await createModel(
    admin,
    ollamaEmbedding({ api_endpoint: ollama.url, config: { dimensions: 1024, max_tokens: 512 } }),
  );
  const mismatch = await admin.post(`/api/v1/admin/models/${wrongSize.id}/test`);
  t.match(mismatch.body, {
    success: false,
    message: /Dimension mismatch.*768.*1024/,
    details: { actual_dimensions: 768, expected_dimensions: 1024 },
  });
  t.match((await admin.get(`/api/v1/admin/models/${wrongSize.id}`)).body.last_test, { success: false });

  const notPulled = await createModel(admin, ollamaEmbedding({ api_endpoint: ollama.url, model_id: 'bge-m3' }));
  t.match((await admin.post(`/api/v1/admin/models/${notPulled.id}/test`)).body, {
    success: false,
    message: /not found.*ollama pull bge-m3/,
  });

  const missing = await admin.post('/api/v1/admin/models/9b0c7e0e-1111-4d3c-9a55-0d9f3b6c1a11/test');
  t.equal(missing.status, 404);
  t.equal(missing.body.code, 'MODEL_NOT_FOUND');
});

t.test('a slow, dead or unauthorised provider produces a distinct message, within the limit', async (t) => {
  const ollama = await startFakeOllama(t);
  const cloud = await startFakeProviders(t, { apiKey: 'sk-right-key-0000' });
  const test = await buildTestApp(t, { CONNECTION_TEST_TIMEOUT_MS: '600' });
  const admin = client(test.app, test.tokens.admin);

  const slow = await createModel(admin, ollamaEmbedding({ api_endpoint: ollama.url }));
  ollama.setLatency(5_000);
  const started = Date.now();
  const timedOut = await admin.post(`/api/v1/admin/models/${slow.id}/test`);
  const took = Date.now() - started;
  t.match(timedOut.body, { success: false, message: /Timed out/ });
  t.ok(took < 2_000, `the test gave up after the limit (${took} ms)`);
  ollama.setLatency(0);

  await ollama.setOutage('refuse');
  const refused = await admin.post(`/api/v1/admin/models/${slow.id}/test`);
  t.equal(refused.body.success, false);
  t.notMatch(refused.body.message, /Timed out/, 'a refused connection is not reported as a timeout');
  await ollama.setOutage(null);

  const dns = await createModel(admin, ollamaEmbedding({ api_endpoint: 'http://no-such-host.invalid:11434' }));
  const unresolved = await admin.post(`/api/v1/admin/models/${dns.id}/test`);
  t.equal(unresolved.body.success, false);
  t.notSame(unresolved.body.message, refused.body.message, 'DNS failure reads differently from a refused connection');

  const wrongKey = 'sk-wrong-key-SECRET-9999';
  const openai = await createModel(admin, {
    type: 'generation',
    provider: 'openai',
    name: 'OpenAI via fake',
    model_id: 'gpt-4o-mini',
    api_endpoint: `${cloud.url}/v1`,
    api_key: wrongKey,
    config: { context_window: 128000, max_output_tokens: 4096 },
  });
  const unauthorised = await admin.post(`/api/v1/admin/models/${openai.id}/test`);
  t.match(unauthorised.body, { success: false, message: /rejected the credentials.*401/, details: { status: 401 } });
  t.notOk(JSON.stringify(unauthorised.body).includes('SECRET-9999'), 'the key is not echoed back');
  const fixed = await admin.put(`/api/v1/admin/models/${openai.id}`, { api_key: 'sk-right-key-0000' });
  t.equal(fixed.status, 200);
  t.match((await admin.post(`/api/v1/admin/models/${openai.id}/test`)).body, { success: true });
});

t.test('every provider is tested at its own API, before saving', async (t) => {
  const key = 'sk-provider-key-1234';
  const cloud = await startFakeProviders(t, { apiKey: key, defaultDimensions: 1024 });
  const ollama = await startFakeOllama(t);
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const embedding = { dimensions: 1024, max_tokens: 512 };
  const generation = { context_window: 8192, max_output_tokens: 1024 };
  const cases: Record<string, unknown>[] = [
    { provider: 'ollama', type: 'generation', model_id: 'llama3.2', api_endpoint: ollama.url },
    { provider: 'lmstudio', type: 'embedding', model_id: 'nomic', api_endpoint: `${cloud.url}/v1`, api_key: key },
    { provider: 'lmstudio', type: 'generation', model_id: 'qwen', api_endpoint: `${cloud.url}/v1`, api_key: key },
    { provider: 'openai', type: 'embedding', model_id: 'text-embedding-3-large', api_endpoint: `${cloud.url}/v1` },
    { provider: 'openai', type: 'generation', model_id: 'gpt-4o', api_endpoint: `${cloud.url}/v1` },
    { provider: 'azure', type: 'embedding', model_id: 'emb-deploy', api_endpoint: cloud.url },
    { provider: 'azure', type: 'generation', model_id: 'chat-deploy', api_endpoint: cloud.url },
    { provider: 'anthropic', type: 'generation', model_id: 'claude-3-5-haiku-latest', api_endpoint: cloud.url },
    { provider: 'cohere', type: 'embedding', model_id: 'embed-english-v3.0', api_endpoint: cloud.url },
    { provider: 'cohere', type: 'generation', model_id: 'command-r', api_endpoint: cloud.url },
    { provider: 'google', type: 'embedding', model_id: 'text-embedding-004', api_endpoint: cloud.url },
    { provider: 'google', type: 'generation', model_id: 'gemini-1.5-flash', api_endpoint: cloud.url },
    { provider: 'custom', type: 'embedding', model_id: 'bge', api_endpoint: `${cloud.url}/v1`, api_key: key },
    { provider: 'custom', type: 'generation', model_id: 'llama', api_endpoint: `${cloud.url}/v1`, api_key: key },
  ];
  for (const c of cases) {
    const needsKey = !['ollama', 'custom', 'lmstudio'].includes(String(c.provider));
    const body = {
      ...c,
      ...(needsKey ? { api_key: key } : {}),
      config: c.type === 'embedding' ? embedding : generation,
    };
    const result = await admin.post('/api/v1/admin/models/test', body);
    t.equal(result.status, 200, `${c.provider} ${c.type}`);
    t.equal(result.body.success, true, `${c.provider} ${c.type}: ${result.body.message}`);
  }
  t.equal((await admin.get('/api/v1/admin/models')).body.total, 2, 'testing saves nothing');

  const invalid = await admin.post('/api/v1/admin/models/test', {
    type: 'embedding',
    provider: 'azure',
    model_id: 'x',
    config: embedding,
  });
  t.equal(invalid.status, 400, 'an unsaved model is validated like a new one');
  t.equal(invalid.body.code, 'INVALID_MODEL_CONFIG');
});

t.test('editing a saved model can be tested with its stored key, but only at its own endpoint', async (t) => {
  const key = 'sk-stored-key-5678';
  const cloud = await startFakeProviders(t, { apiKey: key });
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const saved = await createModel(admin, {
    type: 'generation',
    provider: 'openai',
    name: 'OpenAI saved',
    model_id: 'gpt-4o',
    api_endpoint: `${cloud.url}/v1`,
    api_key: key,
    config: { context_window: 8192, max_output_tokens: 1024 },
  });
  const draft = {
    type: 'generation',
    provider: 'openai',
    model_id: 'gpt-4o-mini',
    api_endpoint: `${cloud.url}/v1`,
    config: { context_window: 8192, max_output_tokens: 512 },
    reuse_api_key_from: saved.id,
  };
  const reused = await admin.post('/api/v1/admin/models/test', draft);
  t.match(reused.body, { success: true }, 'the stored key was used');
  const elsewhere = await admin.post('/api/v1/admin/models/test', {
    ...draft,
    api_endpoint: 'https://collector.example/v1',
  });
  t.equal(elsewhere.status, 400, 'the stored key is not sent to another endpoint');
  t.match(elsewhere.body, { code: 'INVALID_MODEL_CONFIG', details: { problems: [{ field: 'api_key' }] } });
});

t.test('a synced model is tested through the LiteLLM proxy', async (t) => {
  const proxy = await startFakeLiteLLM(t);
  const cloud = await startFakeProviders(t, { apiKey: 'sk-cloud-1' });
  const test = await buildTestApp(t, { LITELLM_PROXY_URL: proxy.url, LITELLM_MASTER_KEY: proxy.masterKey });
  const admin = client(test.app, test.tokens.admin);
  const model = await createModel(admin, {
    type: 'generation',
    provider: 'openai',
    name: 'Through the proxy',
    model_id: 'gpt-4o',
    api_endpoint: `${cloud.url}/v1`,
    api_key: 'sk-cloud-1',
    config: { context_window: 8192, max_output_tokens: 1024 },
  });
  const direct = await admin.post(`/api/v1/admin/models/${model.id}/test`);
  t.match(direct.body, { success: true }, 'not yet in the proxy: tested at the provider');
  t.not(direct.body.details.route, 'litellm');

  // What proxy-sync does when it registers the model.
  const registered = await fetch(`${proxy.url}/model/new`, {
    method: 'POST',
    headers: { authorization: `Bearer ${proxy.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model_name: proxyAlias(model.id),
      litellm_params: { model: 'openai/gpt-4o', api_base: `${cloud.url}/v1`, api_key: 'sk-cloud-1' },
      model_info: { id: model.id, mode: 'chat' },
    }),
  });
  t.equal(registered.status, 200);
  const viaProxy = await admin.post(`/api/v1/admin/models/${model.id}/test`);
  t.match(viaProxy.body, { success: true, details: { route: 'litellm' } });
});

t.test('the registry bounds a connection test itself and scrubs the key from what comes back', async (t) => {
  let mode: 'hang' | 'echo' = 'hang';
  const tester = async (_model: unknown, credentials: { apiKey?: string }): Promise<ConnectionTestResult> => {
    if (mode === 'hang') return new Promise(() => {});
    return {
      success: false,
      message: `Incorrect API key provided: ${credentials.apiKey}`,
      latency_ms: 3,
      details: { echoed: `key=${credentials.apiKey}` },
    };
  };
  const test = await buildTestApp(t, { CONNECTION_TEST_TIMEOUT_MS: '300' }, { tester });
  const admin = client(test.app, test.tokens.admin);
  const model = await createModel(admin, {
    type: 'generation',
    provider: 'anthropic',
    name: 'Claude',
    model_id: 'claude-3-5-haiku-latest',
    api_key: 'sk-ant-SECRET-abcdef',
    config: { context_window: 200000, max_output_tokens: 8192 },
  });
  const started = Date.now();
  const hung = await admin.post(`/api/v1/admin/models/${model.id}/test`);
  t.match(hung.body, { success: false, message: /Timed out/ });
  t.ok(Date.now() - started < 1_500, 'a tester that never answers does not hang the request');

  mode = 'echo';
  const echoed = await admin.post(`/api/v1/admin/models/${model.id}/test`);
  t.match(echoed.body, { message: 'Incorrect API key provided: [redacted]', details: { echoed: 'key=[redacted]' } });
  t.notOk(JSON.stringify((await admin.get(`/api/v1/admin/models/${model.id}`)).body).includes('SECRET'));
});

t.test('LLM health: each active model by its last test, fresh probes on request', async (t) => {
  const ollama = await startFakeOllama(t);
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const healthy = await createModel(admin, ollamaEmbedding({ api_endpoint: ollama.url }));
  const broken = await createModel(
    admin,
    ollamaEmbedding({ api_endpoint: ollama.url, config: { dimensions: 99, max_tokens: 512 } }),
  );
  const inactive = await createModel(admin, ollamaEmbedding({ api_endpoint: ollama.url, status: 'inactive' }));

  const before = (await admin.get('/api/v1/admin/llm/health')).body;
  t.match(before, { probed: false, unknown: 4, healthy: 0, unhealthy: 0 });
  t.notOk(
    before.models.some((m: { id: string }) => m.id === inactive.id),
    'inactive models are not part of the health report',
  );

  ollama.setLatency(1_000);
  const started = Date.now();
  const probed = (await admin.get('/api/v1/admin/llm/health?probe=true')).body;
  const took = Date.now() - started;
  t.match(probed, { probed: true, healthy: 3, unhealthy: 1, unknown: 0 });
  t.ok(took < 1_800, `probes run concurrently (${took} ms for two 1 s probes and two local ones)`);
  t.equal(probed.models.find((m: { id: string }) => m.id === healthy.id).health, 'healthy');
  t.match(
    probed.models.find((m: { id: string }) => m.id === broken.id),
    {
      health: 'unhealthy',
      last_test: { success: false, message: /Dimension mismatch/ },
    },
  );
  const later = (await admin.get('/api/v1/admin/llm/health')).body;
  t.match(later, { healthy: 3, unhealthy: 1 }, 'the probe results are kept');
});
