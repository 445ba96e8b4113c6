/**
 * The registry's internal HTTP API (service identities only), as one contract: the
 * registry uses these schemas as its route schemas, proxy-sync's client checks every
 * answer against them, so the two sides cannot drift apart unnoticed.
 */
import { type Static, Type } from 'typebox';
import { ModelViewSchema } from './models.ts';

export const INTERNAL_REGISTRY_PATHS = {
  /** GET: every model (optionally by `?status=`) with its decrypted key. */
  models: '/internal/models',
  /** GET: one model with its decrypted key; 404 MODEL_NOT_FOUND when it is gone. */
  modelCredentials: (id: string) => `/internal/models/${encodeURIComponent(id)}/credentials`,
} as const;

/** A model with its decrypted API key (never logged, never stored by the caller). */
export const ModelCredentialsSchema = Type.Object({
  ...ModelViewSchema.properties,
  api_key: Type.Union([Type.Null(), Type.String()]),
});
export type ModelCredentials = Static<typeof ModelCredentialsSchema>;

export const ModelCredentialsListSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      ...ModelCredentialsSchema.properties,
      /** Set when this model's key could not be decrypted (the others still list). */
      credentials_error: Type.Optional(Type.String()),
    }),
  ),
});
export type ModelCredentialsList = Static<typeof ModelCredentialsListSchema>;
