/**
 * A fake rerank server speaking the providers' documented wire formats:
 *
 * - Cohere (`flavour: 'cohere'`, docs.cohere.com "Rerank API (v2)" and v1):
 *   `POST /v2/rerank` and `POST /v1/rerank` with `Authorization: Bearer <key>`, body
 *   `{model, query, documents: string[] (v1 also {text}), top_n?, return_documents? (v1),
 *   max_tokens_per_doc? (v2)}` → `{id, results: [{index, relevance_score, document? (v1)}],
 *   meta: {api_version: {version}, billed_units: {search_units}}}`; errors
 *   `{id, message}` (400 bad request, 401 "invalid api token", 404 unknown model, 429, 5xx).
 * - Jina (`flavour: 'jina'`, jina.ai/reranker, also what Jina-compatible servers such as
 *   Infinity answer): `POST /v1/rerank` with `Authorization: Bearer <key>`, body
 *   `{model, query, documents, top_n?, return_documents? (default true)}` →
 *   `{model, usage: {total_tokens}, results: [{index, relevance_score, document?: {text}}]}`;
 *   errors FastAPI-style `{detail}` (401, 422 with a list of field errors for a bad body).
 *
 * Results are best first and cut to `top_n`. Scores come from `score(query, document)`
 * (default: the share of the query's words found in the document), so tests decide the
 * order. Latency, injected errors and outages come from the shared FakeControls.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Teardown } from '../database.ts';
import { sendJson } from '../fake-server.ts';
import { type FakeControls, readAuth, startControlledServer } from './model-server-kit.ts';

export type RerankFlavour = 'cohere' | 'jina';
export type RerankScorer = (query: string, document: string) => number;

export interface FakeRerankerOptions {
  /** Which provider's paths, response shape and error envelopes (default `cohere`). */
  flavour?: RerankFlavour;
  /** The bearer key every call must carry (default `fake-rerank-key`; `null`: no authentication). */
  apiKey?: string | null;
  /** Known model names; others answer 404 (Cohere) or 400 (Jina). Omit to accept any. */
  models?: string[];
  score?: RerankScorer;
}

export interface FakeReranker extends FakeControls {
  flavour: RerankFlavour;
  apiKey: string | null;
  /** Replaces the scoring function (undefined restores the default). */
  setScorer(score: RerankScorer | undefined): void;
  /** Every rerank call's parsed body, oldest first. */
  calls(): { path: string; model: string; query: string; documents: string[]; top_n?: number }[];
}

/** Most documents one request may carry (Cohere's documented limit). */
export const FAKE_RERANK_MAX_DOCUMENTS = 1_000;

const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** The share of the query's distinct words that occur in the document (0..1). */
export const overlapScore: RerankScorer = (query, document) => {
  const q = new Set(words(query));
  if (q.size === 0) return 0;
  const d = new Set(words(document));
  let hit = 0;
  for (const w of q) if (d.has(w)) hit++;
  return hit / q.size;
};

const cohereError = (message: string) => ({ id: randomUUID(), message });
const jinaError = (detail: unknown) => ({ detail });

