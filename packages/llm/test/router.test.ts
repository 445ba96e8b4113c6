import { randomUUID } from 'node:crypto';
import { PROVIDERS } from '@lumikb/contracts';
import { startFakeLiteLLM, startFakeOllama, startFakeProviders } from '@lumikb/test-kit';
import { Registry } from 'prom-client';
import t from 'tap';
import {
  DimensionMismatchError,
  type GenerateChunk,
  type GenerateRequest,
  LlmError,
  type LlmModel,
  LlmRouter,
  LOCAL_GENERATION_MODEL,
  resolveRoute,
} from '../src/index.ts';

const model = (over: Partial<LlmModel> & Pick<LlmModel, 'type' | 'provider' | 'model_id'>): LlmModel => ({
  id: randomUUID(),
  api_endpoint: null,
  config: {},
  ...over,
});

const localAnswerer = model({ type: 'generation', provider: 'local', model_id: LOCAL_GENERATION_MODEL.model_id });

async function collect(stream: AsyncIterable<GenerateChunk>) {
  const chunks: GenerateChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((c) => (c.type === 'token' ? c.text : '')).join('');
  const done = chunks.at(-1);
  return { chunks, text, done: done?.type === 'done' ? done : undefined };
}

const ask: GenerateRequest = { messages: [{ role: 'user', content: 'What is the refund policy?' }] };

t.test('each provider is routed where the architecture says', async (t) => {
  const litellm = { url: 'http://litellm:4000', masterKey: 'sk-master' };
  for (const provider of PROVIDERS) {
    const m = model({ type: 'embedding', provider, model_id: 'm', api_endpoint: 'http://host:1234' });
    const route = resolveRoute(m, litellm);
    if (provider === 'local') t.same(route, { kind: 'local' }, 'local runs in-process');
    else if (provider === 'ollama') t.match(route, { kind: 'ollama', baseUrl: 'http://host:1234', model: 'm' });
    else if (provider === 'lmstudio') t.match(route, { kind: 'openai', baseUrl: 'http://host:1234/v1', model: 'm' });
    else {
      t.match(
        route,
        {
          kind: 'openai',
          via: 'litellm',
          baseUrl: 'http://litellm:4000/v1',
          model: `db-${m.id}`,
          headers: { authorization: 'Bearer sk-master' },
        },
        `${provider} goes through LiteLLM as db-{uuid}`,
      );
    }
  }
  t.match(resolveRoute(model({ type: 'generation', provider: 'ollama', model_id: 'x' }), undefined), {
    baseUrl: 'http://localhost:11434',
  });
  t.match(
    resolveRoute(
      model({ type: 'generation', provider: 'ollama', model_id: 'x', api_endpoint: 'http://o:11434/v1/' }),
      undefined,
    ),
    { baseUrl: 'http://o:11434' },
    'a trailing /v1 on an Ollama URL is tolerated',
  );
  t.match(
    resolveRoute(
      model({ type: 'generation', provider: 'lmstudio', model_id: 'x', api_endpoint: 'http://l:1234/v1' }),
      undefined,
    ),
    { baseUrl: 'http://l:1234/v1' },
  );
  t.throws(() => resolveRoute(model({ type: 'generation', provider: 'openai', model_id: 'gpt' }), undefined), {
    kind: 'not_configured',
    message: /LITELLM_PROXY_URL/,
  });
});

