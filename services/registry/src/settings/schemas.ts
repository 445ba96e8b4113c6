/** Request and response payloads of the settings routes. */
import {
  type GenerationDefaults,
  GenerationDefaultsSchema,
  LlmSettingsSchema,
  type SystemSettings,
  SystemSettingsSchema,
} from '@lumikb/contracts';
import { type TObject, type TSchema, Type } from 'typebox';
import { ProviderSchema, WarningSchema } from '../models/schemas.ts';

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/**
 * The same limits as the settings schema, every field optional and without defaults:
 * a PUT changes only what it names (a default filled in by the validator would silently
 * reset another setting).
 */
function patchSchemaOf(schema: TObject, description: string): TSchema {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'default' || key === 'required') continue;
      out[key] = strip(value);
    }
    if (out.type === 'object') out.additionalProperties = false;
    return out;
  };
  return { ...(strip(schema) as object), minProperties: 1, description } as TSchema;
}

export const SystemSettingsUpdateSchema = patchSchemaOf(
  SystemSettingsSchema,
  'Settings to change; the others keep their value',
);
export type SystemSettingsUpdate = DeepPartial<SystemSettings>;

export const SystemSettingsViewSchema = Type.Object({
  version: Type.Integer(),
  updated_at: Type.String({ format: 'date-time' }),
  updated_by: Type.Union([Type.String(), Type.Null()]),
  settings: SystemSettingsSchema,
});

export const LlmConfigUpdateSchema = Type.Object(
  {
    default_embedding_model_id: Type.Optional(Type.String({ format: 'uuid' })),
    default_generation_model_id: Type.Optional(Type.String({ format: 'uuid' })),
    generation_defaults: Type.Optional(patchSchemaOf(GenerationDefaultsSchema, 'Generation defaults to change')),
  },
  { additionalProperties: false, minProperties: 1 },
);
export interface LlmConfigUpdate {
  default_embedding_model_id?: string;
  default_generation_model_id?: string;
  generation_defaults?: DeepPartial<GenerationDefaults>;
}

const ModelSummarySchema = Type.Union([
  Type.Object({
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    provider: ProviderSchema,
    model_id: Type.String(),
    dimensions: Type.Optional(Type.Integer()),
    distance_metric: Type.Optional(Type.String()),
  }),
  Type.Null(),
]);

export const LlmConfigViewSchema = Type.Object({
  version: Type.Integer(),
  updated_at: Type.String({ format: 'date-time' }),
  ...LlmSettingsSchema.properties,
  default_embedding_model: ModelSummarySchema,
  default_generation_model: ModelSummarySchema,
});

export const LlmConfigUpdateResponseSchema = Type.Object({
  config: LlmConfigViewSchema,
  changed_fields: Type.Array(Type.String()),
  warnings: Type.Array(WarningSchema),
});
