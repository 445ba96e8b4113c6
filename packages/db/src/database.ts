/** One Kysely instance per service, bound to the service's own Postgres schema. */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';

// Return BIGINT/NUMERIC counts as numbers, timestamps stay Date.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface DatabaseHandle<DB> {
  /** Query builder whose unqualified table names resolve to the service's schema. */
  db: Kysely<DB>;
  /** The underlying pool, for metrics (connections in use) and LISTEN clients. */
  pool: pg.Pool;
  schema: string;
  /** Runs `select 1` with a timeout; used by `/ready`. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  connectionString: string;
  schema: string;
  poolMax?: number;
  applicationName?: string;
}

export function createDatabase<DB>(options: DatabaseOptions): DatabaseHandle<DB> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolMax ?? 10,
    application_name: options.applicationName ?? `lumikb-${options.schema}`,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (Postgres restart) must not crash the process;
  // the pool replaces it and /ready reports the outage.
  pool.on('error', () => {});
  // A connection lost while checked out (mid-query) emits 'error' on the client, where
  // pg-pool has no listener: without this the process would crash. The query itself
  // still rejects, and the pool discards the client.
  pool.on('connect', (client) => client.on('error', () => {}));
  tagConnectFailures(pool);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }).withSchema(options.schema);
  let closed = false;
  return {
    db,
    pool,
    schema: options.schema,
    async ping(timeoutMs = 2_000) {
      await withTimeout(sql`select 1`.execute(db), timeoutMs, 'database ping timed out');
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/**
 * Marks the errors of a failed checkout (refused, reset, timed out) as the database's,
 * so the error handler answers 503 DATABASE_UNAVAILABLE: a raw socket error alone could
 * as well come from an outbound HTTP call, which is not a database outage.
 */
function tagConnectFailures(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  pool.connect = ((callback?: unknown) => {
    if (callback) return (connect as (cb: unknown) => void)(callback);
    return connect().catch((error: unknown) => {
      if (error && typeof error === 'object') (error as { dependency?: string }).dependency = 'database';
      throw error;
    });
  }) as typeof pool.connect;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
