import { randomUUID } from 'node:crypto';
import type { Provider } from '@lumikb/contracts';
import { type FakeControls, startFakeLiteLLM, startFakeOllama, startFakeProviders } from '@lumikb/test-kit';
import t from 'tap';
import { type ConnectionTestResult, type LlmModel, OutboundPolicy, testModelConnection } from '../src/index.ts';

// The fakes listen on 127.0.0.1; an admin would allow such a host with OUTBOUND_ALLOW_HOSTS.
const loopbackAllowed = new OutboundPolicy({ allowHosts: ['127.0.0.1'] });
t.teardown(() => loopbackAllowed.close());
const connectionTest = (...[model, credentials, options]: Parameters<typeof testModelConnection>) =>
  testModelConnection(model, credentials, { outbound: loopbackAllowed, ...options });

const KEY = 'sk-test-0123456789abcdef';

interface Case {
  provider: Provider;
  type: 'embedding' | 'generation';
  model_id: string;
  /** api_endpoint for a server at `base` (the fake's URL). */
  endpoint: (base: string) => string;
  config?: Record<string, unknown>;
  /** Which fake serves it. */
  fake: 'ollama' | 'providers';
  keyed: boolean;
}

const CASES: Case[] = [
  {
    provider: 'ollama',
    type: 'embedding',
    model_id: 'nomic-embed-text',
    endpoint: (b) => b,
    fake: 'ollama',
    keyed: false,
  },
  { provider: 'ollama', type: 'generation', model_id: 'llama3.2', endpoint: (b) => b, fake: 'ollama', keyed: false },
  {
    provider: 'lmstudio',
    type: 'embedding',
    model_id: 'embed-a',
    endpoint: (b) => `${b}/v1`,
    fake: 'providers',
    keyed: true,
  },
  { provider: 'lmstudio', type: 'generation', model_id: 'chat-a', endpoint: (b) => b, fake: 'providers', keyed: true },
  {
    provider: 'openai',
    type: 'embedding',
    model_id: 'embed-a',
    endpoint: (b) => `${b}/v1`,
    fake: 'providers',
    keyed: true,
  },
  {
    provider: 'openai',
    type: 'generation',
    model_id: 'chat-a',
    endpoint: (b) => `${b}/v1`,
    fake: 'providers',
    keyed: true,
  },
  {
    provider: 'custom',
    type: 'embedding',
    model_id: 'embed-a',
    endpoint: (b) => `${b}/v1`,
    fake: 'providers',
    keyed: true,
  },
  {
    provider: 'custom',
    type: 'generation',
    model_id: 'chat-a',
    endpoint: (b) => `${b}/v1/`,
    fake: 'providers',
    keyed: true,
  },
  {
    provider: 'azure',
    type: 'embedding',
    model_id: 'text-embedding-3-small',
    endpoint: (b) => b,
    config: { deployment: 'embed-a', api_version: '2024-10-21' },
    fake: 'providers',
    keyed: true,
  },
  {
    provider: 'azure',
    type: 'generation',
    model_id: 'gpt-4o',
    endpoint: (b) => `${b}/`,
    config: { deployment: 'chat-a' },
    fake: 'providers',
    keyed: true,
  },
  { provider: 'anthropic', type: 'generation', model_id: 'chat-a', endpoint: (b) => b, fake: 'providers', keyed: true },
  { provider: 'cohere', type: 'embedding', model_id: 'embed-a', endpoint: (b) => b, fake: 'providers', keyed: true },
  {
    provider: 'cohere',
    type: 'generation',
    model_id: 'chat-a',
    endpoint: (b) => `${b}/v2`,
    fake: 'providers',
    keyed: true,
  },
  {
    provider: 'google',
    type: 'embedding',
    model_id: 'models/embed-a',
    endpoint: (b) => b,
    fake: 'providers',
    keyed: true,
  },
  {
    provider: 'google',
    type: 'generation',
    model_id: 'chat-a',
    endpoint: (b) => `${b}/v1beta`,
    fake: 'providers',
    keyed: true,
  },
];

const DIMENSIONS = 768;

