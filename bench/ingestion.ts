/**
 * Ingestion benchmark for `pnpm bench` (issue 5: throughput in chunks/s with the built-in
 * embedder, and with a fake provider at a fixed latency per batch, each as a ratio to
 * embedding alone). The implementation lives with the worker, whose dependencies it uses.
 */
export { benchIngestion } from '../services/ingestion-worker/bench/ingestion.ts';
