/** The knowledge-base service's error catalogue: stable codes, mapped to statuses by the kit. */
import { defineErrors } from '@lumikb/service-kit';

export const errors = defineErrors({
  KB_NOT_FOUND: 'not_found',
  KB_PERMISSION_DENIED: 'forbidden',
  MODEL_NOT_FOUND: 'bad_request',
  MODEL_INACTIVE: 'bad_request',
  MODEL_TYPE_MISMATCH: 'bad_request',
  MODEL_CONFIG_INVALID: 'bad_request',
  NO_DEFAULT_MODEL: 'bad_request',
  INVALID_CONFIG_OVERRIDES: 'bad_request',
  EMBEDDING_MODEL_LOCKED: 'conflict',
  COLLECTION_CONFLICT: 'conflict',
  GRANT_NOT_FOUND: 'not_found',
  LAST_KB_ADMIN: 'conflict',
  DOCUMENT_NOT_FOUND: 'not_found',
  FILE_MISSING: 'bad_request',
  EMPTY_FILE: 'bad_request',
  FILE_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_FILE_TYPE: 'unsupported_media_type',
  DOCUMENT_NOT_FAILED: 'conflict',
  DUPLICATE_DOCUMENT: 'conflict',
  DOCUMENT_NOT_PROCESSED: 'conflict',
  STALE_ATTEMPT: 'conflict',
  INVALID_CONTENT: 'bad_request',
  INVALID_BULK_RETRY: 'bad_request',
  VECTOR_STORE_UNAVAILABLE: 'unavailable',
  EMBEDDING_UNAVAILABLE: 'unavailable',
  GENERATION_UNAVAILABLE: 'unavailable',
  QUEUE_UNAVAILABLE: 'unavailable',
  INVALID_IDEMPOTENCY_KEY: 'bad_request',
  IDEMPOTENCY_KEY_REUSED: 'unprocessable',
  IDEMPOTENCY_IN_PROGRESS: 'conflict',
  /** A user already has CHAT_/SEARCH_MAX_CONCURRENT_PER_USER requests running (with Retry-After). */
  TOO_MANY_CONCURRENT_REQUESTS: 'rate_limited',
  CONVERSATION_NOT_FOUND: 'not_found',
  MESSAGE_NOT_FOUND: 'not_found',
  /** None of a conversation's KBs can be asked (deleted, or the owner lost READ). */
  CONVERSATION_KBS_UNAVAILABLE: 'conflict',
  CONVERSATION_FULL: 'conflict',
  MESSAGE_NOT_STREAMING: 'conflict',
  /** Feedback or regeneration of a message that is not an answer, or /chat against another KB. */
  INVALID_MESSAGE_TARGET: 'bad_request',
  /** The client left before the answer; nobody reads this response, it only ends the work. */
  REQUEST_CANCELLED: 'bad_request',
});