function modelFor(c: Case, base: string, over: Partial<LlmModel> = {}): LlmModel {
  const id = c.model_id;
  // Ollama and the fake providers know 'embed-a'/'nomic-embed-text' as 768-dimensional.
  return {
    id: randomUUID(),
    type: c.type,
    provider: c.provider,
    model_id: id,
    api_endpoint: c.endpoint(base),
    config: { ...(c.type === 'embedding' ? { dimensions: DIMENSIONS } : {}), ...c.config },
    ...over,
  };
}

const label = (c: Case) => `${c.provider} ${c.type}`;

t.test('every provider: success, then each failure with its own message', async (t) => {
  const ollama = await startFakeOllama(t, {
    models: [{ name: 'nomic-embed-text', dimensions: DIMENSIONS }, { name: 'llama3.2' }],
  });
  const providers = await startFakeProviders(t, {
    apiKey: KEY,
    models: { 'embed-a': { dimensions: DIMENSIONS }, 'chat-a': {} },
  });
  const fakes: Record<Case['fake'], FakeControls & { setDimensions(d: number | undefined): void }> = {
    ollama,
    providers,
  };

  for (const c of CASES) {
    await t.test(label(c), async (t) => {
      const fake = fakes[c.fake];
      const creds = c.keyed ? { apiKey: KEY } : {};

      const ok = await connectionTest(modelFor(c, fake.url), creds);
      t.equal(ok.success, true, ok.message);
      t.match(
        ok.message,
        c.type === 'embedding' ? /Embedding works: .* returned a vector with 768 dimensions/ : /Generation works/,
      );
      t.match(ok.details, { route: 'direct', provider: c.provider, url: new RegExp(`^${fake.url}`) });
      if (c.type === 'embedding') t.match(ok.details, { expected_dimensions: 768, actual_dimensions: 768 });
      t.type(ok.latency_ms, 'number');
      const last = fake.requests.at(-1);
      if (c.type === 'generation') {
        const body = last?.body as Record<string, unknown>;
        const limit =
          body.max_tokens ??
          (body.options as { num_predict?: number } | undefined)?.num_predict ??
          (body.generationConfig as { maxOutputTokens?: number } | undefined)?.maxOutputTokens;
        t.equal(limit, 1, 'asks for a single token');
      }

      if (c.keyed) {
        const denied = await connectionTest(modelFor(c, fake.url), { apiKey: 'sk-wrong-key-9999' });
        t.equal(denied.success, false);
        t.equal(denied.details.kind, 'auth', denied.message);
        t.match(denied.message, /rejected the credentials .*Check the API key/);
        t.notMatch(JSON.stringify(denied), /sk-wrong-key-9999/, 'the key is never echoed back');
      }

      const unknown = modelFor(c, fake.url, { model_id: 'no-such-model' });
      if (c.provider === 'azure') unknown.config = { ...unknown.config, deployment: 'no-such-deployment' };
      const missing = await connectionTest(unknown, creds);
      t.equal(missing.success, false);
      t.equal(missing.details.kind, 'not_found', missing.message);
      t.match(
        missing.message,
        c.provider === 'azure'
          ? /no deployment/
          : c.provider === 'ollama'
            ? /not found on the Ollama server.*ollama pull/
            : /was not found/,
      );
      if (c.provider === 'azure') t.match(missing.details, { status: 404 });

      if (c.type === 'embedding') {
        fake.setDimensions(1024);
        const mismatch = await connectionTest(modelFor(c, fake.url), creds);
        fake.setDimensions(undefined);
        t.equal(mismatch.success, false);
        t.equal(mismatch.details.kind, 'dimension_mismatch');
        t.match(
          mismatch.message,
          /Dimension mismatch: .* returned vectors with 1024 dimensions, but this model is configured with 768\. Set dimensions to 1024/,
        );
        t.match(mismatch.details, { expected_dimensions: 768, actual_dimensions: 1024 });
      }

      await fake.setOutage('hang');
      const started = Date.now();
      const slow = await connectionTest(modelFor(c, fake.url), creds, { timeoutMs: 300 });
      t.ok(Date.now() - started < 1000, 'the limit holds');
      await fake.setOutage(null);
      t.equal(slow.success, false);
      t.equal(slow.details.kind, 'timeout');
      t.match(slow.message, /Timed out after 300 ms/);

      await fake.setOutage('refuse');
      const refused = await connectionTest(modelFor(c, fake.url), creds);
      await fake.setOutage(null);
      t.equal(refused.details.kind, 'unreachable');
      t.match(refused.message, /Connection refused by 127\.0\.0\.1:\d+/);

      const dns = await connectionTest(modelFor(c, 'http://no-such-host.invalid:9999'), creds);
      t.equal(dns.details.kind, 'dns');
      t.match(dns.message, /Cannot resolve host "no-such-host\.invalid:9999" \(DNS lookup failed\)/);

      fake.failWith({ status: 503, times: 1 });
      const down = await connectionTest(modelFor(c, fake.url), creds);
      t.equal(down.details.kind, 'provider_error');
      t.match(down.message, /server error \(HTTP 503\)/);

      const messages = new Set([ok, missing, slow, refused, dns, down].map((r: ConnectionTestResult) => r.message));
      t.equal(messages.size, 6, 'every outcome reads differently');
    });
  }
});

