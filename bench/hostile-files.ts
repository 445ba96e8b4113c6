/**
 * Hostile files benchmark for `pnpm bench hostile-files` (issue 12: final state, peak RSS
 * and the longest /health answer for a docx bomb, a 20,000-page PDF and a 50 MiB text).
 * The implementation lives with the worker, whose test helpers it uses.
 */
export { benchHostileFiles } from '../services/ingestion-worker/bench/hostile-files.ts';
