import { ChunkLocationSchema } from '@lumikb/contracts';
import { type Static, Type } from 'typebox';

/** Limits that bound the work one search can ask for (embedding size, vector searches, rows). */
export const SEARCH_QUERY_MAX_CHARS = 2_000;
export const SEARCH_MAX_TOP_K = 100;
export const SEARCH_MAX_KB_IDS = 50;

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
      Type.Number({ minimum: 0, maximum: 1, description: "minimum relevance; each KB's own threshold when omitted" }),
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
  /** Relevance, higher is better: the cosine/dot similarity, or 1 − d²/2 for euclidean KBs (same scale). */
  score: Type.Number(),
});
export type Citation = Static<typeof CitationSchema>;

export const SearchErrorSchema = Type.Object({
  kb_id: Type.String({ format: 'uuid' }),
  code: Type.String(),
  message: Type.String(),
});

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  top_k: Type.Integer(),
  results: Type.Array(CitationSchema),
  searched_kb_ids: Type.Array(Type.String({ format: 'uuid' })),
  /** KBs that could not be searched (their results are missing, and this says why). */
  errors: Type.Array(SearchErrorSchema),
});
