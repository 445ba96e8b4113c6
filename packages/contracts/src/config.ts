/**
 * Platform settings owned by the registry and hot-reloaded everywhere else. Every
 * `config.updated` event carries the complete current snapshot (both scopes), so the
 * last message on the subject is enough for a service that starts later.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from './envelope.ts';

export const RateLimitsSchema = Type.Object(
  {
    api_requests_per_minute: Type.Integer({
      minimum: 10,
      maximum: 100_000,
      default: 600,
      description: 'Requests per minute per signed-in user across the whole API (gateway).',
    }),
    login_attempts_per_minute: Type.Integer({
      minimum: 1,
      maximum: 1_000,
      default: 10,
      description: 'Password login attempts per minute per client address.',
    }),
    search_requests_per_minute: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 120,
      description: 'Semantic searches per minute per user.',
    }),
    chat_requests_per_minute: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 30,
      description: 'Chat questions per minute per user.',
    }),
    upload_requests_per_minute: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 1_200,
      description:
        'Upload requests per minute per user, counted apart from the API limit so a bulk import of ' +
        'thousands of files is not throttled by it.',
    }),
  },
  { additionalProperties: false },
);
export type RateLimits = Static<typeof RateLimitsSchema>;

export const SystemSettingsSchema = Type.Object(
  {
    max_upload_size_mb: Type.Integer({
      minimum: 1,
      maximum: 2_048,
      default: 50,
      description: 'Largest document a user may upload, in MiB.',
    }),
    session_timeout_minutes: Type.Integer({
      minimum: 5,
      maximum: 43_200,
      default: 480,
      description: 'How long a signed-in session stays valid without activity, in minutes.',
    }),
    rate_limits: RateLimitsSchema,
  },
  { additionalProperties: false },
);
export type SystemSettings = Static<typeof SystemSettingsSchema>;

export const GenerationDefaultsSchema = Type.Object(
  {
    temperature: Type.Number({
      minimum: 0,
      maximum: 2,
      default: 0.7,
      description: "Sampling temperature when a KB sets none (clamped to the model's range).",
    }),
    top_p: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Nucleus sampling mass.' }),
    max_output_tokens: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 1_024,
      description: "Answer length limit (clamped to the model's max_output_tokens).",
    }),
    request_timeout_seconds: Type.Integer({
      minimum: 1,
      maximum: 600,
      default: 60,
      description: 'Give up on one generation request after this long.',
    }),
    fallback_to_default: Type.Boolean({
      default: true,
      description: "Answer with the default generation model when a KB's model is unavailable (said in the answer).",
    }),
    system_prompt: Type.String({
      maxLength: 8_000,
      default:
        'You answer questions using only the provided passages. Cite passages with their markers. ' +
        'When the passages do not contain the answer, say plainly that the documents do not contain it ' +
        'instead of quoting passages that do not answer the question.',
      description: 'Instructions given to the generation model before every question.',
    }),
  },
  { additionalProperties: false },
);
export type GenerationDefaults = Static<typeof GenerationDefaultsSchema>;

export const LlmSettingsSchema = Type.Object(
  {
    default_embedding_model_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    default_generation_model_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    generation_defaults: GenerationDefaultsSchema,
  },
  { additionalProperties: false },
);
export type LlmSettings = Static<typeof LlmSettingsSchema>;

export const DEFAULT_SYSTEM_SETTINGS: SystemSettings = {
  max_upload_size_mb: 50,
  session_timeout_minutes: 480,
  rate_limits: {
    api_requests_per_minute: 600,
    login_attempts_per_minute: 10,
    search_requests_per_minute: 120,
    chat_requests_per_minute: 30,
    upload_requests_per_minute: 1_200,
  },
};

export const DEFAULT_GENERATION_DEFAULTS: GenerationDefaults = {
  temperature: 0.7,
  top_p: 1,
  max_output_tokens: 1_024,
  request_timeout_seconds: 60,
  fallback_to_default: true,
  system_prompt:
    'You answer questions using only the provided passages. Cite passages with their markers. ' +
    'When the passages do not contain the answer, say plainly that the documents do not contain it ' +
    'instead of quoting passages that do not answer the question.',
};

export const DEFAULT_LLM_SETTINGS: LlmSettings = {
  default_embedding_model_id: null,
  default_generation_model_id: null,
  generation_defaults: DEFAULT_GENERATION_DEFAULTS,
};

export const SettingsScopeSchema = Type.Union([Type.Literal('system'), Type.Literal('llm')]);
export type SettingsScope = Static<typeof SettingsScopeSchema>;

/** Everything a service needs to know about the current settings, at one version. */
export const SettingsSnapshotSchema = Type.Object({
  /** Increases by one with every change of either scope; consumers ignore older versions. */
  version: Type.Integer({ minimum: 0 }),
  updated_at: Type.String({ format: 'date-time' }),
  system: SystemSettingsSchema,
  llm: LlmSettingsSchema,
});
export type SettingsSnapshot = Static<typeof SettingsSnapshotSchema>;

export const DEFAULT_SETTINGS_SNAPSHOT: SettingsSnapshot = {
  version: 0,
  updated_at: new Date(0).toISOString(),
  system: DEFAULT_SYSTEM_SETTINGS,
  llm: DEFAULT_LLM_SETTINGS,
};

/**
 * A settings change (or, with `reason: 'snapshot'`, the registry re-stating the current
 * settings so the stream's last message stays complete and within the stream's max age).
 */
export const ConfigUpdated = defineEvent(
  'config.updated',
  Type.Object({
    ...SettingsSnapshotSchema.properties,
    reason: Type.Union([Type.Literal('changed'), Type.Literal('snapshot')]),
    /** The scope that changed (absent on a snapshot). */
    scope: Type.Optional(SettingsScopeSchema),
    /** Dotted paths of what changed, e.g. `system.rate_limits.login_attempts_per_minute`. */
    changed_fields: Type.Array(Type.String()),
  }),
);
