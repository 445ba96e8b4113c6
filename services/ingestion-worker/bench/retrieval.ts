/**
 * Retrieval quality and latency (issue 14): Cranfield (bench/data/cranfield) ingested
 * through the API into a throw-away KB with the default models and the real pipeline
 * (upload → worker parse, chunk, embed, index), its 225 queries sent to
 * `POST /api/v1/search`, and nDCG@10, MAP@100, Recall@100, MRR@10 printed for each
 * retrieval mode next to the plain BM25 baseline computed in the same run (the bench-data
 * README's definition). Hits are chunks; a document's rank is that of its best chunk.
 * Then search latency p50/p99 for each mode at 1 and 50 concurrent clients.
 * Runs on the local Postgres and NATS (or DATABASE_URL / NATS_URL).
 */

import { signJwt, type Teardown } from '@lumikb/test-kit';
import { baselineBm25, type CranDoc, evaluate, loadCranfield, type Metrics } from '../../../bench/lib/cranfield.ts';
import { closedLoop } from '../../../bench/lib/stats.ts';
import { startPipeline } from '../test/pipeline-helper.ts';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** Chunks asked for per query: enough distinct documents for Recall@100 after collapsing chunks. */
const TOP_K = 100;

/** The operator's token for as long as the benchmark runs (the test platform's expire in 5 minutes). */
function longLivedOperatorToken(pipeline: Pipeline): string {
  const claims = JSON.parse(Buffer.from(pipeline.tokens.operator.split('.')[1]!, 'base64url').toString('utf8'));
  const { iat: _iat, exp: _exp, ...rest } = claims as Record<string, unknown>;
  return signJwt(pipeline.platform.keys.privateKey, rest, 4 * 3600);
}

async function uploadAll(
  pipeline: Pipeline,
  token: string,
  kbId: string,
  docs: CranDoc[],
): Promise<Map<string, number>> {
  const byDocumentId = new Map<string, number>();
  for (let start = 0; start < docs.length; start += 100) {
    const boundary = `----cran${start}`;
    const slice = docs.slice(start, start + 100);
    const parts = slice.map(
      (d) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="cran-${String(d.id).padStart(4, '0')}.txt"\r\n` +
        `Content-Type: text/plain\r\n\r\n${d.text}\r\n`,
    );
    const res = await pipeline.kb.app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kbId}/documents/bulk`,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: `${parts.join('')}--${boundary}--\r\n`,
    });
    if (res.statusCode !== 201) throw new Error(`bulk upload failed: ${res.statusCode} ${res.body.slice(0, 300)}`);
    const items = res.json().items as { document?: { id: string; name: string } }[];
    items.forEach((item, i) => {
      if (item.document) byDocumentId.set(item.document.id, slice[i]!.id);
    });
  }
  return byDocumentId;
}

