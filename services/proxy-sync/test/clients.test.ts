import { sendJson, startFakeLiteLLM, startFakeServer } from '@lumikb/test-kit';
import t from 'tap';
import { createRegistryClient, LiteLlmClient } from '../src/sync/clients.ts';
import { belongsInProxy, buildDeployment, type DesiredModel, entryMatches } from '../src/sync/deployment.ts';
import { modelView } from './helper.ts';

const id = '3f2b8c1a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const desired: DesiredModel = {
  id,
  type: 'generation',
  provider: 'anthropic',
  model_id: 'claude-3-5-haiku-latest',
  api_endpoint: null,
  config: { context_window: 200_000, max_output_tokens: 8192, cost_per_1k_input: 0.8 },
  status: 'active',
  deleted: false,
  version: '2026-11-26T10:00:00.000Z',
};

t.test('the LiteLLM client against the proxy management API and its error shapes', async (t) => {
  const proxy = await startFakeLiteLLM(t, {
    masterKey: 'sk-m',
    configModels: [
      { model_name: 'from-config', litellm_params: { model: 'openai/gpt-4o' }, model_info: { id: 'cfg1' } },
    ],
  });
  const client = new LiteLlmClient(proxy.url, 'sk-m', 2_000);
  const deployment = buildDeployment(desired, 'sk-ant-secret', {});
  t.same(deployment, {
    model_name: `db-${id}`,
    litellm_params: { model: 'anthropic/claude-3-5-haiku-latest', api_key: 'sk-ant-secret' },
    model_info: {
      id,
      mode: 'chat',
      lumikb_provider: 'anthropic',
      lumikb_version: desired.version,
      max_input_tokens: 200_000,
      max_output_tokens: 8192,
      input_cost_per_token: 0.0008,
    },
  });

  t.equal(await client.findById(id), undefined, 'unknown id → absent (the proxy answers a 4xx "not found")');
  t.equal(await client.add(deployment), 'added');
  t.equal(await client.add(deployment), 'exists', 'a duplicate id is the mislabelled 400 "Authentication Error, …"');
  const entry = await client.findById(id);
  t.equal(entry?.litellm_params.api_key, undefined, '/model/info never shows the key');
  t.ok(entry && entryMatches(entry, deployment), 'what we registered matches what we want');
  t.notOk(
    entry && entryMatches(entry, buildDeployment({ ...desired, version: 'later' }, null, {})),
    'a new version does not',
  );

  await client.update(id, { ...deployment, litellm_params: { ...deployment.litellm_params, api_base: 'https://gw' } });
  t.equal(proxy.deployment(id)?.litellm_params.api_base, 'https://gw');
  await t.rejects(client.update('nope', deployment), { name: 'LlmError', kind: 'not_found' });

  t.equal(await client.remove(id), 'removed');
  t.equal(await client.remove(id), 'absent', "the Python-repr 400 \"{'error': 'Model with id=… not found in db'}\"");
  t.equal(await client.remove('cfg1'), 'absent', 'config-file models cannot be deleted');
  t.equal((await client.list()).length, 1);

  const wrongKey = new LiteLlmClient(proxy.url, 'sk-wrong', 2_000);
  await t.rejects(wrongKey.list(), { name: 'LlmError', kind: 'auth', message: /Authentication Error/ });

  proxy.setStoreModelInDb(false);
  await t.rejects(client.add(deployment), { name: 'LlmError', kind: 'provider_error', message: /STORE_MODEL_IN_DB/ });

  await client.alive();
  await proxy.setOutage('refuse');
  await t.rejects(client.alive(), { name: 'LlmError', kind: 'unreachable' });
});

