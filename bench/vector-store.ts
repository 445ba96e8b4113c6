/**
 * Vector store benchmark for `pnpm bench` (issue 5: search p50/p99 at 1 and 100 clients on
 * 20 000 × 384 with the postgres adapter, event-loop delay, collection creation time).
 * The implementation lives with the package, whose dependencies it uses; the root has none.
 */
export { benchVectorStore, type VectorStoreBenchResult } from '../packages/vector-store/bench/search.ts';
