/** Errors with stable codes, so services map them to their own catalogue without parsing messages. */

export type VectorStoreErrorCode =
  /** search/upsert/count/deleteByDocument on a collection that does not exist. */
  | 'COLLECTION_NOT_FOUND'
  /** createCollection with a name that exists with other dimensions or distance. */
  | 'COLLECTION_CONFLICT'
  /** A vector (point or query) whose length differs from the collection's dimensions. */
  | 'DIMENSION_MISMATCH'
  /** Bad input the backend refused (invalid id, name, limit, non-finite number …). */
  | 'INVALID_INPUT'
  /** The backend did not answer, refused our credentials, or failed. */
  | 'UNAVAILABLE';

export class VectorStoreError extends Error {
  override readonly name = 'VectorStoreError';
  constructor(
    readonly code: VectorStoreErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isVectorStoreError(error: unknown, code?: VectorStoreErrorCode): error is VectorStoreError {
  return error instanceof VectorStoreError && (code === undefined || error.code === code);
}
