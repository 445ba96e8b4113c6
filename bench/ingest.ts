/** Per-format parse benchmark (issue 19); the implementation lives with `@lumikb/ingest`. */
export { benchIngestFormats } from '../packages/ingest/bench/formats.ts';
