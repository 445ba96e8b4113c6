/**
 * Benchmark of the embedded (postgres) vector store on a KB of 20 000 chunks × 384 dims:
 * collection creation time, upsert throughput, cold load, search latency p50/p99 at 1 and
 * at 100 concurrent clients, and the event-loop delay while searching (story 7-7: no
 * event-loop blocking). Uses a throw-away database on DATABASE_URL (default: local Postgres).
 *
 * Run: `pnpm --filter @lumikb/vector-store bench`, or `benchVectorStore()` from `pnpm bench`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { PostgresVectorStore, pointId, type VectorPoint } from '../src/index.ts';

export interface VectorStoreBenchOptions {
  databaseUrl?: string;
  chunks?: number;
  dimensions?: number;
  /** Print figures as they come (default true). */
  print?: boolean;
}

export interface LatencyFigures {
  clients: number;
  queries: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  queriesPerSecond: number;
  /** Timer lateness beyond the 10 ms sampling interval, while the clients ran. */
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Share of the run the main thread was busy (performance.eventLoopUtilization). */
  eventLoopUtilization: number;
}

export interface VectorStoreBenchResult {
  adapter: 'postgres';
  chunks: number;
  dimensions: number;
  collectionCreateMs: { p50: number; max: number };
  upsertChunksPerSecond: number;
  coldFirstSearchMs: number;
  /** The same delay measured with the process idle: what the machine alone adds. */
  idleEventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
  kernel: string;
  search: LatencyFigures[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Deterministic unit-ish vectors, so runs are comparable. */
function vectors(seed: number, count: number, dims: number): number[][] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0xffffffff - 0.5;
  };
  return Array.from({ length: count }, () => Array.from({ length: dims }, next));
}

const round = (n: number) => Math.round(n * 100) / 100;
const RESOLUTION_MS = 10;
/** monitorEventLoopDelay records the sampling interval plus the lateness: keep the lateness. */
const late = (ns: number) => round(Math.max(0, ns / 1e6 - RESOLUTION_MS));
const ms = (h: IntervalHistogram, p: number) => late(h.percentile(p));

async function idleDelay() {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  await new Promise((r) => setTimeout(r, 2_000));
  h.disable();
  return { p50Ms: ms(h, 50), p99Ms: ms(h, 99), maxMs: late(h.max) };
}

export async function benchVectorStore(options: VectorStoreBenchOptions = {}): Promise<VectorStoreBenchResult> {
  const chunks = options.chunks ?? 20_000;
  const dims = options.dimensions ?? 384;
  const print = options.print ?? true;
  const log = (line: string) => {
    if (print) console.log(line);
  };
  const adminUrl = new URL(
    options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const dbName = `lumikb_bench_vectors_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database "${dbName}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const store = new PostgresVectorStore({ databaseUrl: url.toString() });
  try {
    await store.ensureReady();
    const kernel = await store.searchKernel();
    log(`vector store bench (postgres adapter, ${kernel} kernel): ${chunks} chunks × ${dims} dims, cosine`);
    const idleEventLoopDelay = await idleDelay();
    log(
      `  idle event-loop delay (machine baseline): p50 ${idleEventLoopDelay.p50Ms} ms, p99 ${idleEventLoopDelay.p99Ms} ms, max ${idleEventLoopDelay.maxMs} ms`,
    );

    const createTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await store.createCollection({ name: `kb_${randomUUID()}`, dimensions: dims, distance: 'cosine' });
      createTimes.push(performance.now() - started);
    }
    createTimes.sort((a, b) => a - b);
    const collectionCreateMs = { p50: round(percentile(createTimes, 50)), max: round(percentile(createTimes, 100)) };
    log(`  collection creation: p50 ${collectionCreateMs.p50} ms, max ${collectionCreateMs.max} ms`);

    const name = `kb_${randomUUID()}`;
    await store.createCollection({ name, dimensions: dims, distance: 'cosine' });
    const documents = Array.from({ length: Math.ceil(chunks / 50) }, () => randomUUID());
    const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(9);
    const loadStarted = performance.now();
    for (let start = 0; start < chunks; start += 500) {
      // Generated per batch: a 20 000 × 384 array of numbers kept alive would put tens of
      // milliseconds of garbage-collection pauses into the event-loop figures.
      const data = vectors(42 + start, 500, dims);
      const batch: VectorPoint[] = [];
      for (let i = start; i < Math.min(chunks, start + 500); i++) {
        const document_id = documents[Math.floor(i / 50)] as string;
        batch.push({
          id: pointId(document_id, i % 50),
          vector: data[i - start] as number[],
          payload: {
            kb_id: name,
            document_id,
            chunk_index: i % 50,
            text: filler,
            start_offset: 0,
            end_offset: filler.length,
          },
        });
      }
      await store.upsert(name, batch);
    }
    const upsertChunksPerSecond = Math.round(chunks / ((performance.now() - loadStarted) / 1000));
    log(`  upsert: ${upsertChunksPerSecond} chunks/s (batches of 500)`);

    const queries = vectors(7, 200, dims);
    const coldStarted = performance.now();
    await store.search(name, queries[0] as number[], { limit: 10 });
    const coldFirstSearchMs = round(performance.now() - coldStarted);
    log(`  first search (loads the collection into the search worker): ${coldFirstSearchMs} ms`);

    const search: LatencyFigures[] = [];
    for (const [clients, perClient] of [
      [1, 200],
      [100, 10],
    ] as const) {
      const latencies: number[] = [];
      const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      loop.enable();
      const elu = performance.eventLoopUtilization();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          for (let i = 0; i < perClient; i++) {
            const query = queries[(c * perClient + i) % queries.length] as number[];
            const t0 = performance.now();
            await store.search(name, query, { limit: 10 });
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const elapsed = performance.now() - started;
      const utilization = performance.eventLoopUtilization(elu).utilization;
      loop.disable();
      latencies.sort((a, b) => a - b);
      const figures: LatencyFigures = {
        clients,
        queries: latencies.length,
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(percentile(latencies, 100)),
        queriesPerSecond: Math.round(latencies.length / (elapsed / 1000)),
        eventLoopDelayP50Ms: ms(loop, 50),
        eventLoopDelayP99Ms: ms(loop, 99),
        eventLoopDelayMaxMs: late(loop.max),
        eventLoopUtilization: round(utilization),
      };
      search.push(figures);
      log(
        `  search, ${clients} client(s): p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${figures.queriesPerSecond} q/s; ` +
          `event-loop delay p50 ${figures.eventLoopDelayP50Ms} ms, p99 ${figures.eventLoopDelayP99Ms} ms, max ${figures.eventLoopDelayMaxMs} ms, ` +
          `loop busy ${Math.round(figures.eventLoopUtilization * 100)} %`,
      );
    }
    return {
      adapter: 'postgres',
      chunks,
      dimensions: dims,
      collectionCreateMs,
      upsertChunksPerSecond,
      coldFirstSearchMs,
      idleEventLoopDelay,
      kernel,
      search,
    };
  } finally {
    await store.close();
    await admin.query(`drop database if exists "${dbName}" with (force)`);
    await admin.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchVectorStore();
}
