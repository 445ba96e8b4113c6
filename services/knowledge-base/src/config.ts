import {
  CommonConfigSchema,
  InfraConfigSchema,
  loadConfig,
  OutboundConfigSchema,
  portVariable,
} from '@lumikb/service-kit';
import { LlmProxyConfigSchema } from '@lumikb/service-kit/llm';
import { VectorStoreConfigSchema } from '@lumikb/service-kit/vector-store';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  ...CommonConfigSchema,
  ...InfraConfigSchema,
  ...OutboundConfigSchema,
  PORT: portVariable(8083),
  ...VectorStoreConfigSchema,
  ...LlmProxyConfigSchema,
  MAX_UPLOAD_BYTES: Type.Integer({
    default: 50 * 1024 * 1024,
    minimum: 1,
    description: 'upload limit until the hot-reloaded max_upload_size_mb setting is received',
  }),
  STUCK_DOCUMENT_AFTER_MS: Type.Integer({
    default: 15 * 60_000,
    minimum: 1_000,
    description: 'a PENDING/PROCESSING document without any sign of progress for this long is re-queued or failed',
  }),
  STUCK_SWEEP_INTERVAL_MS: Type.Integer({
    default: 60_000,
    minimum: 100,
    description: 'how often to look for stuck documents',
  }),
  LEXICAL_BACKFILL_BATCH: Type.Integer({
    default: 200,
    minimum: 1,
    maximum: 1_000,
    description: 'chunks the background lexical backfill analyses and writes per transaction',
  }),
  LEXICAL_BACKFILL_IDLE_MS: Type.Integer({
    default: 30_000,
    minimum: 50,
    description: 'how long the lexical backfill waits before looking again when no KB needs it (or after a failure)',
  }),
  STUCK_MAX_REQUEUES: Type.Integer({
    default: 2,
    minimum: 0,
    description: 'automatic re-queues of a stuck document before it is marked FAILED',
  }),
  MAX_BULK_FILES: Type.Integer({
    default: 1_000,
    minimum: 1,
    description: 'file parts accepted in one bulk upload request',
  }),
  IDEMPOTENCY_TTL_MS: Type.Integer({
    default: 24 * 3_600_000,
    minimum: 1_000,
    description: 'how long the result of a request sent with an Idempotency-Key is replayed to retries',
  }),
  IDEMPOTENCY_WAIT_MS: Type.Integer({
    default: 30_000,
    minimum: 10,
    description: 'how long a request waits for a concurrent one with the same Idempotency-Key (then 409)',
  }),
  STUCK_QUEUE_ORDER_MARGIN_MS: Type.Integer({
    default: 5_000,
    minimum: 0,
    description:
      'a PENDING document counts as lost under load only when the oldest waiting job message was published this much later than its own job (clock skew, relay latency)',
  }),
  CHAT_MAX_CONCURRENT_PER_USER: Type.Integer({
    default: 4,
    minimum: 1,
    description: 'chat answers one user may have streaming at once, per replica (more: 429)',
  }),
  SEARCH_MAX_CONCURRENT_PER_USER: Type.Integer({
    default: 8,
    minimum: 1,
    description: 'searches one user may have running at once, per replica (more: 429)',
  }),
  RERANK_TIMEOUT_MS: Type.Integer({
    default: 3_000,
    minimum: 100,
    maximum: 30_000,
    description:
      "time budget of one rerank call in a search or chat; past it the KB's results are returned unreranked (flagged)",
  }),
  QUEUE_WORKERS_PING_MS: Type.Integer({
    default: 300,
    minimum: 10,
    description: 'how long queue status waits for workers to answer',
  }),
});
export type Config = Static<typeof ConfigSchema>;

/** Parsed once at start-up; the only place this service reads the environment. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig('knowledge-base', ConfigSchema, env);
}