t.test('wire details the providers insist on', async (t) => {
  const fake = await startFakeProviders(t, { apiKey: KEY, models: { 'embed-a': { dimensions: 8 }, 'chat-a': {} } });
  const base = { id: randomUUID(), api_endpoint: fake.url };

  await connectionTest(
    { ...base, type: 'generation', provider: 'anthropic', model_id: 'chat-a', config: {} },
    { apiKey: KEY },
  );
  const anthropic = fake.requestsTo('/v1/messages')[0];
  t.equal(anthropic?.headers['x-api-key'], KEY);
  t.equal(anthropic?.headers['anthropic-version'], '2023-06-01');

  await connectionTest(
    { ...base, type: 'embedding', provider: 'azure', model_id: 'x', config: { dimensions: 8, deployment: 'embed-a' } },
    { apiKey: KEY },
  );
  const azure = fake.requestsTo('/openai/deployments/embed-a/embeddings')[0];
  t.equal(azure?.headers['api-key'], KEY);
  t.equal(azure?.query.get('api-version'), '2024-10-21', 'a default API version is used');

  await connectionTest(
    { ...base, type: 'embedding', provider: 'cohere', model_id: 'embed-a', config: { dimensions: 8 } },
    { apiKey: KEY },
  );
  t.match(fake.requestsTo('/v2/embed')[0]?.body, { input_type: 'search_document', embedding_types: ['float'] });

  await connectionTest(
    { ...base, type: 'embedding', provider: 'google', model_id: 'embed-a', config: { dimensions: 8 } },
    { apiKey: KEY },
  );
  t.equal(fake.requestsTo('/v1beta/models/embed-a:embedContent')[0]?.headers['x-goog-api-key'], KEY);

  await connectionTest(
    {
      ...base,
      type: 'embedding',
      provider: 'openai',
      model_id: 'embed-a',
      api_endpoint: `${fake.url}/v1`,
      config: { dimensions: 8 },
    },
    { apiKey: KEY },
  );
  t.match(fake.requestsTo('/v1/embeddings')[0]?.body, { encoding_format: 'float', model: 'embed-a' });

  const reasoning = await startFakeProviders(t, { models: { o3: {} }, reasoningModels: ['o3'] });
  const r = await connectionTest(
    {
      ...base,
      api_endpoint: `${reasoning.url}/v1`,
      type: 'generation',
      provider: 'custom',
      model_id: 'o3',
      config: {},
    },
    {},
  );
  t.equal(r.success, true, `reasoning models are retried with max_completion_tokens (${r.message})`);
});

