/** Errors thrown by the router. Callers map them to their own error catalogues. */

export type LlmErrorKind =
  | 'timeout'
  | 'unreachable'
  | 'dns'
  | 'auth'
  | 'not_found'
  | 'rate_limited'
  | 'bad_request'
  | 'provider_error'
  | 'dimension_mismatch'
  | 'invalid_response'
  | 'aborted'
  /** The outbound policy refused the target (OUTBOUND_TARGET_REFUSED); never retried. */
  | 'refused'
  | 'not_configured';

export class LlmError extends Error {
  override readonly name: string = 'LlmError';
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True when another attempt (or a fallback model) may help. */
  get retryable(): boolean {
    return (
      this.kind === 'timeout' ||
      this.kind === 'unreachable' ||
      this.kind === 'rate_limited' ||
      this.kind === 'provider_error'
    );
  }

  /** True when the model cannot be used at all right now (fallback candidates). */
  get unavailable(): boolean {
    return (
      this.retryable ||
      this.kind === 'dns' ||
      this.kind === 'not_found' ||
      this.kind === 'auth' ||
      this.kind === 'not_configured'
    );
  }
}

/** An embedding came back with a different length than the model's config.dimensions. */
export class DimensionMismatchError extends LlmError {
  override readonly name = 'DimensionMismatchError';
  constructor(
    readonly expected: number,
    readonly actual: number,
    modelId: string,
  ) {
    super(
      'dimension_mismatch',
      `Dimension mismatch: model ${modelId} returned ${actual}-dimensional vectors but its configuration says ${expected}`,
      { expected, actual, model_id: modelId },
    );
  }
}
