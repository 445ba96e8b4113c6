/**
 * Reranking end to end (docs/retrieval.md#reranking): documents through the real worker, a
 * KB bound to a rerank model, the knowledge-base service calling the fake LiteLLM proxy's
 * /rerank, which calls the fake Cohere server like the real proxy does. The KB's best
 * fused hits come back in the order the fake scores them; when the reranker fails or runs
 * out of time, search and chat still answer, unreranked, and say so (and a metric counts it).
 */
import { proxyAlias } from '@lumikb/contracts';
import { auth, modelView, registerModel } from '@lumikb/knowledge-base/testing';
import { LlmRouter } from '@lumikb/llm';
import { startFakeLiteLLM, startFakeReranker } from '@lumikb/test-kit';
import t from 'tap';
import { parseSse, startPipeline } from './pipeline-helper.ts';

const DOCS: Record<string, string> = {
  alpha: 'The alpha pump moves water from the well to the tank.',
  bravo: 'Bravo notes: the pump needs a new seal every spring.',
  charlie: 'Charlie manual: to prime the pump, open the valve first.',
  delta: 'Delta log: the pump stopped twice; the pump fuse was replaced.',
};
/** The fake reranker's opinion: charlie best, then alpha, bravo, delta. */
const SCORES: Record<string, number> = { charlie: 0.97, alpha: 0.61, bravo: 0.3, delta: 0.05 };
const scoreOf = (_query: string, document: string) =>
  SCORES[Object.keys(DOCS).find((name) => document.includes(DOCS[name]!.slice(0, 12))) ?? ''] ?? 0;

type Hit = {
  document_id: string;
  ranks: { lexical: number | null; vector: number | null; rerank?: number | null };
  rerank_score?: number;
};