t.test('the cases that need no server at all', async (t) => {
  const local = await connectionTest(
    {
      id: randomUUID(),
      type: 'embedding',
      provider: 'local',
      model_id: 'lumikb-hash-embed-v1',
      api_endpoint: null,
      config: { dimensions: 384 },
    },
    {},
  );
  t.match(local, { success: true, details: { route: 'local', actual_dimensions: 384 } });
  const answerer = await connectionTest(
    {
      id: randomUUID(),
      type: 'generation',
      provider: 'local',
      model_id: 'lumikb-extractive-v1',
      api_endpoint: null,
      config: {},
    },
    {},
  );
  t.match(answerer, { success: true, details: { route: 'local' } });

  const anthropicEmbed = await connectionTest(
    {
      id: randomUUID(),
      type: 'embedding',
      provider: 'anthropic',
      model_id: 'x',
      api_endpoint: null,
      config: { dimensions: 8 },
    },
    { apiKey: KEY },
  );
  t.match(anthropicEmbed, { success: false, message: /Anthropic has no embeddings API/ });

  const noKey = await connectionTest(
    { id: randomUUID(), type: 'generation', provider: 'google', model_id: 'gemini', api_endpoint: null, config: {} },
    {},
  );
  t.match(noKey, { success: false, message: /needs an API key, and none is set/, details: { kind: 'auth' } });

  const custom = await connectionTest(
    { id: randomUUID(), type: 'generation', provider: 'custom', model_id: 'x', api_endpoint: null, config: {} },
    {},
  );
  t.match(custom, { success: false, message: /needs an API endpoint/ });

  const garbage = await connectionTest(
    { id: randomUUID(), type: 'generation', provider: 'ollama', model_id: 'x', api_endpoint: 'not a url', config: {} },
    {},
  );
  t.equal(garbage.success, false, `never throws, even on a malformed URL (${garbage.message})`);
});

t.test('the 5 s default limit holds against a server that never answers', async (t) => {
  const fake = await startFakeOllama(t);
  await fake.setOutage('hang');
  const started = Date.now();
  const result = await connectionTest(
    {
      id: randomUUID(),
      type: 'generation',
      provider: 'ollama',
      model_id: 'llama3.2',
      api_endpoint: fake.url,
      config: {},
    },
    {},
  );
  const took = Date.now() - started;
  t.ok(took >= 4900 && took < 5500, `took ${took} ms`);
  t.match(result, { success: false, message: /Timed out after 5 s/, details: { kind: 'timeout' } });
});

t.test(
  'with a LiteLLM proxy given, a synced model is tested through its alias; an unsynced one natively',
  async (t) => {
    const proxy = await startFakeLiteLLM(t);
    const fake = await startFakeProviders(t, { apiKey: KEY, models: { 'embed-a': { dimensions: 16 } } });
    const synced: LlmModel = {
      id: randomUUID(),
      type: 'embedding',
      provider: 'openai',
      model_id: 'embed-a',
      api_endpoint: `${fake.url}/v1`,
      config: { dimensions: 16 },
    };
    await fetch(`${proxy.url}/model/new`, {
      method: 'POST',
      headers: { authorization: `Bearer ${proxy.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model_name: `db-${synced.id}`,
        litellm_params: { model: 'openai/embed-a', api_key: KEY },
        model_info: { id: synced.id, output_vector_size: 16 },
      }),
    });
    const litellm = { url: proxy.url, masterKey: proxy.masterKey };

    const through = await connectionTest(synced, {}, { litellm });
    t.match(through, { success: true, details: { route: 'litellm', url: `${proxy.url}/v1/embeddings` } });
    t.match(proxy.requestsTo('/v1/embeddings')[0]?.body, { model: `db-${synced.id}` });
    t.equal(fake.requests.length, 0, 'the provider was not called directly');

    const unsynced = { ...synced, id: randomUUID() };
    const direct = await connectionTest(unsynced, { apiKey: KEY }, { litellm });
    t.match(direct, { success: true, details: { route: 'direct' } });
    t.equal(fake.requestsTo('/v1/embeddings').length, 1);

    proxy.setDimensions(32);
    const mismatch = await connectionTest(synced, {}, { litellm });
    t.match(mismatch, {
      success: false,
      details: { kind: 'dimension_mismatch', route: 'litellm', actual_dimensions: 32 },
    });

    await proxy.setOutage('refuse');
    const proxyDown = await connectionTest(synced, { apiKey: KEY }, { litellm });
    t.match(proxyDown, { success: true, details: { route: 'direct' } }, 'a proxy outage does not hide a working model');
  },
);
