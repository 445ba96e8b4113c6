/** The fake model servers speak the wire formats of reference/protocols.md. */
import t from 'tap';
import { startFakeLiteLLM, startFakeOllama, startFakeProviders } from '../src/index.ts';

const json = { 'content-type': 'application/json' };

t.test('fake LiteLLM: management API, error shapes, health, auth', async (t) => {
  const proxy = await startFakeLiteLLM(t, {
    configModels: [{ model_name: 'cfg', litellm_params: { model: 'openai/gpt-4o' }, model_info: { id: 'cfg-1' } }],
  });
  const auth = { authorization: `Bearer ${proxy.masterKey}`, ...json };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => {
    const res = await fetch(`${proxy.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  t.same(await call('GET', '/health/liveliness', undefined, {}), { status: 200, body: "I'm alive!" });
  t.match(await call('GET', '/health/readiness', undefined, {}), {
    status: 200,
    body: { status: 'connected', db: 'connected', cache: null, litellm_version: /^1\./ },
  });
  t.match(await call('GET', '/model/info', undefined, {}), {
    status: 401,
    body: { error: { message: /^Authentication Error/, type: 'auth_error', code: '401' } },
  });
  t.match(await call('GET', '/model/info', undefined, { 'x-litellm-api-key': proxy.masterKey }), { status: 200 });

  const deployment = {
    model_name: 'db-1',
    litellm_params: { model: 'openai/text-embedding-3-small', api_key: 'sk-upstream' },
    model_info: { id: 'id-1', mode: 'embedding', output_vector_size: 8 },
  };
  const created = await call('POST', '/model/new', deployment);
  t.match(created, { status: 200, body: { model_id: 'id-1', model_name: 'db-1', model_info: { id: 'id-1' } } });
  t.not((created.body.litellm_params as { api_key: string }).api_key, 'sk-upstream', 'stored params are encrypted');
  t.match(await call('POST', '/model/new', deployment), {
    status: 400,
    body: { error: { message: /^Authentication Error, .*[Uu]nique constraint/, type: 'auth_error', code: '400' } },
  });
  const info = await call('GET', '/model/info?litellm_model_id=id-1');
  t.match(info, { status: 200, body: { data: [{ model_name: 'db-1', model_info: { id: 'id-1', db_model: true } }] } });
  t.notOk(JSON.stringify(info.body).includes('sk-upstream'), '/model/info strips the key');
  t.same(await call('GET', '/model/info?litellm_model_id=nope'), {
    status: 400,
    body: { detail: { error: 'Model id = nope not found on litellm proxy' } },
  });
  t.match((await call('GET', '/model/info')).body, { data: [{ model_info: { id: 'cfg-1', db_model: false } }, {}] });

  t.match(await call('PATCH', '/model/id-1/update', { litellm_params: { api_base: 'https://x' } }), { status: 200 });
  t.equal(proxy.deployment('id-1')?.litellm_params.api_key, 'sk-upstream', 'PATCH merges');
  t.match(await call('PATCH', '/model/nope/update', { litellm_params: {} }), { status: 404 });
  t.match(await call('PATCH', '/model/cfg-1/update', { litellm_params: {} }), {
    status: 400,
    body: { error: { message: /Cannot edit config-based model/ } },
  });

  // Embeddings and chat by alias.
  const embedded = await call('POST', '/v1/embeddings', { model: 'db-1', input: ['a', 'b'], encoding_format: 'float' });
  t.match(embedded, { status: 200, body: { object: 'list', data: [{ index: 0 }, { index: 1 }] } });
  t.equal((embedded.body.data as { embedding: number[] }[])[0]?.embedding.length, 8, 'output_vector_size');
  const b64 = await call('POST', '/v1/embeddings', { model: 'db-1', input: 'a', encoding_format: 'base64' });
  const raw = Buffer.from((b64.body.data as { embedding: string }[])[0]?.embedding ?? '', 'base64');
  t.equal(raw.length, 8 * 4, 'base64 is little-endian float32');
  t.match(await call('POST', '/v1/embeddings', { model: 'db-x', input: 'a' }), {
    status: 400,
    body: { error: { message: /^Invalid model name passed in model=db-x/ } },
  });

  const stream = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      model: 'db-1',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  t.match(stream.headers.get('content-type'), /text\/event-stream/);
  const events = (await stream.text()).split('\n\n').filter(Boolean);
  t.ok(events.every((e) => e.startsWith('data: ')));
  t.equal(events.at(-1), 'data: [DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
  t.match(chunks[0], { object: 'chat.completion.chunk', choices: [{ delta: { role: 'assistant' } }] });
  t.match(chunks.at(-1), { choices: [], usage: { total_tokens: Number } }, 'include_usage adds a usage chunk');
  t.match(chunks.at(-2), { choices: [{ finish_reason: 'stop' }] });

  t.same(await call('POST', '/model/delete', { id: 'id-1' }), {
    status: 200,
    body: { message: 'Model: id-1 deleted successfully' },
  });
  t.match(await call('POST', '/model/delete', { id: 'id-1' }), {
    status: 400,
    body: { error: { message: "{'error': 'Model with id=id-1 not found in db'}", code: '400' } },
  });
  proxy.setStoreModelInDb(false);
  t.match(await call('POST', '/model/new', deployment), { status: 500, body: { error: /STORE_MODEL_IN_DB/ } });
});

t.test('fake Ollama: NDJSON streams, error bodies, tags', async (t) => {
  const ollama = await startFakeOllama(t);
  t.equal(await (await fetch(ollama.url)).text(), 'Ollama is running');
  t.match(await (await fetch(`${ollama.url}/api/version`)).json(), { version: /\d+\.\d+/ });
  t.match(await (await fetch(`${ollama.url}/api/tags`)).json(), {
    models: [{ name: 'nomic-embed-text:latest', details: { format: 'gguf' } }],
  });

  const post = (path: string, body: unknown) =>
    fetch(`${ollama.url}${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) });
  t.match(await (await post('/api/embed', { model: 'nomic-embed-text', input: 'x' })).json(), {
    model: 'nomic-embed-text:latest',
    embeddings: [{ length: 768 }],
  });
  const unknown = await post('/api/embed', { model: 'nope', input: 'x' });
  t.equal(unknown.status, 404);
  t.same(await unknown.json(), { error: "model 'nope' not found" });
  const missing = await fetch(`${ollama.url}/api/embed`, { method: 'POST' });
  t.same([missing.status, await missing.json()], [400, { error: 'missing request body' }]);
  t.same(await (await post('/api/embed', { model: 'all-minilm', input: 3 })).json(), { error: 'invalid input type' });

  const chat = await post('/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: 'hello' }] });
  t.match(chat.headers.get('content-type'), /application\/x-ndjson/);
  const lines = (await chat.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.match(lines[0], { model: 'llama3.2:latest', message: { role: 'assistant' }, done: false });
  t.match(lines.at(-1), { done: true, done_reason: 'stop', eval_count: Number, total_duration: Number });

  ollama.failStreamsAfter(1);
  const broken = await post('/api/generate', { model: 'llama3.2', prompt: 'hello' });
  t.equal(broken.status, 200, 'a mid-stream error keeps status 200');
  t.match(
    (await broken.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [{ response: String, done: false }, { error: String }],
  );
});

t.test('switches: latency, injected failures, outages', async (t) => {
  const fake = await startFakeProviders(t, { apiKey: 'k' });
  const models = () => fetch(`${fake.url}/v1/models`, { headers: { authorization: 'Bearer k' } });

  fake.failWith({ status: 429, times: 1, headers: { 'retry-after': '2' } });
  const limited = await models();
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '2');
  t.equal((await models()).status, 200, 'times: 1');

  fake.setLatency(150);
  const started = Date.now();
  await models();
  t.ok(Date.now() - started >= 140);
  fake.setLatency(0);

  await fake.setOutage('refuse');
  await t.rejects(models(), { cause: { code: 'ECONNREFUSED' } });
  await fake.setOutage('reset');
  await t.rejects(models(), { message: 'fetch failed' });
  await fake.setOutage('hang');
  await t.rejects(fetch(`${fake.url}/v1/models`, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
  await fake.setOutage(null);
  t.equal((await models()).status, 200, 'back after the outage, same port');
  t.ok(fake.requestsTo('/v1/models', 'GET').length >= 5, 'requests are logged, outages included');
});
