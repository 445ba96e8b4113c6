/**
 * Retrieval, shared by search and chat: each KB is searched in its own mode (docs/retrieval.md)
 * — keyword (BM25 over the chunks' analysed terms), vector (the query embedded once per
 * distinct embedding model, each KB searched with its own model's vectors) or hybrid (both,
 * fused per KB) — and the per-KB rankings are merged by rank, so KBs on different models
 * or modes, whose scores share no scale, merge fairly. A KB that cannot be searched is
 * reported, never silently left out.
 */

import { type AccessTokenClaims, type ChunkLocation, ChunkLocationSchema } from '@lumikb/contracts';
import { LlmError } from '@lumikb/llm';
import { analyze } from '@lumikb/text-analysis';
import type { Distance, LexicalQuery, SearchHit } from '@lumikb/vector-store';
import { Value } from 'typebox/value';
import type { KbContext } from '../context.ts';
import { documentNames } from '../documents/repository.ts';
import { errors } from '../errors.ts';
import { effectiveConfig } from '../knowledge-bases/config.ts';
import { type LexicalIndexStatus, lexicalIndexStatuses } from '../knowledge-bases/lexical-backfill.ts';
import { findKbs, type KnowledgeBaseRow, readableKbIds } from '../knowledge-bases/repository.ts';
import type { ConfigOverrides, EffectiveConfig, RetrievalMode } from '../knowledge-bases/schemas.ts';
import { findModels, type ProjectedModel } from '../models/repository.ts';
import { toLlmModel } from '../models/service.ts';
import { requirePermission } from '../permissions/service.ts';
import { RM3_DEFAULTS, rm3Expand } from './prf.ts';
import { type Citation, SEARCH_QUERY_MAX_TERMS, type SearchRequest } from './schemas.ts';

export const DEFAULT_SEARCH_TOP_K = 10;
/** Candidates each ranking gives hybrid fusion, per passage returned (as the vector store's own hybrid). */
export const HYBRID_CANDIDATES_PER_RESULT = 4;

/**
 * Higher is better for every metric, on one scale, so KBs on different metrics merge
 * sensibly: euclidean distance d becomes the cosine it implies, 1 − d²/2 (exact for the
 * normalised vectors embedding models return).
 */
export function relevance(score: number, distance: Distance): number {
  return distance === 'euclidean' ? Math.max(-1, 1 - (score * score) / 2) : score;
}

/** The store's threshold for a relevance floor (a distance ceiling for euclidean). */
function storeThreshold(minRelevance: number, distance: Distance): number | undefined {
  if (minRelevance <= 0) return undefined;
  return distance === 'euclidean' ? Math.sqrt(2 * (1 - minRelevance)) : minRelevance;
}

export interface KbSearchError {
  kb_id: string;
  code: string;
  message: string;
}

export interface RetrievedPassage extends Citation {}

/**
 * The chunk's location from its vector payload, when it has a valid one: points written
 * before locations existed have none, and a payload is not trusted blindly.
 */
function locationOf(payload: SearchHit['payload']): { location?: ChunkLocation } {
  const location = payload.location;
  return location !== undefined && Value.Check(ChunkLocationSchema, location) ? { location } : {};
}

export type RerankReason = 'RERANK_TIMEOUT' | 'RERANK_UNAVAILABLE' | 'RERANK_MODEL_UNAVAILABLE';

/** How one KB was searched (the response's `retrieval`). */
export interface KbRetrieval {
  kb_id: string;
  mode: RetrievalMode;
  lexical_index: 'indexed' | 'building' | 'empty' | null;
  query_terms: number | null;
  rerank: 'applied' | 'skipped' | 'failed' | null;
  rerank_reason: RerankReason | null;
}

/** The query's keyword terms in one language: each distinct term with its count, the first SEARCH_QUERY_MAX_TERMS. */
export function lexicalQuery(query: string, language: string): { terms: LexicalQuery; truncated: boolean } {
  const terms: LexicalQuery = Object.create(null);
  let distinct = 0;
  let truncated = false;
  for (const term of analyze(query, language)) {
    if (terms[term] !== undefined) terms[term] += 1;
    else if (distinct < SEARCH_QUERY_MAX_TERMS) {
      terms[term] = 1;
      distinct += 1;
    } else truncated = true;
  }
  return { terms: { ...terms }, truncated };
}