async function metricValue(
  app: { inject: (o: { method: 'GET'; url: string }) => Promise<{ body: string }> },
  outcome: string,
) {
  const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = body.split('\n').find((l) => l.startsWith(`lumikb_search_rerank_total{outcome="${outcome}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

t.test(
  'a KB with a rerank model: its best hits in the reranker order; failures answer unreranked, flagged',
  async (t) => {
    const cohere = await startFakeReranker(t, { flavour: 'cohere', apiKey: 'co-key', score: scoreOf });
    const proxy = await startFakeLiteLLM(t);
    const pipeline = await startPipeline(t, {
      kbEnv: { RERANK_TIMEOUT_MS: '2000' },
      kbOptions: {
        llm: (options) =>
          new LlmRouter({ ...options, litellm: { url: proxy.url, masterKey: proxy.masterKey }, retries: 0 }),
      },
    });
    const { api, kb: kbApp, tokens } = pipeline;
    const reranker = await registerModel(
      kbApp,
      modelView({
        type: 'rerank',
        provider: 'cohere',
        name: 'Cohere rerank',
        model_id: 'rerank-v3.5',
        config: { max_documents: 100 },
      }),
    );
    // What proxy-sync registers for it.
    await fetch(`${proxy.url}/model/new`, {
      method: 'POST',
      headers: { authorization: `Bearer ${proxy.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model_name: proxyAlias(reranker.id),
        litellm_params: { model: 'cohere/rerank-v3.5', api_base: cohere.url, api_key: 'co-key' },
        model_info: { id: reranker.id, mode: 'rerank' },
      }),
    });

    const kb = await api.createKb({ name: 'Pumps' });
    const ids: Record<string, string> = {};
    for (const [name, text] of Object.entries(DOCS)) {
      const doc = await api.upload(kb.id, `${name}.txt`, text);
      ids[name] = doc.id;
      t.equal((await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED'])).status, 'READY');
    }
    const nameOf = (id: string) => Object.keys(ids).find((n) => ids[n] === id);
    const search = async () => {
      const res = await api.search({ query: 'pump', kb_ids: [kb.id], top_k: 10 });
      t.equal(res.statusCode, 200);
      return res.json() as { results: Hit[]; retrieval: Record<string, unknown>[] };
    };

    const plain = await search();
    t.match(plain.retrieval, [{ rerank: null, rerank_reason: null }], 'no rerank model: nothing said, nothing called');
    t.equal(cohere.calls().length, 0);
    const fusedOrder = plain.results.map((h) => nameOf(h.document_id));
    t.equal(fusedOrder.length, 4);

    const bind = await kbApp.app.inject({
      method: 'PUT',
      url: `/api/v1/knowledge-bases/${kb.id}/model-config`,
      headers: auth(tokens.operator),
      payload: { config_overrides: { rerank: { model_id: reranker.id, top_n: 3 } } },
    });
    t.equal(bind.statusCode, 200, bind.body);
    t.same(bind.json().effective_config.rerank, { model_id: reranker.id, top_n: 3 });

    const reranked = await search();
    t.match(reranked.retrieval, [{ kb_id: kb.id, mode: 'hybrid', rerank: 'applied', rerank_reason: null }]);
    const [call] = cohere.calls();
    t.equal(call?.query, 'pump');
    t.equal(call?.documents.length, 3, 'only the top_n best fused hits are sent');
    const headNames = fusedOrder.slice(0, 3);
    const expected = [...headNames].sort((a, b) => SCORES[b!]! - SCORES[a!]!);
    t.same(
      reranked.results.slice(0, 3).map((h) => nameOf(h.document_id)),
      expected,
      'the first three in the order the reranker scored them',
    );
    t.same(
      reranked.results.map((h) => h.ranks.rerank),
      [1, 2, 3, null],
      'each hit says its rerank position; the one beyond top_n was not reranked',
    );
    t.equal(nameOf(reranked.results[3]!.document_id), fusedOrder[3], 'the rest keep their fused order');
    t.equal(reranked.results[0]!.rerank_score, SCORES[expected[0]!]);
    t.ok((await metricValue(kbApp.app, 'applied')) >= 1);

    // The reranker fails: the same hits, unreranked, flagged, counted.
    cohere.failWith({ status: 500, times: 1 });
    const failedBefore = await metricValue(kbApp.app, 'failed');
    const failed = await search();
    t.match(failed.retrieval, [{ rerank: 'failed', rerank_reason: 'RERANK_UNAVAILABLE' }]);
    t.same(
      failed.results.map((h) => nameOf(h.document_id)),
      fusedOrder,
      'unreranked: the fused order',
    );
    t.ok(failed.results.every((h) => h.ranks.rerank === null && h.rerank_score === undefined));
    t.equal(await metricValue(kbApp.app, 'failed'), failedBefore + 1, 'the failure is counted');

    // Chat retrieves the same way: reranked passages, and the same flag and a note when it fails.
    cohere.setLatency(0);
    const chat = async () => {
      const res = await kbApp.app.inject({
        method: 'POST',
        url: '/api/v1/chat',
        headers: auth(tokens.operator),
        payload: { kb_id: kb.id, message: 'pump' },
      });
      t.equal(res.statusCode, 200);
      return parseSse(res.body);
    };
    const answered = await chat();
    const done = answered.find((e) => e.event === 'done')!.data;
    t.match(done.retrieval, [{ kb_id: kb.id, rerank: 'applied' }]);
    const citations = answered.find((e) => e.event === 'citations')!.data.citations as Hit[];
    t.ok(citations.length > 0, 'the answer cites passages');
    t.ok(
      citations.every((c) => c.ranks.rerank !== undefined),
      'chat cites reranked passages (each with its rerank rank)',
    );
    const best = citations.find((c) => c.ranks.rerank === 1);
    if (best) t.equal(nameOf(best.document_id), expected[0], "the reranker's first is the same passage as in search");

    // At the proxy, so no earlier request of the fake Cohere can take the failure.
    proxy.failWith({ status: 503, path: '/rerank', times: 1 });
    const degraded = (await chat()).find((e) => e.event === 'done')!.data;
    t.match(degraded.retrieval, [{ rerank: 'failed', rerank_reason: 'RERANK_UNAVAILABLE' }]);
    t.match(degraded.notes, [/"Pumps" was not reranked \(the rerank model failed\)/]);

    // A reranker that never answers: the 2 s budget ends the wait.
    await cohere.setOutage('hang');
    const slow = await search();
    t.match(slow.retrieval, [{ rerank: 'failed', rerank_reason: 'RERANK_TIMEOUT' }]);
    t.same(
      slow.results.map((h) => nameOf(h.document_id)),
      fusedOrder,
    );
    t.ok((await metricValue(kbApp.app, 'timeout')) >= 1, 'timeouts are counted apart');
    await cohere.setOutage(null);
  },
);
