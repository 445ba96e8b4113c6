import type { ParseSandboxOptions } from '@lumikb/ingest';
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

const url = (fallback: string, description: string) =>
  Type.String({ default: fallback, pattern: '^https?://', description });

export const ConfigSchema = Type.Object({
  ...CommonConfigSchema,
  ...InfraConfigSchema,
  // The platform's own addresses (refused as embedding endpoints) and OUTBOUND_ALLOW_HOSTS.
  ...OutboundConfigSchema,
  PORT: portVariable(8084),
  KB_URL: url('http://127.0.0.1:8083', 'knowledge-base service (internal document API)'),
  AUTH_URL: url('http://127.0.0.1:8081', 'auth service (service tokens)'),
  SERVICE_CLIENT_SECRET: Type.String({
    minLength: 32,
    description: 'shared secret exchanged at auth for a service token (same value as the auth service)',
  }),
  ...VectorStoreConfigSchema,
  ...LlmProxyConfigSchema,
  WORKER_ID: Type.String({ default: '', description: 'name shown in queue monitoring (default host-pid)' }),
  WORKER_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 64, description: 'documents processed at once' }),
  EMBED_CONCURRENCY: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 64,
    description:
      'embedding batches in flight per worker, across its documents (set WORKER_CONCURRENCY above it to keep the embedder busy)',
  }),
  JOB_ACK_WAIT_MS: Type.Integer({
    default: 60_000,
    minimum: 500,
    description: 'redelivery to another worker after this long without a heartbeat (crash recovery time)',
  }),
  JOB_MAX_DELIVER: Type.Integer({
    default: 5,
    minimum: 1,
    description: 'deliveries of one document before it is FAILED',
  }),
  JOB_BACKOFF_MS: Type.String({
    default: '2000,10000,30000,60000',
    pattern: '^\\d+(,\\d+)*$',
    description: 'redelivery delays after transient failures (comma-separated, last repeats)',
  }),
  PROGRESS_INTERVAL_MS: Type.Integer({
    default: 10_000,
    minimum: 10,
    description: 'progress events during long steps',
  }),
  STEP_REPORT_INTERVAL_MS: Type.Integer({
    default: 1_000,
    minimum: 0,
    maximum: 60_000,
    description:
      'a step starting within this long of the last step report is reported with the next one (0: every step at once)',
  }),
  INDEX_BATCH_SIZE: Type.Integer({ default: 256, minimum: 1, description: 'points per vector-store upsert' }),
  KB_REQUEST_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 100 }),
  // Parse budgets (docs/ingestion.md#parse-limits): a document that exceeds one is FAILED
  // with PARSE_LIMIT_EXCEEDED and not retried.
  PARSE_MAX_INFLATED_BYTES: Type.Integer({
    default: 100 * 1024 * 1024,
    minimum: 1024,
    description:
      'bytes a zip-based document (docx, xlsx, pptx, odt, epub) may inflate to, all parts together, counted while inflating',
  }),
  PARSE_MAX_ARCHIVE_ENTRIES: Type.Integer({
    default: 5_000,
    minimum: 1,
    description: 'parts (zip entries) a zip-based document may hold',
  }),
  PARSE_MAX_PDF_PAGES: Type.Integer({ default: 2_000, minimum: 1, description: 'pages of a PDF' }),
  PARSE_MAX_TEXT_CHARS: Type.Integer({
    default: 16 * 1024 * 1024,
    minimum: 1,
    description: 'characters of text extracted from one document',
  }),
  PARSE_MAX_CHUNKS: Type.Integer({ default: 20_000, minimum: 1, description: 'chunks of one document' }),
  PARSE_MAX_ATTACHMENTS: Type.Integer({
    default: 20,
    minimum: 0,
    description: 'attachments of a mail read, all levels',
  }),
  PARSE_MAX_ATTACHMENT_DEPTH: Type.Integer({ default: 3, minimum: 0, description: 'levels of mails inside mails' }),
  PARSE_OCR: Type.Boolean({
    default: true,
    description: 'OCR of PDF pages without text when tesseract and pdftoppm are installed',
  }),
  PARSE_TIMEOUT_MS: Type.Integer({
    default: 120_000,
    minimum: 100,
    description: 'wall-clock limit of extracting (or chunking) one document in its sandbox process',
  }),
  PARSE_INLINE_MAX_BYTES: Type.Integer({
    default: 65536,
    minimum: 0,
    description:
      'plain-text files up to this size (and texts up to this many characters) are parsed and chunked in the worker process, without the sandbox round trip (0: always in the sandbox)',
  }),
  PARSE_MEMORY_MB: Type.Integer({
    default: 512,
    minimum: 32,
    description: 'heap of a parse sandbox process (--max-old-space-size); beyond it the parse is killed',
  }),
});
export type Config = Static<typeof ConfigSchema>;

/** Parsed once at start-up; the only place this service reads the environment. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig('ingestion-worker', ConfigSchema, env);
}

export function parseSandboxOptionsOf(config: Config): ParseSandboxOptions {
  return {
    limits: {
      maxInflatedBytes: config.PARSE_MAX_INFLATED_BYTES,
      maxArchiveEntries: config.PARSE_MAX_ARCHIVE_ENTRIES,
      maxPdfPages: config.PARSE_MAX_PDF_PAGES,
      maxTextChars: config.PARSE_MAX_TEXT_CHARS,
      maxChunks: config.PARSE_MAX_CHUNKS,
      maxAttachments: config.PARSE_MAX_ATTACHMENTS,
      maxAttachmentDepth: config.PARSE_MAX_ATTACHMENT_DEPTH,
      ocr: config.PARSE_OCR,
    },
    memoryMb: config.PARSE_MEMORY_MB,
    timeoutMs: config.PARSE_TIMEOUT_MS,
    idleProcesses: config.WORKER_CONCURRENCY,
    inlineMaxBytes: config.PARSE_INLINE_MAX_BYTES,
  };
}

export function backoffOf(config: Config): number[] {
  return config.JOB_BACKOFF_MS.split(',').map(Number);
}
