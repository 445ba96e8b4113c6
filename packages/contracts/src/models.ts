/**
 * The model registry's public view of a model and its events. No secret is ever part
 * of these: `has_api_key` says whether a key is stored.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from './envelope.ts';
import { literalUnion } from './literal-union.ts';

export const PROVIDERS = [
  'local',
  'ollama',
  'lmstudio',
  'openai',
  'azure',
  'anthropic',
  'cohere',
  'google',
  'jina',
  'custom',
] as const;
export type Provider = (typeof PROVIDERS)[number];
export const ProviderSchema = literalUnion(PROVIDERS);

/** Providers called directly at the model's endpoint; all others go through LiteLLM. */
export const DIRECT_CALL_PROVIDERS: readonly Provider[] = ['ollama', 'lmstudio'];

/** `rerank`: scores (query, passage) pairs to reorder retrieved passages (docs/retrieval.md#reranking). */
export const ModelTypeSchema = Type.Union([
  Type.Literal('embedding'),
  Type.Literal('generation'),
  Type.Literal('rerank'),
]);
export type ModelType = Static<typeof ModelTypeSchema>;
export const ModelStatusSchema = Type.Union([
  Type.Literal('active'),
  Type.Literal('inactive'),
  Type.Literal('deprecated'),
]);
export type ModelStatus = Static<typeof ModelStatusSchema>;

export const ModelViewSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: ModelTypeSchema,
  provider: ProviderSchema,
  name: Type.String(),
  model_id: Type.String(),
  api_endpoint: Type.Union([Type.String(), Type.Null()]),
  /** EmbeddingModelConfig, GenerationModelConfig or RerankModelConfig (see the registry's schemas). */
  config: Type.Record(Type.String(), Type.Unknown()),
  status: ModelStatusSchema,
  is_default: Type.Boolean(),
  has_api_key: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type ModelView = Static<typeof ModelViewSchema>;

/** The LiteLLM proxy alias of a registry model. */
export const proxyAlias = (modelId: string) => `db-${modelId}`;

export const ModelCreated = defineEvent('model.created', Type.Object({ model: ModelViewSchema }));
export const ModelUpdated = defineEvent(
  'model.updated',
  Type.Object({ model: ModelViewSchema, changed_fields: Type.Array(Type.String()) }),
);
export const ModelDeleted = defineEvent(
  'model.deleted',
  Type.Object({ id: Type.String({ format: 'uuid' }), type: ModelTypeSchema, provider: ProviderSchema }),
);
export const ModelDefaultChanged = defineEvent(
  'model.default_changed',
  Type.Object({
    type: ModelTypeSchema,
    model_id: Type.String({ format: 'uuid' }),
    previous_model_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  }),
);
export const ModelSynced = defineEvent(
  'model.synced',
  Type.Object({
    id: Type.String({ format: 'uuid' }),
    alias: Type.String(),
    synced_at: Type.String({ format: 'date-time' }),
  }),
);
export const ModelSyncFailed = defineEvent(
  'model.sync_failed',
  Type.Object({
    id: Type.String({ format: 'uuid' }),
    alias: Type.String(),
    error: Type.String(),
    attempts: Type.Integer(),
  }),
);
