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
  /** `exact` (default) or `pgvector` (needs a database with the extension: LUMIKB_PGVECTOR_URL). */
  backend?: 'exact' | 'pgvector';
}

/** One configuration's figures, as `--json` prints them (one object a line; issue 16). */
export interface VectorStoreBenchLine {
  backend: 'exact' | 'pgvector';
  size: number;
  dims: number;
  build_s: number;
  rss_mb: number;
  cold_first_ms: number;
  p50_ms_1: number;
  p99_ms_1: number;
  p50_ms_100: number;
  p99_ms_100: number;
  qps_100: number;
  recall_at_10: number;
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
  backend: 'exact' | 'pgvector';
  /** Seconds to upsert the collection (pgvector: HNSW index maintained as points arrive). */
  buildSeconds: number;
  rssMb: number;
  /** recall@10 of the store's answers against brute force over the same data. */
  recallAt10: number;
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
  const backend = options.backend ?? 'exact';
  const adminUrl = new URL(
    options.databaseUrl ??
      (backend === 'pgvector' ? process.env.LUMIKB_PGVECTOR_URL : process.env.DATABASE_URL) ??
      'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const dbName = `lumikb_bench_vectors_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database "${dbName}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const storeOptions = { databaseUrl: url.toString(), vectorSearch: backend } as const;
  let store = new PostgresVectorStore(storeOptions);
  try {
    await store.ensureReady();
    const kernel = await store.searchKernel();
    log(`vector store bench (postgres adapter, ${backend}, ${kernel} kernel): ${chunks} chunks × ${dims} dims, cosine`);
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
    const buildSeconds = round((performance.now() - loadStarted) / 1000);
    const upsertChunksPerSecond = Math.round(chunks / buildSeconds);
    log(`  upsert: ${upsertChunksPerSecond} chunks/s (batches of 500), ${buildSeconds} s`);

    const queries = vectors(7, 200, dims);
    // A restart: a new store, ready, then its first search at once (exact: the background
    // preload has just begun, so this is the bounded cold search; pgvector: index-backed).
    await store.close();
    store = new PostgresVectorStore(storeOptions);
    await store.ensureReady();
    const coldStarted = performance.now();
    await store.search(name, queries[0] as number[], { limit: 10 });
    const coldFirstSearchMs = round(performance.now() - coldStarted);
    log(`  first search after a restart: ${coldFirstSearchMs} ms`);
    await store.backgroundSettled();

    // recall@10 against brute force over the same (regenerated) data, 20 queries.
    const recallQueries = queries.slice(0, 20);
    const best = recallQueries.map(() => [] as { id: string; score: number }[]);
    const unit = (v: number[]) => {
      const n = Math.hypot(...v) || 1;
      return v.map((x) => x / n);
    };
    const unitQueries = recallQueries.map(unit);
    for (let start = 0; start < chunks; start += 500) {
      const data = vectors(42 + start, 500, dims);
      for (let i = start; i < Math.min(chunks, start + 500); i++) {
        const v = unit(data[i - start] as number[]);
        const id = pointId(documents[Math.floor(i / 50)] as string, i % 50);
        unitQueries.forEach((q, k) => {
          let dot = 0;
          for (let d = 0; d < dims; d++) dot += (v[d] as number) * (q[d] as number);
          const list = best[k] as { id: string; score: number }[];
          if (list.length < 10 || dot > (list[list.length - 1] as { score: number }).score) {
            list.push({ id, score: dot });
            list.sort((a, b) => b.score - a.score);
            if (list.length > 10) list.pop();
          }
        });
      }
    }
    let found = 0;
    for (const [k, q] of recallQueries.entries()) {
      const hits = await store.search(name, q, { limit: 10 });
      const truth = new Set((best[k] as { id: string }[]).map((b) => b.id));
      found += hits.filter((h) => truth.has(h.id)).length;
    }
    const recallAt10 = round(found / (recallQueries.length * 10));
    log(`  recall@10 against brute force: ${recallAt10}`);

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
    const rssMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
    return {
      adapter: 'postgres',
      backend,
      buildSeconds,
      rssMb,
      recallAt10,
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

export function benchLine(r: VectorStoreBenchResult): VectorStoreBenchLine {
  const one = r.search.find((s) => s.clients === 1);
  const many = r.search.find((s) => s.clients === 100);
  return {
    backend: r.backend,
    size: r.chunks,
    dims: r.dimensions,
    build_s: r.buildSeconds,
    rss_mb: r.rssMb,
    cold_first_ms: r.coldFirstSearchMs,
    p50_ms_1: one?.p50Ms ?? 0,
    p99_ms_1: one?.p99Ms ?? 0,
    p50_ms_100: many?.p50Ms ?? 0,
    p99_ms_100: many?.p99Ms ?? 0,
    qps_100: many?.queriesPerSecond ?? 0,
    recall_at_10: r.recallAt10,
  };
}

/**
 * Every configuration: sizes from VECTOR_BENCH_SIZES (default `20000x384,100000x768`),
 * each on exact and — when LUMIKB_PGVECTOR_URL names a server with pgvector — on pgvector.
 * `--json`: one JSON object a line per configuration, nothing else on stdout.
 */
export async function benchVectorStoreMatrix(json = process.argv.includes('--json')): Promise<VectorStoreBenchLine[]> {
  const sizes = (process.env.VECTOR_BENCH_SIZES ?? '20000x384,100000x768').split(',').map((s) => {
    const [n, d] = s.split('x').map(Number);
    return { chunks: n as number, dimensions: d as number };
  });
  const backends: ('exact' | 'pgvector')[] = process.env.LUMIKB_PGVECTOR_URL ? ['exact', 'pgvector'] : ['exact'];
  const lines: VectorStoreBenchLine[] = [];
  for (const size of sizes) {
    for (const backend of backends) {
      const line = benchLine(await benchVectorStore({ ...size, backend, print: !json }));
      lines.push(line);
      if (json) console.log(JSON.stringify(line));
    }
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchVectorStoreMatrix();
}
