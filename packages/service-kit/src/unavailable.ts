/**
 * Recognises errors that mean "a dependency is down" rather than "this request is wrong"
 * or "our code is broken": Postgres unreachable, restarting or out of connections, and
 * NATS disconnected. The error handler answers them with 503 and Retry-After, so a client
 * knows that the same request may succeed later.
 */

export type UnavailableDependency = 'database' | 'bus';

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
  /** Set by `@lumikb/db` on a failed pool checkout (refused, reset, timed out). */
  dependency?: unknown;
  name?: unknown;
  code?: unknown;
  message?: unknown;
  /** Present on errors the Postgres server sent. */
  severity?: unknown;
}

export function unavailableDependency(error: unknown): UnavailableDependency | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.name === 'NatsError') return code && NATS_UNAVAILABLE_CODES.has(code) ? 'bus' : undefined;
  // A raw socket error is the database's only when our pool tagged it: it could as well
  // come from an outbound HTTP call, which routes map to their own upstream codes.
  if (e.dependency === 'database') return 'database';
  if (code && typeof e.severity === 'string' && isUnavailableSqlState(code)) return 'database';
  if (PG_UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) return 'database';
  return undefined;
}
