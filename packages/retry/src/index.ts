/**
 * The platform's one retry policy, for every call that may fail for a moment (a provider's
 * 429 or 5xx, a schema being created by a sibling process, a store starting up):
 * exponential backoff with jitter, a server's own Retry-After honoured, a bound on the
 * attempts and on the longest wait, and cancellation by an AbortSignal.
 *
 * p-retry runs the loop (attempt counting, the retry budget, stopping at the first error
 * that is not worth retrying). The wait between attempts is ours, because p-retry cannot
 * take a delay from the failure itself (Retry-After), and a cancelled wait must reject
 * with the caller's own error type.
 */
import pRetry from 'p-retry';

export interface Backoff {
  /** The first wait; it doubles per attempt. Default 250 ms. */
  baseDelayMs?: number;
  /** The longest wait. Default 10 s. */
  maxDelayMs?: number;
  /**
   * Spread of the random factor around 1 (0.25 → 0.75–1.25×), so that clients that failed
   * together do not retry together. Default 0.25; 0 for a fixed schedule.
   */
  jitter?: number;
}

/** The wait before retry number `retry` (1 for the first retry). */
export function backoffDelay(retry: number, backoff: Backoff = {}): number {
  const base = backoff.baseDelayMs ?? 250;
  const max = backoff.maxDelayMs ?? 10_000;
  const jitter = backoff.jitter ?? 0.25;
  const delay = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  return Math.round(delay * (1 - jitter + Math.random() * 2 * jitter));
}

export interface RetryPolicy extends Backoff {
  /** Retries after the first attempt (0: try once). */
  retries: number;
  /** Whether this failure is worth another attempt (default: every failure). */
  retryable?: (error: unknown) => boolean;
  /**
   * The wait the server asked for (Retry-After), if any. A wait longer than `maxDelayMs` is
   * an answer, not a hiccup: the failure is thrown instead.
   */
  serverDelayMs?: (error: unknown) => number | undefined;
  /** Stops waiting and retrying; the wait rejects through `sleep`. */
  signal?: AbortSignal;
  /** Told before each wait (for a log line or a metric). */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  /** The wait itself; default a timer that rejects with the signal's reason when aborted. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Runs `attempt` (0 for the first) until it succeeds, the failure is not retryable, or the budget is spent. */
export function retry<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  const retryable = policy.retryable ?? (() => true);
  const sleep = policy.sleep ?? abortableSleep;
  const max = policy.maxDelayMs ?? 10_000;
  return pRetry((attemptNumber) => attempt(attemptNumber - 1), {
    retries: policy.retries,
    // No delay from p-retry: onFailedAttempt waits (see the module comment).
    minTimeout: 0,
    maxTimeout: 0,
    randomize: false,
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      // Throwing here ends the retries with this error (p-retry's contract).
      if (retriesLeft === 0 || !retryable(error) || policy.signal?.aborted) throw error;
      const asked = policy.serverDelayMs?.(error);
      if (asked !== undefined && asked > max) throw error;
      const delay = asked ?? backoffDelay(attemptNumber, policy);
      policy.onRetry?.(error, attemptNumber, delay);
      await sleep(delay, policy.signal);
    },
  });
}

/**
 * A timer that ends early when `signal` aborts, rejecting with `abortError()` (default: the
 * signal's reason), so a caller's cancellation surfaces as its own error type.
 */
export function abortableSleep(ms: number, signal?: AbortSignal, abortError?: () => unknown): Promise<void> {
  const reason = () => (abortError ? abortError() : signal?.reason);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(reason());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(reason());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