t.test('Ollama: native /api/embed in batches, streaming NDJSON /api/chat', async (t) => {
  const ollama = await startFakeOllama(t);
  const registry = new Registry();
  const router = new LlmRouter({ registry });
  const embed = model({
    type: 'embedding',
    provider: 'ollama',
    model_id: 'nomic-embed-text',
    api_endpoint: ollama.url,
    config: { dimensions: 768, batch_size: 4 },
  });
  const texts = Array.from({ length: 10 }, (_, i) => `text ${i}`);
  const vectors = await router.embed(embed, texts);
  t.equal(vectors.length, 10);
  t.ok(vectors.every((v) => v.length === 768));
  const calls = ollama.requestsTo('/api/embed');
  t.same(
    calls.map((c) => (c.body as { input: string[] }).input.length),
    [4, 4, 2],
    'batch_size 4 → three requests',
  );
  t.match(calls[0]?.body, { model: 'nomic-embed-text', input: ['text 0', 'text 1', 'text 2', 'text 3'] });

  const chat = model({ type: 'generation', provider: 'ollama', model_id: 'llama3.2', api_endpoint: ollama.url });
  const answer = await collect(
    router.generate(chat, {
      ...ask,
      passages: [{ text: 'Refunds within 30 days.', citation: '[1]' }],
      temperature: 0.2,
    }),
  );
  t.match(answer.text, /Fake Ollama answer/);
  t.ok(answer.chunks.filter((c) => c.type === 'token').length > 3, 'streamed in several tokens');
  t.match(answer.done, {
    model_id: chat.id,
    fallback_used: false,
    finish_reason: 'stop',
    usage: { prompt_tokens: 26 },
  });
  const sent = ollama.requestsTo('/api/chat')[0]?.body as {
    messages: { role: string; content: string }[];
    options: object;
  };
  t.match(
    sent.messages[0],
    { role: 'system', content: /\[1\] Refunds within 30 days\./ },
    'passages go in a system message',
  );
  t.match(sent.options, { temperature: 0.2 });

  const metrics = await registry.metrics();
  t.match(
    metrics,
    /lumikb_model_request_total\{model="nomic-embed-text",provider="ollama",type="embedding",outcome="success"\} 3/,
  );
  t.match(
    metrics,
    /lumikb_model_request_total\{model="llama3.2",provider="ollama",type="generation",outcome="success"\} 1/,
  );
  t.match(
    metrics,
    /lumikb_model_latency_seconds_count\{model="nomic-embed-text",provider="ollama",type="embedding"\} 3/,
  );
});

t.test('LM Studio: OpenAI-compatible /v1 at its endpoint, floats requested', async (t) => {
  const lm = await startFakeProviders(t, { models: { 'text-embedding-nomic': { dimensions: 768 }, 'qwen2.5-7b': {} } });
  const router = new LlmRouter();
  const embed = model({
    type: 'embedding',
    provider: 'lmstudio',
    model_id: 'text-embedding-nomic',
    api_endpoint: lm.url, // the server root: /v1 is added
    config: { dimensions: 768 },
  });
  const vectors = await router.embed(embed, ['a', 'b']);
  t.equal(vectors.length, 2);
  t.match(lm.requestsTo('/v1/embeddings')[0]?.body, { model: 'text-embedding-nomic', encoding_format: 'float' });
  const answer = await collect(
    router.generate(
      model({ type: 'generation', provider: 'lmstudio', model_id: 'qwen2.5-7b', api_endpoint: lm.url }),
      ask,
    ),
  );
  t.match(answer.text, /Fake answer from qwen2.5-7b/);
  t.match(lm.requestsTo('/v1/chat/completions')[0]?.body, { stream: true, model: 'qwen2.5-7b' });
});