interface RankedHit {
  hit: SearchHit;
  score: number;
  ranks: { lexical: number | null; vector: number | null; rerank?: number | null };
  rerankScore?: number;
}

/** Most passages one KB sends its reranker: its top_n, at most the model's own max_documents. */
function rerankCount(topN: number, model: ProjectedModel): number {
  const max = model.config.max_documents;
  return typeof max === 'number' && Number.isInteger(max) && max > 0 ? Math.min(topN, max) : topN;
}

/**
 * The KB's first `topN` hits in the reranker's order (each with `ranks.rerank` and its
 * score), then the rest as they were. On failure or past the time budget the hits stay in
 * their retrieval order, with `ranks.rerank: null`, and the reason is returned.
 */
async function rerankHits(
  ctx: KbContext,
  model: ProjectedModel | undefined,
  query: string,
  hits: RankedHit[],
  topN: number,
  signal: AbortSignal | undefined,
): Promise<{ hits: RankedHit[]; status: KbRetrieval['rerank']; reason: RerankReason | null }> {
  const unranked = hits.map((h) => ({ ...h, ranks: { ...h.ranks, rerank: null } }));
  if (model?.type !== 'rerank' || model.status !== 'active') {
    ctx.metrics.reranks.inc({ outcome: 'model_unavailable' });
    return { hits: unranked, status: 'failed', reason: 'RERANK_MODEL_UNAVAILABLE' };
  }
  if (hits.length === 0) return { hits: unranked, status: 'skipped', reason: null };
  const head = hits.slice(0, rerankCount(topN, model));
  try {
    const results = await ctx.llm.rerank(
      toLlmModel(model),
      query,
      head.map((h) => h.hit.payload.text),
      { topN: head.length, timeoutMs: ctx.config.RERANK_TIMEOUT_MS, ...(signal ? { signal } : {}) },
    );
    const placed = new Set<number>();
    const reranked: RankedHit[] = results.map((r, i) => {
      placed.add(r.index);
      const h = head[r.index]!;
      return { ...h, ranks: { ...h.ranks, rerank: i + 1 }, rerankScore: r.relevance_score };
    });
    // A server that returned fewer results than asked: the others follow in their own order.
    const rest = unranked.filter((_, i) => i >= head.length || !placed.has(i));
    ctx.metrics.reranks.inc({ outcome: 'applied' });
    return { hits: [...reranked, ...rest], status: 'applied', reason: null };
  } catch (error) {
    if (signal?.aborted) throw error;
    const timeout = error instanceof LlmError && error.kind === 'timeout';
    ctx.metrics.reranks.inc({ outcome: timeout ? 'timeout' : 'failed' });
    ctx.logger.warn({ err: error, modelId: model.id }, 'rerank failed; returning the hits unreranked');
    return { hits: unranked, status: 'failed', reason: timeout ? 'RERANK_TIMEOUT' : 'RERANK_UNAVAILABLE' };
  }
}

/** Scales scores to 0..1 over one ranking (all equal → 1), for weighted fusion. */
function minMax(scores: number[]): (score: number) => number {
  const max = Math.max(...scores);
  const min = Math.min(...scores);
  return (score) => (max > min ? (score - min) / (max - min) : 1);
}

/**
 * One KB's keyword and vector rankings fused. rrf: Σ 1/(k + rank), rank from 1 (Cormack et
 * al.). weighted: w·keyword + (1 − w)·vector, each min-max scaled over its own candidates,
 * 0 where the passage is absent from that ranking. Ties by point id, so the order is stable.
 */
export function fuse(
  lexical: SearchHit[],
  vector: { hit: SearchHit; score: number }[],
  fusion: EffectiveConfig['fusion'],
  limit: number,
): RankedHit[] {
  const byId = new Map<string, RankedHit>();
  const entry = (hit: SearchHit) => {
    let seen = byId.get(hit.id);
    if (!seen) {
      seen = { hit, score: 0, ranks: { lexical: null, vector: null } };
      byId.set(hit.id, seen);
    }
    return seen;
  };
  if (fusion.method === 'rrf') {
    lexical.forEach((hit, i) => {
      const e = entry(hit);
      e.ranks.lexical = i + 1;
      e.score += 1 / (fusion.rrf_k + i + 1);
    });
    vector.forEach(({ hit }, i) => {
      const e = entry(hit);
      e.ranks.vector = i + 1;
      e.score += 1 / (fusion.rrf_k + i + 1);
    });
  } else {
    const w = fusion.lexical_weight;
    const lexScale = minMax(lexical.map((h) => h.score));
    const vecScale = minMax(vector.map((v) => v.score));
    lexical.forEach((hit, i) => {
      const e = entry(hit);
      e.ranks.lexical = i + 1;
      e.score += w * lexScale(hit.score);
    });
    vector.forEach(({ hit, score }, i) => {
      const e = entry(hit);
      e.ranks.vector = i + 1;
      e.score += (1 - w) * vecScale(score);
    });
  }
  return [...byId.values()]
    .sort((a, b) => b.score - a.score || (a.hit.id < b.hit.id ? -1 : a.hit.id > b.hit.id ? 1 : 0))
    .slice(0, limit);
}

