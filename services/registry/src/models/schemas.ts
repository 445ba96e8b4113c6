/** Request and response payloads of the model routes. */
import {
  ModelStatusSchema,
  ModelTypeSchema,
  ModelViewSchema,
  type Provider,
  ProviderSchema as ProviderUnion,
} from '@lumikb/contracts';
import { type Static, type TSchema, Type } from 'typebox';

/** The contract's provider union, typed (its Static collapses to never when built with .map). */
export const ProviderSchema = Type.Unsafe<Provider>(ProviderUnion);

// Null first: with coerceTypes the validator would otherwise turn null into "" via the string branch.
const Nullable = <T extends TSchema>(schema: T) => Type.Union([Type.Null(), schema]);

export const ConnectionTestStateSchema = Type.Object({
  tested_at: Type.String({ format: 'date-time' }),
  success: Type.Boolean(),
  latency_ms: Type.Integer(),
  message: Type.String(),
});

export const SyncStatusSchema = Type.Union(
  [Type.Literal('not_applicable'), Type.Literal('pending'), Type.Literal('synced'), Type.Literal('failed')],
  { description: 'State of the model in the LiteLLM proxy (not_applicable: local, direct-call or inactive).' },
);

export const ModelUsageSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  /** How the knowledge base uses the model. */
  role: Type.Union([Type.Literal('embedding'), Type.Literal('generation')]),
  dimensions: Type.Integer(),
  distance_metric: Type.String(),
});

/** What admins see of a model: the public view plus test, sync and usage state. */
export const AdminModelSchema = Type.Object({
  ...ModelViewSchema.properties,
  provider: ProviderSchema,
  last_test: Nullable(ConnectionTestStateSchema),
  sync_status: SyncStatusSchema,
  sync_error: Nullable(Type.String()),
  synced_at: Nullable(Type.String({ format: 'date-time' })),
  /** Number of knowledge bases using the model (embedding or generation). */
  kb_count: Type.Integer({ minimum: 0 }),
});
export type AdminModel = Static<typeof AdminModelSchema>;

export const AdminModelDetailSchema = Type.Object({
  ...AdminModelSchema.properties,
  used_by: Type.Array(ModelUsageSchema),
});

/** Shown in lists and pickers; unique per type, ignoring case; surrounding spaces are dropped. */
const ModelNameSchema = Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' });

const ConfigInput = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Parameters of the model; which exist depends on provider and type (GET /api/v1/admin/models/providers)',
});

export const ModelCreateSchema = Type.Object(
  {
    type: ModelTypeSchema,
    provider: ProviderSchema,
    name: ModelNameSchema,
    model_id: Type.Optional(Type.String({ maxLength: 255 })),
    api_endpoint: Type.Optional(Nullable(Type.String({ maxLength: 2_048 }))),
    api_key: Type.Optional(Nullable(Type.String({ maxLength: 4_096 }))),
    config: Type.Optional(ConfigInput),
    status: Type.Optional(ModelStatusSchema),
  },
  { additionalProperties: false },
);
export type ModelCreate = Static<typeof ModelCreateSchema>;

export const ModelUpdateSchema = Type.Object(
  {
    name: Type.Optional(ModelNameSchema),
    model_id: Type.Optional(Type.String({ maxLength: 255 })),
    api_endpoint: Type.Optional(Nullable(Type.String({ maxLength: 2_048 }))),
    api_key: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 4_096,
          description: 'omit to keep the stored key, a string to replace it, null to remove it',
        }),
      ),
    ),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'merged into the stored config; a null value resets that setting to its default',
      }),
    ),
    status: Type.Optional(ModelStatusSchema),
  },
  { additionalProperties: false, description: 'type and provider are fixed at creation' },
);
export type ModelUpdate = Static<typeof ModelUpdateSchema>;

export const ModelTestRequestSchema = Type.Object(
  {
    ...ModelCreateSchema.properties,
    name: Type.Optional(Type.String({ maxLength: 255 })),
    reuse_api_key_from: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'when editing a saved model without retyping its key: test with the key stored on that model',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ModelTestRequest = Static<typeof ModelTestRequestSchema>;

export const ConnectionTestResultSchema = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  latency_ms: Type.Integer({ minimum: 0 }),
  details: Type.Record(Type.String(), Type.Unknown()),
  tested_at: Type.String({ format: 'date-time' }),
});
export type ConnectionTestResponse = Static<typeof ConnectionTestResultSchema>;

export const ModelListQuerySchema = Type.Object(
  {
    type: Type.Optional(ModelTypeSchema),
    status: Type.Optional(ModelStatusSchema),
    provider: Type.Optional(ProviderSchema),
    is_default: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ maxLength: 100, description: 'matches name or model_id (case-insensitive)' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);
export type ModelListQuery = Static<typeof ModelListQuerySchema>;

export const ModelListSchema = Type.Object({
  items: Type.Array(AdminModelSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const KbRefSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  dimensions: Type.Integer(),
  embedding_model_id: Type.String({ format: 'uuid' }),
});

export const WarningSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  knowledge_bases: Type.Optional(Type.Array(KbRefSchema)),
});
export type Warning = Static<typeof WarningSchema>;

export const SetDefaultResponseSchema = Type.Object({
  ...AdminModelSchema.properties,
  warnings: Type.Array(WarningSchema),
});

/** What any signed-in user sees when choosing models for a knowledge base. */
export const AvailableModelSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: ModelTypeSchema,
  provider: ProviderSchema,
  name: Type.String(),
  model_id: Type.String(),
  config: Type.Record(Type.String(), Type.Unknown()),
  is_default: Type.Boolean(),
  health: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy'), Type.Literal('unknown')], {
    description: "the model's last connection test: a KB picker marks an unhealthy model",
  }),
  health_message: Nullable(Type.String({ description: 'what the last connection test reported' })),
  health_checked_at: Nullable(Type.String({ format: 'date-time' })),
});

export const AvailableQuerySchema = Type.Object(
  { type: Type.Optional(ModelTypeSchema) },
  { additionalProperties: false },
);

export const HealthQuerySchema = Type.Object(
  { probe: Type.Boolean({ default: false, description: 'run a fresh connection test of every active model' }) },
  { additionalProperties: false },
);

export const ModelHealthSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  type: ModelTypeSchema,
  provider: ProviderSchema,
  is_default: Type.Boolean(),
  health: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy'), Type.Literal('unknown')], {
    description: 'from the last connection test; unknown when never tested',
  }),
  last_test: Nullable(ConnectionTestStateSchema),
  sync_status: SyncStatusSchema,
});

export const LlmHealthSchema = Type.Object({
  checked_at: Type.String({ format: 'date-time' }),
  probed: Type.Boolean(),
  healthy: Type.Integer(),
  unhealthy: Type.Integer(),
  unknown: Type.Integer(),
  models: Type.Array(ModelHealthSchema),
});

/** Internal: a model with its decrypted key, for proxy-sync only (the contract lives in @lumikb/contracts). */
export { ModelCredentialsSchema } from '@lumikb/contracts';
export const InternalModelsQuerySchema = Type.Object(
  { status: Type.Optional(ModelStatusSchema) },
  { additionalProperties: false },
);