t.test('deployments by provider', async (t) => {
  const base = { ...desired, config: {}, version: null };
  const params = (over: Partial<DesiredModel>, urls = {}) =>
    buildDeployment({ ...base, ...over }, null, urls).litellm_params;
  t.same(params({ provider: 'openai', model_id: 'gpt-4o-mini' }), { model: 'openai/gpt-4o-mini' });
  t.same(params({ provider: 'openai', model_id: 'gpt-4o', config: { organization: 'org-1' } }), {
    model: 'openai/gpt-4o',
    organization: 'org-1',
  });
  t.same(params({ provider: 'custom', model_id: 'mistral', api_endpoint: 'http://vllm:8000/v1' }), {
    model: 'openai/mistral',
    api_base: 'http://vllm:8000/v1',
  });
  t.same(params({ provider: 'azure', model_id: 'dep', api_endpoint: 'https://r.openai.azure.com' }), {
    model: 'azure/dep',
    api_base: 'https://r.openai.azure.com',
    api_version: '2024-10-21',
  });
  t.same(params({ provider: 'cohere', model_id: 'embed-english-v3.0' }), { model: 'cohere/embed-english-v3.0' });
  t.same(params({ provider: 'google', model_id: 'models/text-embedding-004' }), { model: 'gemini/text-embedding-004' });
  t.same(params({ provider: 'ollama', model_id: 'llama3.2', api_endpoint: null }), {
    model: 'ollama/llama3.2',
    api_base: 'http://localhost:11434',
  });
  t.same(params({ provider: 'lmstudio', model_id: 'qwen', api_endpoint: 'http://lm:1234' }), {
    model: 'lm_studio/qwen',
    api_base: 'http://lm:1234/v1',
  });
  t.same(
    params({ provider: 'lmstudio', model_id: 'qwen' }, { lmStudioUrlForProxy: 'http://host.docker.internal:1234/v1' }),
    { model: 'lm_studio/qwen', api_base: 'http://host.docker.internal:1234/v1' },
  );
  const embedding = buildDeployment(
    { ...base, type: 'embedding', provider: 'openai', config: { dimensions: 1536, max_tokens: 8191 } },
    null,
    {},
  );
  t.match(embedding.model_info, { mode: 'embedding', output_vector_size: 1536, max_input_tokens: 8191 });

  // Rerank models go to LiteLLM's /rerank: Cohere natively, Jina and Jina-compatible servers as jina_ai.
  const rerank = (over: Partial<DesiredModel>, key: string | null = null) =>
    buildDeployment({ ...base, type: 'rerank', ...over }, key, {});
  t.same(rerank({ provider: 'cohere', model_id: 'rerank-v3.5' }).litellm_params, { model: 'cohere/rerank-v3.5' });
  t.equal(rerank({ provider: 'cohere', model_id: 'rerank-v3.5' }).model_info.mode, 'rerank');
  t.same(rerank({ provider: 'jina', model_id: 'jina-reranker-v2-base-multilingual' }, 'jina_k').litellm_params, {
    model: 'jina_ai/jina-reranker-v2-base-multilingual',
    api_key: 'jina_k',
  });
  t.same(
    rerank({ provider: 'custom', model_id: 'bge-reranker-v2-m3', api_endpoint: 'http://infinity:7997' }).litellm_params,
    { model: 'jina_ai/bge-reranker-v2-m3', api_base: 'http://infinity:7997', api_key: 'no-key' },
    'LiteLLM jina_ai needs some key: a custom reranker without one gets a placeholder',
  );
});

t.test('which models live in the proxy', async (t) => {
  t.ok(belongsInProxy({ provider: 'openai', status: 'active', deleted: false }));
  t.ok(belongsInProxy({ provider: 'openai', status: 'deprecated', deleted: false }), 'deprecated: KBs still use it');
  t.notOk(belongsInProxy({ provider: 'openai', status: 'inactive', deleted: false }));
  t.notOk(belongsInProxy({ provider: 'openai', status: 'active', deleted: true }));
  t.notOk(belongsInProxy({ provider: 'local', status: 'active', deleted: false }), 'local runs in-process');
  t.ok(
    belongsInProxy({ provider: 'ollama', status: 'active', deleted: false }),
    'direct-call providers are mirrored too',
  );
});

t.test('the registry client: contract-checked answers and platform error codes', async (t) => {
  const model = {
    ...modelView({ model_id: 'gpt-4o-mini' }),
    api_key: 'sk-registry-key',
  };
  let answer: unknown = model;
  const registry = await startFakeServer(t, (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === `/internal/models/${model.id}/credentials`) return sendJson(res, 200, answer);
    if (path.startsWith('/internal/models/') && path.endsWith('/credentials'))
      return sendJson(res, 404, { code: 'MODEL_NOT_FOUND', message: 'Model not found' });
    return sendJson(res, 404, { code: 'ROUTE_NOT_FOUND', message: `Route GET ${path} not found` });
  });
  const client = createRegistryClient({ url: registry.url, token: async () => 'svc-token', timeoutMs: 2_000 });

  t.same(await client.credentials(model.id), model, 'a model with its key');
  t.equal(await client.credentials('7d1a4b2c-0000-4000-8000-00000000dead'), undefined, 'MODEL_NOT_FOUND: deleted');
  await t.rejects(client.list(), {
    name: 'InternalCallError',
    code: 'UPSTREAM_ERROR',
    upstreamCode: 'ROUTE_NOT_FOUND',
  });

  answer = { ...model, api_key: 42 };
  await t.rejects(client.credentials(model.id), { name: 'InternalCallError', code: 'UPSTREAM_INVALID_RESPONSE' });

  const noToken = createRegistryClient({
    url: registry.url,
    token: async () => {
      throw new Error('auth is down');
    },
    timeoutMs: 2_000,
  });
  await t.rejects(noToken.credentials(model.id), {
    name: 'InternalCallError',
    code: 'SERVICE_TOKEN_UNAVAILABLE',
    message: /auth is down/,
  });
});