export async function startFakeReranker(
  t: Teardown | undefined,
  options: FakeRerankerOptions = {},
): Promise<FakeReranker> {
  const flavour = options.flavour ?? 'cohere';
  const apiKey = options.apiKey === undefined ? 'fake-rerank-key' : options.apiKey;
  let scorer: RerankScorer = options.score ?? overlapScore;
  const calls: ReturnType<FakeReranker['calls']> = [];

  const fail = (res: ServerResponse, status: number, message: string, field?: string) => {
    if (flavour === 'cohere') return sendJson(res, status, cohereError(message));
    if (status === 422) {
      return sendJson(res, 422, jinaError([{ loc: ['body', field ?? 'body'], msg: message, type: 'value_error' }]));
    }
    return sendJson(res, status, jinaError(message));
  };

  const controls = await startControlledServer(
    t,
    async (req, res, recorded) => {
      const { path, method } = recorded;
      const version = path === '/v2/rerank' ? 2 : path === '/v1/rerank' ? 1 : 0;
      if (method !== 'POST' || version === 0 || (flavour === 'jina' && version === 2)) {
        return flavour === 'cohere'
          ? sendJson(res, 404, cohereError(`${method} ${path} not found`))
          : sendJson(res, 404, jinaError('Not Found'));
      }
      if (apiKey !== null) {
        const given = readAuth(req.headers);
        if (given !== apiKey) {
          return flavour === 'cohere'
            ? sendJson(res, 401, cohereError(given ? 'invalid api token' : 'no api key supplied'))
            : sendJson(res, 401, jinaError('Unauthorized: invalid or missing API key'));
        }
      }
      const body = recorded.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object') {
        return fail(res, flavour === 'cohere' ? 400 : 422, 'invalid request: body must be a JSON object');
      }
      const bad = flavour === 'cohere' ? 400 : 422;
      if (typeof body.model !== 'string' || body.model === '') {
        // Cohere v1 has a default model; v2 and Jina require one.
        if (!(flavour === 'cohere' && version === 1)) {
          return fail(res, bad, 'invalid request: model must be specified', 'model');
        }
      }
      const model = typeof body.model === 'string' && body.model !== '' ? body.model : 'rerank-english-v2.0';
      if (options.models && !options.models.includes(model)) {
        return flavour === 'cohere'
          ? sendJson(
              res,
              404,
              cohereError(
                `model '${model}' not found, make sure the correct model ID was used and that you have access to the model.`,
              ),
            )
          : sendJson(res, 400, jinaError(`Model ${model} is not supported`));
      }
      if (typeof body.query !== 'string' || body.query.trim() === '') {
        return fail(res, bad, 'invalid request: query cannot be empty', 'query');
      }
      if (!Array.isArray(body.documents) || body.documents.length === 0) {
        return fail(res, bad, 'invalid request: documents must be a non-empty list', 'documents');
      }
      if (body.documents.length > FAKE_RERANK_MAX_DOCUMENTS) {
        return fail(
          res,
          bad,
          `invalid request: too many documents: got ${body.documents.length}, max is ${FAKE_RERANK_MAX_DOCUMENTS}`,
          'documents',
        );
      }
      const documents: string[] = [];
      for (const d of body.documents) {
        const text =
          typeof d === 'string'
            ? d
            : version === 1 && d && typeof (d as { text?: unknown }).text === 'string'
              ? (d as { text: string }).text
              : undefined;
        if (text === undefined) return fail(res, bad, 'invalid request: documents must be strings', 'documents');
        documents.push(text);
      }
      const topN = body.top_n;
      if (topN !== undefined && (typeof topN !== 'number' || !Number.isInteger(topN) || topN < 1)) {
        return fail(res, bad, 'invalid request: top_n must be a positive integer', 'top_n');
      }
      calls.push({
        path,
        model,
        query: body.query,
        documents,
        ...(typeof topN === 'number' ? { top_n: topN } : {}),
      });
      const ranked = documents
        .map((text, index) => ({ index, relevance_score: scorer(body.query as string, text), text }))
        .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
        .slice(0, typeof topN === 'number' ? topN : documents.length);
      const withDocuments =
        flavour === 'jina' ? body.return_documents !== false : version === 1 && body.return_documents === true;
      const results = ranked.map((r) => ({
        index: r.index,
        relevance_score: r.relevance_score,
        ...(withDocuments ? { document: { text: r.text } } : {}),
      }));
      if (flavour === 'jina') {
        const tokens = words(body.query).length * documents.length + documents.reduce((n, d) => n + words(d).length, 0);
        return sendJson(res, 200, { model, usage: { total_tokens: tokens }, results });
      }
      return sendJson(res, 200, {
        id: randomUUID(),
        results,
        meta: { api_version: { version: String(version) }, billed_units: { search_units: 1 } },
      });
    },
    (status) =>
      flavour === 'cohere'
        ? cohereError(`Injected failure (HTTP ${status})`)
        : jinaError(`Injected failure (HTTP ${status})`),
  );

  return {
    ...controls,
    flavour,
    apiKey,
    setScorer(score) {
      scorer = score ?? overlapScore;
    },
    calls: () => [...calls],
  };
}
