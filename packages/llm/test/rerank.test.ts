/**
 * Rerank models: the router through the LiteLLM proxy's /rerank (which calls the fake
 * Cohere or Jina server like the real proxy does), and connection tests at each provider's
 * native API, against the fakes' documented wire formats.
 */
import { randomUUID } from 'node:crypto';
import { proxyAlias } from '@lumikb/contracts';
import { startFakeLiteLLM, startFakeReranker } from '@lumikb/test-kit';
import t from 'tap';
import {
  LlmError,
  type LlmModel,
  LlmRouter,
  OutboundPolicy,
  parseRerankResults,
  testModelConnection,
} from '../src/index.ts';

const loopbackAllowed = new OutboundPolicy({ allowHosts: ['127.0.0.1'] });
t.teardown(() => loopbackAllowed.close());

const rerankModel = (overrides: Partial<LlmModel> = {}): LlmModel => ({
  id: randomUUID(),
  type: 'rerank',
  provider: 'cohere',
  model_id: 'rerank-v3.5',
  api_endpoint: null,
  config: {},
  ...overrides,
});

const DOCS = ['apples and pears', 'the best passage about rerank servers', 'nothing relevant here'];

t.test('router.rerank goes through the proxy to the Cohere upstream and returns its order', async (t) => {
  const cohere = await startFakeReranker(t, { flavour: 'cohere', apiKey: 'co-key' });
  cohere.setScorer((_q, d) => (d.includes('best') ? 0.9 : d.includes('apples') ? 0.5 : 0.1));
  const proxy = await startFakeLiteLLM(t);
  const model = rerankModel();
  await fetch(`${proxy.url}/model/new`, {
    method: 'POST',
    headers: { authorization: `Bearer ${proxy.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model_name: proxyAlias(model.id),
      litellm_params: { model: 'cohere/rerank-v3.5', api_base: cohere.url, api_key: 'co-key' },
      model_info: { id: model.id, mode: 'rerank' },
    }),
  });
  const router = new LlmRouter({ litellm: { url: proxy.url, masterKey: proxy.masterKey }, retries: 0 });
  const results = await router.rerank(model, 'best rerank passage', DOCS, { topN: 2 });
  t.same(
    results.map((r) => r.index),
    [1, 0],
    'best first, cut to top_n',
  );
  t.equal(results[0]?.relevance_score, 0.9);
  const [call] = cohere.calls();
  t.equal(call?.path, '/v1/rerank', 'LiteLLM calls Cohere at /v1/rerank');
  t.equal(call?.model, 'rerank-v3.5');
  t.equal(call?.top_n, 2);
  t.equal(proxy.requestsTo('/rerank')[0]?.headers.authorization, `Bearer ${proxy.masterKey}`);

  cohere.failWith({ status: 500, times: 1 });
  const failed = await router.rerank(model, 'q', DOCS).catch((e) => e);
  t.ok(failed instanceof LlmError);
  t.equal((failed as LlmError).kind, 'provider_error', 'an upstream 5xx is a provider error');

  cohere.setLatency(400);
  const slow = await router.rerank(model, 'q', DOCS, { timeoutMs: 100 }).catch((e) => e);
  t.equal((slow as LlmError).kind, 'timeout', 'the time budget is kept');
  cohere.setLatency(0);

  const wrong = await router.rerank({ ...model, type: 'embedding' }, 'q', DOCS).catch((e) => e);
  t.equal((wrong as LlmError).kind, 'bad_request', 'only rerank models rerank');
  const noProxy = await new LlmRouter().rerank(model, 'q', DOCS).catch((e) => e);
  t.equal((noProxy as LlmError).kind, 'not_configured', 'without a proxy: not_configured');
  t.same(await router.rerank(model, 'q', []), [], 'nothing to rerank: no call');
});

t.test('a Jina-compatible (custom) upstream through the proxy', async (t) => {
  const jina = await startFakeReranker(t, { flavour: 'jina', apiKey: null });
  const proxy = await startFakeLiteLLM(t);
  const model = rerankModel({ provider: 'custom', model_id: 'bge-reranker-v2-m3' });
  await fetch(`${proxy.url}/model/new`, {
    method: 'POST',
    headers: { authorization: `Bearer ${proxy.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model_name: proxyAlias(model.id),
      litellm_params: { model: 'jina_ai/bge-reranker-v2-m3', api_base: `${jina.url}/ignored/path`, api_key: 'no-key' },
      model_info: { id: model.id, mode: 'rerank' },
    }),
  });
  const router = new LlmRouter({ litellm: { url: proxy.url, masterKey: proxy.masterKey }, retries: 0 });
  const results = await router.rerank(model, 'rerank servers', DOCS);
  t.equal(results[0]?.index, 1);
  t.equal(jina.calls()[0]?.path, '/v1/rerank', 'only the origin of api_base is used');
});

