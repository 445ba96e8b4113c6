/** Payloads of the knowledge-base routes (one TypeBox schema each: validation, OpenAPI, types). */
import { DocumentStatusSchema, literalUnion } from '@lumikb/contracts';
import { LANGUAGES } from '@lumikb/text-analysis';
import { type Static, Type } from 'typebox';

export const KbPermissionSchema = Type.Union([Type.Literal('READ'), Type.Literal('WRITE'), Type.Literal('ADMIN')]);
export const DistanceSchema = Type.Union([Type.Literal('cosine'), Type.Literal('dot'), Type.Literal('euclidean')]);

/** Limits of every override; `chunk_overlap` must also stay below the effective `chunk_size`. */
export const OVERRIDE_LIMITS = {
  chunk_size: { minimum: 100, maximum: 8_000 },
  chunk_overlap: { minimum: 0, maximum: 4_000 },
  top_k: { minimum: 1, maximum: 100 },
  similarity_threshold: { minimum: 0, maximum: 1 },
  temperature: { minimum: 0, maximum: 2 },
  max_tokens: { minimum: 1, maximum: 32_768 },
  system_prompt: { maxLength: 8_000 },
  rrf_k: { minimum: 1, maximum: 1_000 },
  lexical_weight: { minimum: 0, maximum: 1 },
  rerank_top_n: { minimum: 1, maximum: 100 },
} as const;

/** How a KB's passages are found (docs/retrieval.md): BM25 over terms, vector similarity, or both fused. */
export const RetrievalModeSchema = Type.Union(
  [Type.Literal('hybrid'), Type.Literal('vector'), Type.Literal('keyword')],
  {
    description:
      'hybrid (default): keyword and vector rankings fused; vector: embedding similarity only; keyword: BM25 over analysed terms only',
  },
);
export type RetrievalMode = Static<typeof RetrievalModeSchema>;

export const LanguageSchema = Type.Unsafe<(typeof LANGUAGES)[number]>({
  ...literalUnion(LANGUAGES),
  description:
    'language of the stop words and stemmer for keyword search (default english; none = lowercase only). ' +
    'Documents keep the terms of the language they were processed with until re-processed.',
});

