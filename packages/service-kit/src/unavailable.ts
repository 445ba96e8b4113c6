/**
 * Recognises errors that mean "a dependency is down" rather than "this request is wrong"
 * or "our code is broken": Postgres unreachable, restarting or out of connections, and
 * NATS disconnected. The error handler answers them with 503 and Retry-After, so a client
 * knows that the same request may succeed later.
 */

export type UnavailableDependency = 'database' | 'bus';

/** Socket-level failures of a connection we opened (pg reports them raw). */
const SOCKET_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATEs that say the server cannot serve us now: class 08 (connection exception),
 * 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now), 53300 (too many
 * connections).
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** pg, pg-pool and Kysely (a destroyed instance, during shutdown) raise these without a code. */
const PG_UNAVAILABLE_MESSAGES = [
  'driver has already been destroyed',
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Cannot use a pool after calling end on the pool',
  'Client was closed and is not queryable',
  'Client has encountered a connection error and is not queryable',
];

/** nats.js error codes that mean the connection to the server is not usable. */
const NATS_UNAVAILABLE_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DRAINING',
  'CONNECTION_REFUSED',
  'CONNECTION_TIMEOUT',
  'DISCONNECT',
  'TIMEOUT',
  '503', // no responders / JetStream not available
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  syscall?: unknown;
  cause?: unknown;
  errors?: unknown;
}

export function unavailableDependency(error: unknown, depth = 0): UnavailableDependency | undefined {
  if (!error || typeof error !== 'object' || depth > 3) return undefined;
  const e = error as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.name === 'NatsError') return code && NATS_UNAVAILABLE_CODES.has(code) ? 'bus' : undefined;
  // A failed outbound fetch (TypeError 'fetch failed' with the errno in its cause) is an
  // upstream's problem, not ours; routes that call upstreams map those themselves.
  if (error instanceof TypeError) return undefined;
  if (code && SOCKET_ERRNOS.has(code) && typeof e.syscall === 'string') return 'database';
  if (code && /^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code)) return 'database';
  if (PG_UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) return 'database';
  // pg reports "every address refused" as an AggregateError of errno errors.
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = unavailableDependency(inner, depth + 1);
      if (found) return found;
    }
  }
  return e.cause ? unavailableDependency(e.cause, depth + 1) : undefined;
}