/**
 * BM25 over the query's terms; with `query_expansion: rm3` (the default) a first pass takes
 * the top RM3_DEFAULTS.fbDocs passages, their heaviest terms expand the query (search/prf.ts)
 * and a second pass ranks with the expanded query. Nothing matched: no second pass. A
 * query cut to SEARCH_QUERY_MAX_TERMS is not expanded: it is a pasted text, not the short
 * question PRF is for, and RM3 would spread its original half over dozens of terms that
 * match nothing, letting the feedback terms outweigh the words that did match.
 */
async function keywordSearch(
  ctx: KbContext,
  collection: string,
  query: { terms: LexicalQuery; truncated: boolean },
  config: EffectiveConfig,
  limit: number,
): Promise<SearchHit[]> {
  const { terms } = query;
  if (config.query_expansion !== 'rm3' || query.truncated) {
    return ctx.vectors.searchLexical(collection, terms, { limit });
  }
  const first = await ctx.vectors.searchLexical(collection, terms, { limit: RM3_DEFAULTS.fbDocs });
  if (first.length === 0) return [];
  const expanded = rm3Expand(
    terms,
    first.map((hit) => ({ text: hit.payload.text, score: hit.score })),
    config.language,
  );
  return ctx.vectors.searchLexical(collection, expanded, { limit });
}

/**
 * Searches the given KBs (already permission-checked), each in its own mode unless `mode`
 * is given, and returns merged citations. `similarityThreshold` (else each KB's own) is a
 * floor on vector similarity only: keyword rankings are never filtered by it.
 */
