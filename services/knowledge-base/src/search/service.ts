/**
 * Semantic search across KBs: the query is embedded once per distinct embedding model,
 * each KB is searched in its own collection with its own model's vectors, and the hits
 * are merged by relevance. A KB that cannot be searched is reported, never silently left out.
 */
import { type AccessTokenClaims, type ChunkLocation, ChunkLocationSchema } from '@lumikb/contracts';
import { LlmError } from '@lumikb/llm';
import type { Distance, SearchHit } from '@lumikb/vector-store';
import { Value } from 'typebox/value';
import type { KbContext } from '../context.ts';
import { documentNames } from '../documents/repository.ts';
import { errors } from '../errors.ts';
import { effectiveConfig } from '../knowledge-bases/config.ts';
import { findKbs, type KnowledgeBaseRow, readableKbIds } from '../knowledge-bases/repository.ts';
import type { ConfigOverrides } from '../knowledge-bases/schemas.ts';
import { findModels } from '../models/repository.ts';
import { toLlmModel } from '../models/service.ts';
import { requirePermission } from '../permissions/service.ts';
import type { Citation, SearchRequest } from './schemas.ts';

export const DEFAULT_SEARCH_TOP_K = 10;

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

/** Searches the given KBs (already permission-checked) and returns merged citations. */
export async function retrieve(
  ctx: KbContext,
  kbs: KnowledgeBaseRow[],
  query: string,
  options: { topK: number; similarityThreshold?: number | undefined; signal?: AbortSignal },
): Promise<{ results: RetrievedPassage[]; errors: KbSearchError[] }> {
  const failures: KbSearchError[] = [];
  const byModel = new Map<string, KnowledgeBaseRow[]>();
  for (const kb of kbs) byModel.set(kb.embedding_model_id, [...(byModel.get(kb.embedding_model_id) ?? []), kb]);
  const models = await findModels(ctx.db, [...byModel.keys()]);
  const settings = ctx.settings.snapshot;
  const hits: { kb: KnowledgeBaseRow; hit: SearchHit; score: number }[] = [];

  await Promise.all(
    [...byModel].map(async ([modelId, group]) => {
      const model = models.get(modelId);
      if (!model) {
        for (const kb of group) {
          failures.push({
            kb_id: kb.id,
            code: 'EMBEDDING_MODEL_MISSING',
            message: `The embedding model of "${kb.name}" is no longer registered`,
          });
        }
        return;
      }
      let vector: number[];
      try {
        const [embedded] = await ctx.llm.embed(
          toLlmModel(model),
          [query],
          options.signal ? { signal: options.signal } : {},
        );
        if (!embedded) throw new Error('no embedding returned');
        vector = embedded;
      } catch (error) {
        if (options.signal?.aborted) return;
        const message = error instanceof LlmError ? error.message : 'the embedding model did not answer';
        ctx.logger.warn({ err: error, modelId }, 'query embedding failed');
        for (const kb of group) {
          failures.push({
            kb_id: kb.id,
            code: 'EMBEDDING_UNAVAILABLE',
            message: `Embedding the query with "${model.name}" failed: ${message}`,
          });
        }
        return;
      }
      if (options.signal?.aborted) return;
      await Promise.all(
        group.map(async (kb) => {
          const overrides = kb.config_overrides as ConfigOverrides;
          const minRelevance = options.similarityThreshold ?? effectiveConfig(overrides, settings).similarity_threshold;
          const threshold = storeThreshold(minRelevance, kb.distance_metric);
          try {
            const found = await ctx.vectors.search(kb.collection, vector, {
              limit: options.topK,
              ...(threshold !== undefined ? { scoreThreshold: threshold } : {}),
            });
            for (const hit of found) hits.push({ kb, hit, score: relevance(hit.score, kb.distance_metric) });
          } catch (error) {
            ctx.logger.warn({ err: error, kbId: kb.id }, 'vector search failed');
            failures.push({
              kb_id: kb.id,
              code: 'VECTOR_STORE_UNAVAILABLE',
              message: `Searching "${kb.name}" failed: ${(error as Error).message}`,
            });
          }
        }),
      );
    }),
  );

  if (options.signal?.aborted) throw errors.REQUEST_CANCELLED('The client disconnected before the results were ready');
  hits.sort((a, b) => b.score - a.score);
  // Vectors of a document deleted a moment ago may still answer: only existing documents count.
  const names = await documentNames(ctx.db, [...new Set(hits.map((h) => h.hit.payload.document_id))]);
  const results: RetrievedPassage[] = [];
  for (const { kb, hit, score } of hits) {
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
    });
    if (results.length >= options.topK) break;
  }
  return { results, errors: failures };
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
  const { results, errors: failures } = await retrieve(ctx, kbs, request.query, {
    topK,
    similarityThreshold: request.similarity_threshold,
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
  return { query: request.query, top_k: topK, results, searched_kb_ids: kbs.map((k) => k.id), errors: failures };
}
