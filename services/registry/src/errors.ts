/** The registry's error catalogue: stable codes; the kit maps each kind to its HTTP status. */
import { defineErrors } from '@lumikb/service-kit';

export const errors = defineErrors({
  MODEL_NOT_FOUND: 'not_found',
  /** A field of the model is missing, of the wrong type, out of range or unknown to the provider. */
  INVALID_MODEL_CONFIG: 'bad_request',
  /** e.g. an embedding model from Anthropic, which has no embeddings API. */
  PROVIDER_TYPE_UNSUPPORTED: 'bad_request',
  MODEL_NAME_TAKEN: 'conflict',
  /** Used by knowledge bases: cannot be deleted, nor its vectors' shape changed. */
  MODEL_IN_USE: 'conflict',
  /** Only an active model can be a default. */
  MODEL_NOT_ACTIVE: 'conflict',
  /** The default model of a type cannot be deactivated or deleted until another is default. */
  DEFAULT_MODEL_REQUIRED: 'conflict',
  /** A model of one type named where a model of the other type is needed. */
  MODEL_TYPE_MISMATCH: 'bad_request',
  /** The stored API key cannot be decrypted with the configured ENCRYPTION_KEYS. */
  CREDENTIALS_UNREADABLE: 'unavailable',
  /** The outbound policy refuses the model's endpoint (own service, metadata, link-local, private for a cloud provider). */
  OUTBOUND_TARGET_REFUSED: 'unprocessable',
});
