/** KB overrides merged over the platform defaults, and their cross-field rules. */
import type { SettingsSnapshot } from '@lumikb/contracts';
import { DEFAULT_LANGUAGE } from '@lumikb/text-analysis';
import { errors } from '../errors.ts';
import type { ConfigOverrides, EffectiveConfig } from './schemas.ts';

export const DEFAULT_CHUNK_SIZE = 1_000;
export const DEFAULT_CHUNK_OVERLAP = 200;
export const DEFAULT_TOP_K = 5;
/** Every KB without a `retrieval_mode` runs hybrid; one whose chunks have no terms yet gets vector hits (said in the response). */
export const DEFAULT_RETRIEVAL_MODE = 'hybrid' as const;
/** The constant of Cormack et al.'s reciprocal-rank fusion paper, not fitted to any collection. */
export const DEFAULT_RRF_K = 60;
/**
 * Hybrid's default fusion: the convex combination of min-max-scaled scores, which Bruch et
 * al. (2023, "An analysis of fusion functions for hybrid retrieval") found better than RRF
 * in and out of domain, with equal weights (no weight fitted to any collection). RRF counts
 * positions only, so a weak ranking's 1st place weighs as much as a strong one's; the convex
 * combination lets a clear keyword winner stay ahead (docs/retrieval.md).
 */
export const DEFAULT_LEXICAL_WEIGHT = 0.5;
/** RM3 pseudo-relevance feedback on the keyword side of keyword and hybrid KBs (search/prf.ts). */
export const DEFAULT_QUERY_EXPANSION = 'rm3' as const;

/** The best fused hits of a KB sent to its rerank model, unless the KB says otherwise. */
export const DEFAULT_RERANK_TOP_N = 20;

export function defaultOverlapFor(chunkSize: number): number {
  return Math.min(DEFAULT_CHUNK_OVERLAP, Math.floor(chunkSize / 5));
}

/** Throws INVALID_CONFIG_OVERRIDES when the overlap would not be smaller than the chunk size. */
export function validateOverrides(overrides: ConfigOverrides): void {
  const size = overrides.chunk_size ?? DEFAULT_CHUNK_SIZE;
  if (overrides.chunk_overlap !== undefined && overrides.chunk_overlap >= size) {
    throw errors.INVALID_CONFIG_OVERRIDES(
      `chunk_overlap (${overrides.chunk_overlap}) must be smaller than chunk_size (${size})`,
      { field: 'config_overrides.chunk_overlap', chunk_overlap: overrides.chunk_overlap, chunk_size: size },
    );
  }
}

export function effectiveConfig(overrides: ConfigOverrides, settings: SettingsSnapshot): EffectiveConfig {
  const generation = settings.llm.generation_defaults;
  const chunkSize = overrides.chunk_size ?? DEFAULT_CHUNK_SIZE;
  return {
    chunk_size: chunkSize,
    chunk_overlap: overrides.chunk_overlap ?? defaultOverlapFor(chunkSize),
    top_k: overrides.top_k ?? DEFAULT_TOP_K,
    similarity_threshold: overrides.similarity_threshold ?? 0,
    temperature: overrides.temperature ?? generation.temperature,
    max_tokens: overrides.max_tokens ?? generation.max_output_tokens,
    system_prompt: overrides.system_prompt ?? generation.system_prompt,
    retrieval_mode: overrides.retrieval_mode ?? DEFAULT_RETRIEVAL_MODE,
    language: overrides.language ?? DEFAULT_LANGUAGE,
    fusion:
      overrides.fusion === undefined
        ? { method: 'weighted', lexical_weight: DEFAULT_LEXICAL_WEIGHT }
        : overrides.fusion.method === 'weighted'
          ? { method: 'weighted', lexical_weight: overrides.fusion.lexical_weight }
          : { method: 'rrf', rrf_k: overrides.fusion.rrf_k ?? DEFAULT_RRF_K },
    query_expansion: overrides.query_expansion ?? DEFAULT_QUERY_EXPANSION,
    rerank: overrides.rerank
      ? { model_id: overrides.rerank.model_id, top_n: overrides.rerank.top_n ?? DEFAULT_RERANK_TOP_N }
      : null,
  };
}