export async function retrieve(
  ctx: KbContext,
  kbs: KnowledgeBaseRow[],
  query: string,
  options: {
    topK: number;
    similarityThreshold?: number | undefined;
    mode?: RetrievalMode | undefined;
    signal?: AbortSignal;
  },
): Promise<{
  results: RetrievedPassage[];
  errors: KbSearchError[];
  retrieval: KbRetrieval[];
  queryTruncated: boolean;
}> {
  const failures: KbSearchError[] = [];
  const settings = ctx.settings.snapshot;
  const plans = kbs.map((kb) => {
    const config = effectiveConfig(kb.config_overrides as ConfigOverrides, settings);
    return { kb, config, mode: options.mode ?? config.retrieval_mode };
  });

  // The query analysed once per language in use (keyword and hybrid KBs).
  const analysed = new Map<string, { terms: LexicalQuery; truncated: boolean }>();
  for (const { config, mode } of plans) {
    if (mode !== 'vector' && !analysed.has(config.language)) {
      analysed.set(config.language, lexicalQuery(query, config.language));
    }
  }
  const queryTruncated = [...analysed.values()].some((a) => a.truncated);

  // The query embedded once per embedding model of the KBs that use vectors.
  const needVectors = plans.filter((p) => p.mode !== 'keyword');
  const modelIds = [...new Set(needVectors.map((p) => p.kb.embedding_model_id))];
  const models = modelIds.length > 0 ? await findModels(ctx.db, modelIds) : new Map();
  const embeddings = new Map<
    string,
    Promise<{ vector: number[] } | { error: KbSearchError['code']; message: string }>
  >();
  for (const modelId of modelIds) {
    const model = models.get(modelId);
    embeddings.set(
      modelId,
      (async () => {
        if (!model) return { error: 'EMBEDDING_MODEL_MISSING', message: '' };
        try {
          const [embedded] = await ctx.llm.embed(
            toLlmModel(model),
            [query],
            options.signal ? { signal: options.signal } : {},
          );
          if (!embedded) throw new Error('no embedding returned');
          return { vector: embedded };
        } catch (error) {
          const message = error instanceof LlmError ? error.message : 'the embedding model did not answer';
          if (!options.signal?.aborted) ctx.logger.warn({ err: error, modelId }, 'query embedding failed');
          return {
            error: 'EMBEDDING_UNAVAILABLE',
            message: `Embedding the query with "${model.name}" failed: ${message}`,
          };
        }
      })(),
    );
  }

  const lexicalStatus = plans.some((p) => p.mode !== 'vector')
    ? await lexicalIndexStatuses(
        ctx.db,
        plans.map((p) => p.kb.id),
      )
    : new Map<string, LexicalIndexStatus>();
  // The rerank models of the KBs that name one, read once.
  const rerankIds = [...new Set(plans.flatMap((p) => (p.config.rerank ? [p.config.rerank.model_id] : [])))];
  const rerankModels = rerankIds.length > 0 ? await findModels(ctx.db, rerankIds) : new Map<string, ProjectedModel>();

  const retrieval: KbRetrieval[] = [];
  const ranked: { kb: KnowledgeBaseRow; kbIndex: number; hits: RankedHit[] }[] = [];
  await Promise.all(
    plans.map(async ({ kb, config, mode }, kbIndex) => {
      const lexical = mode === 'vector' ? undefined : analysed.get(config.language)!;
      const hasTerms = lexical !== undefined && Object.keys(lexical.terms).length > 0;
      // A reranking KB retrieves its top_n (if more than top_k) for the reranker to choose from.
      const wanted = config.rerank ? Math.max(options.topK, config.rerank.top_n) : options.topK;
      const limit = mode === 'hybrid' ? Math.max(options.topK * HYBRID_CANDIDATES_PER_RESULT, wanted) : wanted;
      // The keyword side starts at once, beside the query's embedding and the vector
      // search: hybrid waits for the slower side, not for both in turn.
      const lexicalSearch: Promise<SearchHit[]> = hasTerms
        ? keywordSearch(ctx, kb.collection, lexical, config, limit)
        : Promise.resolve([]);
      lexicalSearch.catch(() => {}); // awaited below, or abandoned when the embedding fails
      let vector: number[] | undefined;
      if (mode !== 'keyword') {
        const embedded = await embeddings.get(kb.embedding_model_id)!;
        if ('error' in embedded) {
          if (options.signal?.aborted) return;
          failures.push({
            kb_id: kb.id,
            code: embedded.error,
            message:
              embedded.error === 'EMBEDDING_MODEL_MISSING'
                ? `The embedding model of "${kb.name}" is no longer registered`
                : embedded.message,
          });
          return;
        }
        vector = embedded.vector;
      }
      if (options.signal?.aborted) return;
      const minRelevance = options.similarityThreshold ?? config.similarity_threshold;
      const threshold = storeThreshold(minRelevance, kb.distance_metric);
      try {
        const [vectorHits, lexicalHits] = await Promise.all([
          vector
            ? ctx.vectors.search(kb.collection, vector, {
                limit,
                ...(threshold !== undefined ? { scoreThreshold: threshold } : {}),
              })
            : [],
          lexicalSearch,
        ]);
        // Nothing matched the terms: tell a KB whose chunks carry none (processed before
        // keyword search existed) from one where the words simply do not occur.
        let lexicalIndex: KbRetrieval['lexical_index'] = null;
        const backfill = lexicalStatus.get(kb.id)?.state;
        if (lexical !== undefined) {
          lexicalIndex =
            backfill === 'pending' || backfill === 'building'
              ? 'building'
              : lexicalHits.length > 0 || (await ctx.vectors.lexicalStats(kb.collection)).documents > 0
                ? 'indexed'
                : 'empty';
        }
        const scored = vectorHits.map((hit) => ({ hit, score: relevance(hit.score, kb.distance_metric) }));
        let hits: RankedHit[] =
          mode === 'vector'
            ? scored.map(({ hit, score }, i) => ({ hit, score, ranks: { lexical: null, vector: i + 1 } }))
            : mode === 'keyword'
              ? lexicalHits.map((hit, i) => ({ hit, score: hit.score, ranks: { lexical: i + 1, vector: null } }))
              : fuse(lexicalHits, scored, config.fusion, wanted);
        let rerank: Pick<KbRetrieval, 'rerank' | 'rerank_reason'> = { rerank: null, rerank_reason: null };
        if (config.rerank) {
          const done = await rerankHits(
            ctx,
            rerankModels.get(config.rerank.model_id),
            query,
            hits,
            config.rerank.top_n,
            options.signal,
          );
          hits = done.hits;
          rerank = { rerank: done.status, rerank_reason: done.reason };
        }
        ranked.push({ kb, kbIndex, hits: hits.slice(0, options.topK) });
        retrieval.push({
          kb_id: kb.id,
          mode,
          lexical_index: lexicalIndex,
          query_terms: lexical ? Object.keys(lexical.terms).length : null,
          ...rerank,
        });
      } catch (error) {
        ctx.logger.warn({ err: error, kbId: kb.id }, 'search failed');
        failures.push({
          kb_id: kb.id,
          code: 'VECTOR_STORE_UNAVAILABLE',
          message: `Searching "${kb.name}" failed: ${(error as Error).message}`,
        });
      }
    }),
  );

  if (options.signal?.aborted) throw errors.REQUEST_CANCELLED('The client disconnected before the results were ready');
  // Across KBs by rank: reciprocal-rank fusion of lists that share no passage orders by
  // position (each KB's first, then each one's second…), ties by the KB's own score, then
  // by the order the KBs were asked in. Raw scores would let one model's inflated
  // similarities crowd out another KB.
  const merged = ranked
    .flatMap(({ kb, kbIndex, hits }) => hits.map((h, position) => ({ kb, kbIndex, position, ...h })))
    .sort((a, b) => a.position - b.position || b.score - a.score || a.kbIndex - b.kbIndex);
  // Vectors of a document deleted a moment ago may still answer: only existing documents count.
  const names = await documentNames(ctx.db, [...new Set(merged.map((h) => h.hit.payload.document_id))]);
  const results: RetrievedPassage[] = [];
  for (const { kb, hit, score, ranks, rerankScore } of merged) {
    const documentName = names.get(hit.payload.document_id);
    if (documentName === undefined) continue;
    results.push({
      kb_id: kb.id,
      kb_name: kb.name,
      document_id: hit.payload.document_id,
      document_name: documentName,
      chunk_index: hit.payload.chunk_index,
      start_offset: hit.payload.start_offset,
      end_offset: hit.payload.end_offset,
      ...locationOf(hit.payload),
      text: hit.payload.text,
      score,
      ranks,
      ...(rerankScore !== undefined ? { rerank_score: rerankScore } : {}),
    });
    if (results.length >= options.topK) break;
  }
  const order = new Map(kbs.map((kb, i) => [kb.id, i]));
  retrieval.sort((a, b) => order.get(a.kb_id)! - order.get(b.kb_id)!);
  return { results, errors: failures, retrieval, queryTruncated };
}