export async function benchRetrieval(
  options: { modes?: string[]; latencySeconds?: number } = {},
): Promise<Record<string, string | number>> {
  const teardowns: (() => unknown)[] = [];
  const t: Teardown = { teardown: (fn) => void teardowns.push(fn) };
  const modes = options.modes ?? (process.env.RETRIEVAL_BENCH_MODES ?? 'hybrid,vector,keyword').split(',');
  const latencyMs = (options.latencySeconds ?? Number(process.env.RETRIEVAL_BENCH_LATENCY_S ?? 5)) * 1000;
  try {
    const { docs, queries, qrels } = loadCranfield();
    const indexed = docs.filter((d) => d.text.length > 0);

    // The baseline, in this run.
    const bm25 = baselineBm25(docs);
    const out: Record<string, string | number> = {};
    const row = (label: string, m: Metrics) => {
      out[label] =
        `nDCG@10 ${m.ndcg10.toFixed(3)}  MAP@100 ${m.map100.toFixed(3)}  R@100 ${m.recall100.toFixed(3)}  MRR@10 ${m.mrr10.toFixed(3)}`;
    };
    const baseline = evaluate(qrels, new Map(queries.map((q) => [q.number, bm25(q.text, 100)])), queries.length);
    row('baseline BM25 (README definition)', baseline);

    const pipeline = await startPipeline(t, {
      kbEnv: { SEARCH_MAX_CONCURRENT_PER_USER: '64' },
      workerEnv: { WORKER_CONCURRENCY: '8', PROGRESS_INTERVAL_MS: '1000' },
    });
    const token = longLivedOperatorToken(pipeline);
    const kb = await pipeline.api.createKb({ name: 'Cranfield (benchmark)' }, token);
    const ingestStarted = performance.now();
    const cranIdOf = await uploadAll(pipeline, token, kb.id, indexed);
    await pipeline.api.waitForKbProcessed(kb.id, cranIdOf.size, {
      timeoutMs: 1_200_000,
      intervalMs: 200,
      what: 'every Cranfield document processed',
    });
    out['ingested documents'] = `${cranIdOf.size} in ${((performance.now() - ingestStarted) / 1000).toFixed(0)} s`;
    const failed = await pipeline.kb.deps.db.db
      .selectFrom('documents')
      .select('id')
      .where('kb_id', '=', kb.id)
      .where('status', '=', 'FAILED')
      .execute();
    if (failed.length > 0) throw new Error(`${failed.length} Cranfield documents FAILED`);

    const body = (query: string, mode: string) =>
      JSON.stringify({ query, kb_ids: [kb.id], top_k: TOP_K, ...(mode === 'default' ? {} : { retrieval_mode: mode }) });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const rankAll = async (mode: string) => {
      const ranked = new Map<number, number[]>();
      for (const q of queries) {
        const res = await fetch(`${pipeline.kbUrl}/api/v1/search`, {
          method: 'POST',
          headers,
          body: body(q.text, mode),
        });
        if (res.status !== 200) throw new Error(`search (${mode}) answered ${res.status}: ${await res.text()}`);
        const json = (await res.json()) as { results: { document_id: string }[]; mode?: string };
        const seen: number[] = [];
        for (const hit of json.results) {
          const id = cranIdOf.get(hit.document_id);
          if (id !== undefined && !seen.includes(id)) seen.push(id);
        }
        ranked.set(q.number, seen);
      }
      return ranked;
    };
    // The queries in two halves (odd / even judgement numbers), each scored on its own: the
    // throw-away evaluation that chose among the literature's defaults looked at the odd half.
    const half = (ranked: Map<number, number[]>, parity: 0 | 1) => {
      const picked = queries.filter((q) => q.number % 2 === parity);
      const r = new Map<number, number[]>();
      const j: typeof qrels = new Map();
      picked.forEach((q, i) => {
        r.set(i + 1, ranked.get(q.number) ?? []);
        j.set(i + 1, qrels.get(q.number) ?? new Map());
      });
      return evaluate(j, r, picked.length);
    };
    const score = (label: string, ranked: Map<number, number[]>) => {
      const m = evaluate(qrels, ranked, queries.length);
      row(label, m);
      out[`${label}: nDCG@10 / baseline`] = (m.ndcg10 / baseline.ndcg10).toFixed(3);
      out[`${label}: nDCG@10 odd / even queries`] =
        `${half(ranked, 1).ndcg10.toFixed(3)} / ${half(ranked, 0).ndcg10.toFixed(3)}`;
    };
    out['baseline: nDCG@10 odd / even queries'] =
      `${half(new Map(queries.map((q) => [q.number, bm25(q.text, 100)])), 1).ndcg10.toFixed(3)} / ${half(new Map(queries.map((q) => [q.number, bm25(q.text, 100)])), 0).ndcg10.toFixed(3)}`;
    for (const mode of modes) score(mode, await rankAll(mode));

    // The KB's other settings, for comparison (RETRIEVAL_BENCH_VARIANTS=0 skips them).
    if (process.env.RETRIEVAL_BENCH_VARIANTS !== '0') {
      const variants: [string, string, Record<string, unknown>][] = [
        ['keyword, no expansion', 'keyword', { query_expansion: 'none' }],
        ['hybrid rrf k 60, no expansion', 'hybrid', { query_expansion: 'none', fusion: { method: 'rrf' } }],
        ['hybrid rrf k 60, rm3', 'hybrid', { fusion: { method: 'rrf' } }],
        ['hybrid weighted 0.5, no expansion', 'hybrid', { query_expansion: 'none' }],
      ];
      const setOverrides = async (config_overrides: Record<string, unknown>) => {
        const res = await pipeline.kb.app.inject({
          method: 'PUT',
          url: `/api/v1/knowledge-bases/${kb.id}/model-config`,
          headers: { authorization: `Bearer ${token}` },
          payload: { config_overrides },
        });
        if (res.statusCode !== 200) throw new Error(`model-config answered ${res.statusCode}: ${res.body}`);
      };
      for (const [label, mode, overrides] of variants) {
        await setOverrides(overrides);
        score(label, await rankAll(mode));
      }
      await setOverrides({});
    }

    let next = 0;
    for (const mode of modes) {
      for (const concurrency of [1, 50]) {
        const r = await closedLoop(
          pipeline.kbUrl,
          {
            method: 'POST',
            path: '/api/v1/search',
            headers,
            body: () => body(queries[next++ % queries.length]!.text, mode),
          },
          { concurrency, durationMs: latencyMs, warmupMs: 500 },
        );
        out[`${mode}: latency at ${concurrency} client${concurrency === 1 ? '' : 's'}`] =
          `p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  (${r.rps.toFixed(0)} req/s, ${r.errors} errors)`;
      }
    }
    return out;
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}
