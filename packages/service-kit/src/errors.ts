/**
 * Stable error codes. Domain code throws `AppError` with a code from its service's
 * catalogue; the error handler alone turns codes into HTTP statuses and the
 * `{code, message, details?}` body. 5xx details never leave the process.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'upstream_timeout'
  | 'internal';

export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  upstream_timeout: 504,
  internal: 500,
};

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details?: unknown,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * Declares a service's error catalogue: `const errors = defineErrors({ MODEL_NOT_FOUND:
 * 'not_found' })`, then `throw errors.MODEL_NOT_FOUND('Model x not found', details)`.
 */
export function defineErrors<C extends Record<string, ErrorKind>>(
  catalogue: C,
): { [K in keyof C]: (message: string, details?: unknown, headers?: Record<string, string>) => AppError } {
  const factories: Record<string, (message: string, details?: unknown, headers?: Record<string, string>) => AppError> =
    {};
  for (const [code, kind] of Object.entries(catalogue)) {
    factories[code] = (message, details, headers) => new AppError(code, kind, message, details, headers);
  }
  return factories as never;
}

/** Codes the kit itself produces. */
export const kitErrors = defineErrors({
  VALIDATION_FAILED: 'bad_request',
  INVALID_JSON: 'bad_request',
  BAD_REQUEST: 'bad_request',
  ROUTE_NOT_FOUND: 'not_found',
  NOT_FOUND: 'not_found',
  UNAUTHENTICATED: 'unauthenticated',
  TOKEN_EXPIRED: 'unauthenticated',
  TOKEN_INVALID: 'unauthenticated',
  TOKEN_REVOKED: 'unauthenticated',
  FORBIDDEN: 'forbidden',
  INSUFFICIENT_LEVEL: 'forbidden',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  RATE_LIMITED: 'rate_limited',
  SERVICE_UNAVAILABLE: 'unavailable',
  DATABASE_UNAVAILABLE: 'unavailable',
  BUS_UNAVAILABLE: 'unavailable',
  INVALID_INPUT: 'bad_request',
  MALFORMED_MULTIPART: 'bad_request',
  INTERNAL_ERROR: 'internal',
});