t.test('connection tests make a real small rerank call at the native API', async (t) => {
  const cohere = await startFakeReranker(t, { flavour: 'cohere', apiKey: 'co-key', models: ['rerank-v3.5'] });
  const jina = await startFakeReranker(t, { flavour: 'jina', apiKey: 'jina-key' });
  const options = { outbound: loopbackAllowed, timeoutMs: 2_000 };

  const ok = await testModelConnection(rerankModel({ api_endpoint: cohere.url }), { apiKey: 'co-key' }, options);
  t.equal(ok.success, true, ok.message);
  t.match(ok.message, /Rerank works: Cohere scored 2 test passages/);
  t.equal(cohere.calls()[0]?.path, '/v2/rerank', 'Cohere is tested at v2');

  const badKey = await testModelConnection(rerankModel({ api_endpoint: cohere.url }), { apiKey: 'nope' }, options);
  t.equal(badKey.success, false);
  t.equal(badKey.details.kind, 'auth');
  t.match(badKey.message, /rejected the credentials \(HTTP 401\): invalid api token/);
  t.notMatch(JSON.stringify(badKey), /nope/, 'the key is never echoed');

  const missing = await testModelConnection(
    rerankModel({ api_endpoint: cohere.url, model_id: 'rerank-nothing' }),
    { apiKey: 'co-key' },
    options,
  );
  t.equal(missing.details.kind, 'not_found');

  const jinaOk = await testModelConnection(
    rerankModel({ provider: 'jina', model_id: 'jina-reranker-v2-base-multilingual', api_endpoint: jina.url }),
    { apiKey: 'jina-key' },
    options,
  );
  t.equal(jinaOk.success, true, jinaOk.message);
  t.equal(jina.calls()[0]?.path, '/v1/rerank');

  const custom = await testModelConnection(
    rerankModel({ provider: 'custom', model_id: 'bge', api_endpoint: `${jina.url}/v1` }),
    { apiKey: 'jina-key' },
    options,
  );
  t.equal(custom.success, true, custom.message);

  jina.setLatency(1_000);
  const slow = await testModelConnection(
    rerankModel({ provider: 'jina', api_endpoint: jina.url }),
    { apiKey: 'jina-key' },
    { ...options, timeoutMs: 200 },
  );
  t.equal(slow.success, false);
  t.equal(slow.details.kind, 'timeout', slow.message);
  jina.setLatency(0);

  jina.failWith({ status: 200, body: { results: [{ index: 7, relevance_score: 1 }] }, times: 1 });
  const garbage = await testModelConnection(
    rerankModel({ provider: 'jina', api_endpoint: jina.url }),
    { apiKey: 'jina-key' },
    options,
  );
  t.equal(garbage.success, false);
  t.equal(garbage.details.kind, 'invalid_response', garbage.message);
});

t.test('rerank answers are checked', async (t) => {
  const parse = (body: unknown) => () => parseRerankResults(body, 2, 'X', 'http://x');
  t.throws(parse({}), /no "results" array/);
  t.throws(parse({ results: [{ index: 2, relevance_score: 1 }] }), /not one of the 2 documents/);
  t.throws(
    parse({
      results: [
        { index: 0, relevance_score: 1 },
        { index: 0, relevance_score: 1 },
      ],
    }),
    /ranked twice/,
  );
  t.throws(parse({ results: [{ index: 0, relevance_score: 'high' }] }), /not a number/);
  t.same(
    parseRerankResults(
      {
        results: [
          { index: 0, relevance_score: 0.1 },
          { index: 1, relevance_score: 0.7 },
        ],
      },
      2,
      'X',
      'u',
    ).map((r) => r.index),
    [1, 0],
    'ordered best first whatever the server sent',
  );
});