export async function search(ctx: KbContext, claims: AccessTokenClaims, request: SearchRequest, signal?: AbortSignal) {
  const stop = ctx.metrics.searchSeconds.startTimer();
  const topK = request.top_k ?? DEFAULT_SEARCH_TOP_K;
  let ids: string[];
  if (request.kb_ids) {
    ids = [...new Set(request.kb_ids.map((id) => id.toLowerCase()))];
    for (const id of ids) await requirePermission(ctx.db, id, claims, 'READ');
  } else {
    ids = await readableKbIds(ctx.db, claims);
  }
  const kbs = await findKbs(ctx.db, ids);
  const {
    results,
    errors: failures,
    retrieval,
    queryTruncated,
  } = await retrieve(ctx, kbs, request.query, {
    topK,
    similarityThreshold: request.similarity_threshold,
    mode: request.retrieval_mode,
    ...(signal ? { signal } : {}),
  });
  stop();
  if (kbs.length > 0 && failures.length === kbs.length) {
    // Nothing could be searched: an empty result would be a lie.
    const first = failures[0]!;
    const fail =
      first.code === 'VECTOR_STORE_UNAVAILABLE' ? errors.VECTOR_STORE_UNAVAILABLE : errors.EMBEDDING_UNAVAILABLE;
    throw fail(first.message, { errors: failures });
  }
  const modes = new Set<RetrievalMode>(retrieval.map((r) => r.mode));
  const mode: RetrievalMode | 'mixed' =
    request.retrieval_mode ?? (modes.size === 1 ? [...modes][0]! : modes.size === 0 ? 'hybrid' : 'mixed');
  return {
    query: request.query,
    top_k: topK,
    mode,
    query_truncated: queryTruncated,
    results,
    retrieval,
    searched_kb_ids: kbs.map((k) => k.id),
    errors: failures,
  };
}