t.test('cloud providers go through LiteLLM as db-{uuid}: /v1/embeddings and SSE /v1/chat/completions', async (t) => {
  const proxy = await startFakeLiteLLM(t);
  const router = new LlmRouter({ litellm: { url: proxy.url, masterKey: proxy.masterKey } });
  const embed = model({
    type: 'embedding',
    provider: 'openai',
    model_id: 'text-embedding-3-small',
    config: { dimensions: 1536 },
  });
  const chat = model({ type: 'generation', provider: 'anthropic', model_id: 'claude-3-5-haiku' });
  const register = (m: LlmModel, extra: Record<string, unknown> = {}) =>
    fetch(`${proxy.url}/model/new`, {
      method: 'POST',
      headers: { authorization: `Bearer ${proxy.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model_name: `db-${m.id}`,
        litellm_params: { model: `${m.provider}/${m.model_id}`, api_key: 'sk-provider' },
        model_info: { id: m.id, ...extra },
      }),
    });
  await register(embed, { mode: 'embedding', output_vector_size: 1536 });
  await register(chat);

  const vectors = await router.embed(embed, ['hello']);
  t.equal(vectors[0]?.length, 1536);
  const call = proxy.requestsTo('/v1/embeddings')[0];
  t.match(call?.body, { model: `db-${embed.id}`, encoding_format: 'float', input: ['hello'] });
  t.equal(call?.headers.authorization, `Bearer ${proxy.masterKey}`, 'the master key authenticates, not a provider key');

  const answer = await collect(router.generate(chat, { ...ask, max_tokens: 50 }));
  t.match(answer.text, new RegExp(`Fake answer from db-${chat.id}`));
  t.match(answer.done, {
    model_id: chat.id,
    fallback_used: false,
    finish_reason: 'stop',
    usage: { completion_tokens: 11 },
  });
  t.match(proxy.requestsTo('/v1/chat/completions')[0]?.body, {
    model: `db-${chat.id}`,
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 50,
  });

  const unsynced = model({ type: 'embedding', provider: 'cohere', model_id: 'embed-v3', config: { dimensions: 1024 } });
  await t.rejects(router.embed(unsynced, ['x']), { kind: 'bad_request', message: /Invalid model name passed/ });
});

t.test('a vector of the wrong length fails with a clear DimensionMismatch error', async (t) => {
  const ollama = await startFakeOllama(t);
  const router = new LlmRouter();
  const embed = model({
    type: 'embedding',
    provider: 'ollama',
    model_id: 'nomic-embed-text',
    api_endpoint: ollama.url,
    config: { dimensions: 1024 },
  });
  const error = await router.embed(embed, ['x']).catch((e: unknown) => e);
  t.ok(error instanceof DimensionMismatchError);
  t.match(error, {
    kind: 'dimension_mismatch',
    expected: 1024,
    actual: 768,
    message: /returned 768-dimensional vectors but its configuration says 1024/,
  });
});

t.test('429 and 5xx are retried with backoff, Retry-After respected; other errors are not', async (t) => {
  const ollama = await startFakeOllama(t);
  const router = new LlmRouter({ retries: 2, retryBaseDelayMs: 10 });
  const embed = model({
    type: 'embedding',
    provider: 'ollama',
    model_id: 'all-minilm',
    api_endpoint: ollama.url,
    config: { dimensions: 384 },
  });

  ollama.failWith({ status: 429, path: '/api/embed', times: 1, headers: { 'retry-after': '0.3' } });
  ollama.failWith({ status: 503, path: '/api/embed', times: 1 });
  const started = Date.now();
  const vectors = await router.embed(embed, ['x']);
  t.equal(vectors.length, 1, 'third attempt succeeds');
  t.equal(ollama.requestsTo('/api/embed').length, 3);
  t.ok(Date.now() - started >= 290, 'waited as long as Retry-After asked');

  ollama.failWith({ status: 500, path: '/api/embed' });
  await t.rejects(router.embed(embed, ['x']), { kind: 'provider_error', message: /HTTP 500/ });
  t.equal(ollama.requestsTo('/api/embed').length, 6, 'gave up after 1 + 2 retries');
  ollama.clearFailures();

  ollama.failWith({ status: 400, path: '/api/embed', body: { error: 'invalid input type' } });
  await t.rejects(router.embed(embed, ['x']), { kind: 'bad_request', message: /invalid input type/ });
  t.equal(ollama.requestsTo('/api/embed').length, 7, 'a 400 is not retried');
  ollama.clearFailures();

  ollama.failWith({ status: 429, path: '/api/embed', headers: { 'retry-after': '3600' } });
  await t.rejects(
    router.embed(embed, ['x']),
    { name: 'LlmError', kind: 'rate_limited' },
    'an hour-long Retry-After fails now',
  );
  t.equal(ollama.requestsTo('/api/embed').length, 8);
});

t.test('timeouts: a hanging provider fails within the limit', async (t) => {
  const ollama = await startFakeOllama(t);
  const router = new LlmRouter({ timeoutMs: 200, retries: 0 });
  await ollama.setOutage('hang');
  const started = Date.now();
  await t.rejects(
    router.embed(
      model({
        type: 'embedding',
        provider: 'ollama',
        model_id: 'all-minilm',
        api_endpoint: ollama.url,
        config: { dimensions: 384 },
      }),
      ['x'],
    ),
    { kind: 'timeout', message: /Timed out after 200 ms waiting for Ollama/ },
  );
  t.ok(Date.now() - started < 1500);
  await ollama.setOutage(null);

  // A stream that stalls mid-answer is cut by the idle timeout.
  const slow = await startFakeOllama(t, { tokenDelayMs: 400 });
  await t.rejects(
    collect(
      router.generate(
        model({ type: 'generation', provider: 'ollama', model_id: 'llama3.2', api_endpoint: slow.url }),
        ask,
      ),
    ),
    { kind: 'timeout', message: /stopped sending/ },
  );
});

t.test('generation falls back to the default model when the configured one is unavailable, and says so', async (t) => {
  const ollama = await startFakeOllama(t);
  const registry = new Registry();
  const router = new LlmRouter({ registry, retries: 0, fallbackGeneration: () => localAnswerer });
  const chat = model({ type: 'generation', provider: 'ollama', model_id: 'llama3.2', api_endpoint: ollama.url });

  await ollama.setOutage('refuse');
  const answer = await collect(
    router.generate(chat, { ...ask, passages: [{ text: 'Refunds are accepted within 30 days.', citation: '[1]' }] }),
  );
  t.match(answer.text, /Refunds are accepted within 30 days\. \[1\]/, 'the local answerer answered');
  t.match(answer.done, {
    model_id: localAnswerer.id,
    fallback_used: true,
    fallback_reason: /Connection refused/,
  });
  t.match(
    await registry.metrics(),
    /lumikb_model_fallback_total\{model="llama3.2",fallback_model="lumikb-extractive-v1"\} 1/,
  );
  t.match(
    await registry.metrics(),
    /lumikb_model_request_total\{model="llama3.2",provider="ollama",type="generation",outcome="unreachable"\} 1/,
  );
  await ollama.setOutage(null);

  // An unknown model (404) is unavailable too.
  const missing = model({
    type: 'generation',
    provider: 'ollama',
    model_id: 'no-such-model',
    api_endpoint: ollama.url,
  });
  t.match((await collect(router.generate(missing, ask))).done, { fallback_used: true, fallback_reason: /not found/ });

  // A proxy provider with no proxy configured falls back as well.
  const cloud = model({ type: 'generation', provider: 'openai', model_id: 'gpt-4o-mini' });
  t.match((await collect(router.generate(cloud, ask))).done, {
    fallback_used: true,
    fallback_reason: /LITELLM_PROXY_URL/,
  });

  // No fallback when the failure comes after tokens were sent: the caller sees the error.
  ollama.failStreamsAfter(2);
  const partial: GenerateChunk[] = [];
  await t.rejects(
    async () => {
      for await (const c of router.generate(chat, ask)) partial.push(c);
    },
    { kind: 'provider_error', message: /failed mid-answer/ },
  );
  t.equal(partial.length, 2, 'the two tokens were delivered, nothing was repeated');
  ollama.failStreamsAfter(undefined);

  // Without a fallback, or when the fallback is the same model, the error surfaces.
  await ollama.setOutage('refuse');
  const bare = new LlmRouter({ retries: 0 });
  await t.rejects(collect(bare.generate(chat, ask)), { name: 'LlmError', kind: 'unreachable' });
  const same = new LlmRouter({ retries: 0, fallbackGeneration: () => chat });
  await t.rejects(collect(same.generate(chat, ask)), { name: 'LlmError', kind: 'unreachable' });
  await ollama.setOutage(null);

  // A bad request is the caller's problem, not an outage: no fallback.
  ollama.failWith({ status: 400, path: '/api/chat', body: { error: 'invalid options' } });
  await t.rejects(collect(router.generate(chat, ask)), { name: 'LlmError', kind: 'bad_request' });
});

t.test('embeddings never fall back', async (t) => {
  const ollama = await startFakeOllama(t);
  const router = new LlmRouter({ retries: 0, fallbackGeneration: () => localAnswerer });
  await ollama.setOutage('refuse');
  const error = await router
    .embed(
      model({
        type: 'embedding',
        provider: 'ollama',
        model_id: 'all-minilm',
        api_endpoint: ollama.url,
        config: { dimensions: 384 },
      }),
      ['x'],
    )
    .catch((e: unknown) => e);
  t.ok(error instanceof LlmError);
  t.match(error, { kind: 'unreachable', message: /Connection refused .*is Ollama running/ });
});

t.test('transient failures before the first token are retried for generation', async (t) => {
  const proxy = await startFakeLiteLLM(t);
  const router = new LlmRouter({
    litellm: { url: proxy.url, masterKey: proxy.masterKey },
    retries: 2,
    retryBaseDelayMs: 5,
  });
  const chat = model({ type: 'generation', provider: 'google', model_id: 'gemini-2.0-flash' });
  await fetch(`${proxy.url}/model/new`, {
    method: 'POST',
    headers: { authorization: `Bearer ${proxy.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model_name: `db-${chat.id}`,
      litellm_params: { model: 'gemini/gemini-2.0-flash' },
      model_info: { id: chat.id },
    }),
  });
  proxy.failWith({ status: 502, path: '/v1/chat/completions', times: 2 });
  const answer = await collect(router.generate(chat, ask));
  t.match(answer.done, { fallback_used: false, model_id: chat.id });
  t.equal(proxy.requestsTo('/v1/chat/completions').length, 3);

  const controller = new AbortController();
  const stream = router.generate(chat, { ...ask, signal: controller.signal });
  controller.abort();
  await t.rejects(collect(stream), { name: 'LlmError', kind: 'aborted' }, 'a cancelled request stops');
});
