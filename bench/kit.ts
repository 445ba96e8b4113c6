/**
 * Service-kit overhead: GET /health on a kit-built app versus a bare Fastify app,
 * measured in the same run (the ratio is what matters), and outbox end-to-end latency
 * from commit to consumer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { STREAMS, SYSTEM_ACTOR, SystemPing } from '@lumikb/contracts';
import { createDatabase, type MigrationSet } from '@lumikb/db';
import { createEventKitTables, EventConsumer, OutboxRelay, recordEvent } from '@lumikb/events';
import { createTestBus, createTestDatabase, testLogger } from '@lumikb/test-kit';
import { closedLoop, ms, summarize } from './lib/stats.ts';

const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;

async function startServer(kind: 'kit' | 'bare'): Promise<{ origin: string; child: ChildProcess }> {
  const child = spawn(tsx, [new URL('./servers/health.ts', import.meta.url).pathname, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { origin: `http://127.0.0.1:${port}`, child };
}

export async function benchKit(options: { durationMs?: number; concurrency?: number; rounds?: number } = {}) {
  const durationMs = options.durationMs ?? 4_000;
  const concurrency = options.concurrency ?? 32;
  const results: Record<string, string | number> = {};
  // Interleaved rounds (bare, kit, bare, kit, …) so drift in the machine's load or clock
  // affects both alike; each figure is the median over the rounds.
  const rounds = options.rounds ?? 3;
  const runs: Record<'bare' | 'kit', { rps: number; p50: number; p99: number; errors: number }[]> = {
    bare: [],
    kit: [],
  };
  for (let round = 0; round < rounds; round++) {
    for (const kind of ['bare', 'kit'] as const) {
      const { origin, child } = await startServer(kind);
      try {
        runs[kind].push(await closedLoop(origin, { path: '/health' }, { concurrency, durationMs }));
      } finally {
        child.kill('SIGTERM');
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  for (const kind of ['bare', 'kit'] as const) {
    results[`${kind} /health req/s (median of ${rounds})`] = Math.round(median(runs[kind].map((r) => r.rps)));
    results[`${kind} /health p50`] = ms(median(runs[kind].map((r) => r.p50)));
    results[`${kind} /health p99`] = ms(median(runs[kind].map((r) => r.p99)));
    const errors = runs[kind].reduce((n, r) => n + r.errors, 0);
    if (errors) results[`${kind} errors`] = errors;
  }
  results['kit/bare throughput ratio'] = Number(
    (median(runs.kit.map((r) => r.rps)) / median(runs.bare.map((r) => r.rps))).toFixed(2),
  );
  Object.assign(results, await benchOutbox());
  return results;
}

const migrations: MigrationSet = { '0001': { up: (db) => createEventKitTables(db, 'benchoutbox') } };

/** Commit → consumer latency through the real outbox, relay (LISTEN/NOTIFY) and JetStream. */
async function benchOutbox(events = 500) {
  const teardowns: (() => unknown)[] = [];
  const t = { teardown: (fn: () => unknown) => teardowns.push(fn) };
  try {
    const database = await createTestDatabase(t, [{ schema: 'benchoutbox', migrations }]);
    const handle = createDatabase({ connectionString: database.url, schema: 'benchoutbox' });
    teardowns.push(() => handle.close());
    const { bus } = await createTestBus(t, { streams: [STREAMS.SYSTEM] });
    const relay = new OutboxRelay({
      db: handle.db,
      pool: handle.pool,
      schema: 'benchoutbox',
      bus,
      logger: testLogger(),
    });
    relay.start();
    teardowns.push(() => relay.stop());
    const committedAt = new Map<number, number>();
    const latencies: number[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const consumer = new EventConsumer({
      bus,
      stream: STREAMS.SYSTEM,
      durable: 'bench',
      events: [SystemPing],
      logger: testLogger(),
      concurrency: 16,
      handle: async (event) => {
        const seq = (event.data as { seq: number }).seq;
        latencies.push(performance.now() - committedAt.get(seq)!);
        if (latencies.length === events) done();
      },
    });
    await consumer.start();
    teardowns.push(() => consumer.stop());
    for (let seq = 0; seq < events; seq++) {
      await handle.db.transaction().execute(async (trx) => {
        await recordEvent(trx, SystemPing, { seq }, { actor: SYSTEM_ACTOR });
        // The commit follows at once; the consumer may see the event before it returns here.
        committedAt.set(seq, performance.now());
      });
      // One event at a time (a new one every 2 ms): the latency of a quiet system, not a backlog.
      await new Promise((r) => setTimeout(r, 2));
    }
    await finished;
    const s = summarize(latencies);
    return {
      'outbox commit→consumer p50': ms(s.p50),
      'outbox commit→consumer p99': ms(s.p99),
      'outbox events': events,
    };
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}
