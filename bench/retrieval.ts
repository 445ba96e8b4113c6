/**
 * Retrieval benchmark for `pnpm bench retrieval` (issue 14: Cranfield quality per mode
 * beside a plain BM25 baseline, and search latency). It lives with the worker, whose
 * pipeline test helpers it uses to ingest through the real pipeline.
 */
export { benchRetrieval } from '../services/ingestion-worker/bench/retrieval.ts';
