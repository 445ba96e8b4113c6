import { ChunkLocationSchema } from '@lumikb/contracts';
import { type Static, Type } from 'typebox';
import { RetrievalModeSchema } from '../knowledge-bases/schemas.ts';

/** Limits that bound the work one search can ask for (embedding size, vector searches, rows). */
export const SEARCH_QUERY_MAX_CHARS = 2_000;
export const SEARCH_MAX_TOP_K = 100;
export const SEARCH_MAX_KB_IDS = 50;
/**
 * Distinct analysed terms a keyword search uses (the first ones of the query): each term
 * reads its postings, so a pasted page would be one large scan per term. Beyond it the
 * response says `query_truncated: true`; the vector side still embeds the whole query.
 */
export const SEARCH_QUERY_MAX_TERMS = 64;

export const SearchRequestSchema = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: SEARCH_QUERY_MAX_CHARS }),
    kb_ids: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), {
        minItems: 1,
        maxItems: SEARCH_MAX_KB_IDS,
        description: 'KBs to search; all readable KBs when omitted',
      }),
    ),
    top_k: Type.Optional(
      Type.Integer({ minimum: 1, maximum: SEARCH_MAX_TOP_K, description: 'results returned (default 10)' }),
    ),
    similarity_threshold: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          "minimum vector similarity; each KB's own threshold when omitted. It filters vector hits only: " +
          'keyword mode ignores it, and in hybrid mode keyword matches are kept whatever their similarity',
      }),
    ),
    retrieval_mode: Type.Optional(
      Type.Union([Type.Literal('hybrid'), Type.Literal('vector'), Type.Literal('keyword')], {
        description: "run this mode in every KB searched instead of each KB's own retrieval_mode",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SearchRequest = Static<typeof SearchRequestSchema>;

export const CitationSchema = Type.Object({
  kb_id: Type.String({ format: 'uuid' }),
  kb_name: Type.String(),
  document_id: Type.String({ format: 'uuid' }),
  document_name: Type.String(),
  chunk_index: Type.Integer(),
  start_offset: Type.Integer(),
  end_offset: Type.Integer(),
  /** Where the passage is (page, slide, sheet rows, heading path); absent for plain text and older documents. */
  location: Type.Optional(ChunkLocationSchema),
  text: Type.String(),
  /**
   * Higher is better, in the scale of the mode that ran in this passage's KB: vector, the
   * cosine/dot similarity (1 − d²/2 for euclidean KBs, same scale); keyword, the BM25 score;
   * hybrid, the fused score. Across several KBs the order is by rank (docs/retrieval.md).
   */
  score: Type.Number(),
  /**
   * 1-based position of the passage in its KB's keyword and vector rankings; null when absent
   * from one. `rerank` only for a KB with a rerank model: its position in the reranked
   * top_n, null when it was not reranked (beyond top_n, or the reranker failed).
   */
  ranks: Type.Object({
    lexical: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    vector: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    rerank: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  }),
  /** The rerank model's relevance score (its own scale), for reranked passages only; `score` stays the mode's. */
  rerank_score: Type.Optional(Type.Number()),
});
export type Citation = Static<typeof CitationSchema>;

export const SearchErrorSchema = Type.Object({
  kb_id: Type.String({ format: 'uuid' }),
  code: Type.String(),
  message: Type.String(),
});

export const KbRetrievalSchema = Type.Object({
  kb_id: Type.String({ format: 'uuid' }),
  mode: RetrievalModeSchema,
  /**
   * Whether the KB's chunks carry keyword terms: `building` while the background backfill
   * gives the chunks of documents processed before keyword search their terms (those found
   * by vector until their batch is done; see the KB's `lexical_index` for progress); `empty`
   * when no chunk has terms and none are being built (hybrid then answers with vector hits
   * only, keyword finds nothing); null when the mode does not use them.
   */
  lexical_index: Type.Union([Type.Literal('indexed'), Type.Literal('building'), Type.Literal('empty'), Type.Null()]),
  /** Distinct keyword terms of the query in the KB's language (0: only stop words); null in vector mode. */
  query_terms: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /**
   * Reranking (docs/retrieval.md#reranking): null when the KB has no rerank model;
   * `applied` when its best hits were reordered; `skipped` when there was nothing to rerank;
   * `failed` when the reranker failed or ran out of time: the hits are in their retrieval order.
   */
  rerank: Type.Union([Type.Literal('applied'), Type.Literal('skipped'), Type.Literal('failed'), Type.Null()]),
  /** Why reranking failed: RERANK_TIMEOUT, RERANK_UNAVAILABLE or RERANK_MODEL_UNAVAILABLE; null otherwise. */
  rerank_reason: Type.Union([
    Type.Literal('RERANK_TIMEOUT'),
    Type.Literal('RERANK_UNAVAILABLE'),
    Type.Literal('RERANK_MODEL_UNAVAILABLE'),
    Type.Null(),
  ]),
});

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  top_k: Type.Integer(),
  /** The mode that ran: the same in every KB searched, or `mixed` when their own modes differ. */
  mode: Type.Union([RetrievalModeSchema, Type.Literal('mixed')]),
  /** The query had more than SEARCH_QUERY_MAX_TERMS (64) distinct terms: keyword search used the first 64. */
  query_truncated: Type.Boolean(),
  results: Type.Array(CitationSchema),
  /** How each KB searched was searched. */
  retrieval: Type.Array(KbRetrievalSchema),
  searched_kb_ids: Type.Array(Type.String({ format: 'uuid' })),
  /** KBs that could not be searched (their results are missing, and this says why). */
  errors: Type.Array(SearchErrorSchema),
});
