/**
 * Vector store benchmark for `pnpm bench vector-store` (issues 5 and 16): sizes from
 * VECTOR_BENCH_SIZES (default 20000x384,100000x768), exact and — with LUMIKB_PGVECTOR_URL —
 * pgvector in the same run; `pnpm bench vector-store --json` prints one JSON line per
 * configuration. The implementation lives with the package, whose dependencies it uses.
 */
import { benchVectorStoreMatrix } from '../packages/vector-store/bench/search.ts';

export { benchVectorStore, type VectorStoreBenchResult } from '../packages/vector-store/bench/search.ts';

export async function benchVectorStoreAll(): Promise<Record<string, unknown>> {
  const lines = await benchVectorStoreMatrix();
  return Object.fromEntries(lines.map((l) => [`${l.backend} ${l.size}x${l.dims}`, l]));
}