export const FusionSchema = Type.Union(
  [
    Type.Object(
      {
        method: Type.Literal('rrf'),
        rrf_k: Type.Optional(
          Type.Integer({
            ...OVERRIDE_LIMITS.rrf_k,
            description: 'reciprocal-rank constant k in 1/(k + rank) (default 60)',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        method: Type.Literal('weighted'),
        lexical_weight: Type.Number({
          ...OVERRIDE_LIMITS.lexical_weight,
          description:
            "share of the keyword score in w·keyword + (1 − w)·vector, each scaled to 0..1 over the KB's candidates",
        }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'how hybrid mode combines the two rankings (default weighted, lexical_weight 0.5)' },
);
export type Fusion = Static<typeof FusionSchema>;

/** Pseudo-relevance feedback on the keyword side (docs/retrieval.md). */
export const QueryExpansionSchema = Type.Union([Type.Literal('rm3'), Type.Literal('none')], {
  description:
    'keyword and hybrid modes: rm3 (default) adds the 10 heaviest terms of the first 10 keyword hits to the query ' +
    '(RM3, original query weight 0.5) and searches again; none: the query terms only',
});
export type QueryExpansion = Static<typeof QueryExpansionSchema>;

/** A rerank model reorders the KB's best fused hits (docs/retrieval.md#reranking). */
export const RerankOverrideSchema = Type.Object(
  {
    model_id: Type.String({ format: 'uuid', description: 'an active registry model of type rerank' }),
    top_n: Type.Optional(
      Type.Integer({
        ...OVERRIDE_LIMITS.rerank_top_n,
        description: "the KB's best hits sent to the reranker (default 20, at most the model's max_documents)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type RerankOverride = Static<typeof RerankOverrideSchema>;

export const ConfigOverridesSchema = Type.Object(
  {
    chunk_size: Type.Optional(
      Type.Integer({ ...OVERRIDE_LIMITS.chunk_size, description: 'characters per chunk (default 1000)' }),
    ),
    chunk_overlap: Type.Optional(
      Type.Integer({
        ...OVERRIDE_LIMITS.chunk_overlap,
        description: 'characters shared by neighbouring chunks (default 200)',
      }),
    ),
    top_k: Type.Optional(Type.Integer({ ...OVERRIDE_LIMITS.top_k, description: 'passages retrieved (default 5)' })),
    similarity_threshold: Type.Optional(
      Type.Number({
        ...OVERRIDE_LIMITS.similarity_threshold,
        description: 'minimum vector similarity 0..1 (default 0); keyword matches are never filtered by it',
      }),
    ),
    temperature: Type.Optional(Type.Number(OVERRIDE_LIMITS.temperature)),
    max_tokens: Type.Optional(Type.Integer(OVERRIDE_LIMITS.max_tokens)),
    system_prompt: Type.Optional(Type.String(OVERRIDE_LIMITS.system_prompt)),
    retrieval_mode: Type.Optional(RetrievalModeSchema),
    language: Type.Optional(LanguageSchema),
    fusion: Type.Optional(FusionSchema),
    query_expansion: Type.Optional(QueryExpansionSchema),
    rerank: Type.Optional(RerankOverrideSchema),
  },
  { additionalProperties: false },
);
export type ConfigOverrides = Static<typeof ConfigOverridesSchema>;

export const ModelSummarySchema = Type.Union([
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    type: Type.String(),
    provider: Type.String(),
    model_id: Type.String(),
    status: Type.String(),
    is_default: Type.Boolean(),
    config: Type.Record(Type.String(), Type.Unknown()),
  }),
  Type.Null(),
]);

export const DocumentCountsSchema = Type.Object({
  total: Type.Integer(),
  PENDING: Type.Integer(),
  PROCESSING: Type.Integer(),
  READY: Type.Integer(),
  FAILED: Type.Integer(),
});

/** The KB's keyword (BM25) index: `ready`, or being built in the background for chunks indexed before it existed. */
export const LexicalIndexSchema = Type.Object({
  state: Type.Union(
    [Type.Literal('ready'), Type.Literal('pending'), Type.Literal('building'), Type.Literal('unavailable')],
    {
      description:
        'ready: every chunk has keyword terms; pending/building: the background backfill is giving older chunks their terms (search keeps working, finding those chunks by vector until then); unavailable: the vector store cannot hold them (see message)',
    },
  ),
  done: Type.Integer({ description: 'chunks given terms by the backfill so far' }),
  total: Type.Integer({ description: 'chunks without terms when the backfill started' }),
  message: Type.Union([Type.String(), Type.Null()]),
});

export const KnowledgeBaseSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.String(),
  embedding_model_id: Type.String({ format: 'uuid' }),
  generation_model_id: Type.String({ format: 'uuid' }),
  embedding_model: ModelSummarySchema,
  generation_model: ModelSummarySchema,
  config_overrides: ConfigOverridesSchema,
  collection: Type.String(),
  dimensions: Type.Integer(),
  distance_metric: DistanceSchema,
  document_count: Type.Integer(),
  documents: DocumentCountsSchema,
  embedding_model_locked: Type.Boolean(),
  lexical_index: LexicalIndexSchema,
  /** The caller's own permission on this KB. */
  permission: KbPermissionSchema,
  created_by: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type KnowledgeBaseView = Static<typeof KnowledgeBaseSchema>;

export const CreateKnowledgeBaseSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    description: Type.Optional(Type.String({ maxLength: 2_000 })),
    embedding_model_id: Type.Optional(
      Type.String({ format: 'uuid', description: 'default embedding model when omitted' }),
    ),
    generation_model_id: Type.Optional(
      Type.String({ format: 'uuid', description: 'default generation model when omitted' }),
    ),
    config_overrides: Type.Optional(ConfigOverridesSchema),
  },
  { additionalProperties: false },
);
export type CreateKnowledgeBase = Static<typeof CreateKnowledgeBaseSchema>;

export const UpdateKnowledgeBaseSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 2_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateKnowledgeBase = Static<typeof UpdateKnowledgeBaseSchema>;

export const KnowledgeBaseListSchema = Type.Object({
  items: Type.Array(KnowledgeBaseSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const KnowledgeBaseListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  q: Type.Optional(Type.String({ maxLength: 255, description: 'filter by name (case-insensitive substring)' })),
});

export const EffectiveConfigSchema = Type.Object({
  chunk_size: Type.Integer(),
  chunk_overlap: Type.Integer(),
  top_k: Type.Integer(),
  similarity_threshold: Type.Number(),
  temperature: Type.Number(),
  max_tokens: Type.Integer(),
  system_prompt: Type.String(),
  retrieval_mode: RetrievalModeSchema,
  language: LanguageSchema,
  fusion: Type.Union([
    Type.Object({ method: Type.Literal('rrf'), rrf_k: Type.Integer() }),
    Type.Object({ method: Type.Literal('weighted'), lexical_weight: Type.Number() }),
  ]),
  query_expansion: QueryExpansionSchema,
  /** null: no reranking. */
  rerank: Type.Union([Type.Object({ model_id: Type.String({ format: 'uuid' }), top_n: Type.Integer() }), Type.Null()]),
});
export type EffectiveConfig = Static<typeof EffectiveConfigSchema>;

export const ModelConfigSchema = Type.Object({
  kb_id: Type.String({ format: 'uuid' }),
  embedding_model_id: Type.String({ format: 'uuid' }),
  generation_model_id: Type.String({ format: 'uuid' }),
  embedding_model: ModelSummarySchema,
  generation_model: ModelSummarySchema,
  config_overrides: ConfigOverridesSchema,
  /** Overrides merged over the platform defaults: what processing and chat use now. */
  effective_config: EffectiveConfigSchema,
  dimensions: Type.Integer(),
  distance_metric: DistanceSchema,
  embedding_model_locked: Type.Boolean(),
  /** Why the embedding model cannot change (null when it can). */
  lock_reason: Type.Union([Type.String(), Type.Null()]),
  document_count: Type.Integer(),
});
export type ModelConfigView = Static<typeof ModelConfigSchema>;

export const UpdateModelConfigSchema = Type.Object(
  {
    embedding_model_id: Type.Optional(Type.String({ format: 'uuid' })),
    generation_model_id: Type.Optional(Type.String({ format: 'uuid' })),
    config_overrides: Type.Optional(ConfigOverridesSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateModelConfig = Static<typeof UpdateModelConfigSchema>;

export const KbIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export { DocumentStatusSchema };

/** Creating requests accept a client key that makes a retry return the first result. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description: 'a unique string per intended request (e.g. a UUID), 1–255 visible ASCII characters; kept 24 h',
    }),
  ),
});
