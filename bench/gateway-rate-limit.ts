/**
 * What the gateway's shared rate limit costs per request: the counter upsert in
 * Postgres (services/gateway/src/rate-limit/counters.ts) against a bare `select 1` on the
 * same pool in the same run, at the same concurrency. Run alone with
 * `tsx bench/gateway-rate-limit.ts` (RATE_LIMIT_BENCH_REQUESTS overrides the count).
 */
import { pathToFileURL } from 'node:url';
import { createDatabase, sql } from '@lumikb/db';
import { createTestDatabase } from '@lumikb/test-kit';
import { type GatewayDatabase, SCHEMA } from '../services/gateway/src/db/database.ts';
import { migrations } from '../services/gateway/src/db/migrations/index.ts';
import { countHit } from '../services/gateway/src/rate-limit/counters.ts';
import { ms, summarize } from './lib/stats.ts';

async function timed(total: number, concurrency: number, op: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { ...summarize(latencies), perSecond: Math.round(total / ((performance.now() - started) / 1000)) };
}

export async function benchGatewayRateLimit(): Promise<Record<string, string | number>> {
  const teardowns: (() => unknown)[] = [];
  try {
    const database = await createTestDatabase({ teardown: (fn) => teardowns.push(fn) }, [
      { schema: SCHEMA, migrations },
    ]);
    const handle = createDatabase<GatewayDatabase>({ connectionString: database.url, schema: SCHEMA });
    teardowns.push(() => handle.close());
    const total = Number(process.env.RATE_LIMIT_BENCH_REQUESTS ?? 4_000);
    const concurrency = 16;
    // 100 users, so rows are contended as in real traffic, not all on one row.
    const baseline = await timed(total, concurrency, () => sql`select 1`.execute(handle.db));
    const limiter = await timed(total, concurrency, (i) => countHit(handle.db, 'api', `user:${i % 100}`));
    const oneRow = await timed(total, concurrency, () => countHit(handle.db, 'api', 'user:hot'));
    return {
      requests: total,
      concurrency,
      'select 1 p50 / p99': `${ms(baseline.p50)} / ${ms(baseline.p99)}`,
      'counter upsert p50 / p99 (100 users)': `${ms(limiter.p50)} / ${ms(limiter.p99)}`,
      'counter upsert p50 / p99 (one hot user)': `${ms(oneRow.p50)} / ${ms(oneRow.p99)}`,
      'select 1 per second': baseline.perSecond,
      'counter upserts per second (100 users)': limiter.perSecond,
      'counter upserts per second (one hot user)': oneRow.perSecond,
      'upsert cost vs select 1 (p50)': Number((limiter.p50 / baseline.p50).toFixed(2)),
    };
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await benchGatewayRateLimit());
}
