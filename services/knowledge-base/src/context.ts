/** Everything the domain modules of this service work with, assembled once in app.ts. */
import type { Kysely } from '@lumikb/db';
import type { EventBus } from '@lumikb/events';
import type { LlmRouter } from '@lumikb/llm';
import type { VectorStore } from '@lumikb/vector-store';
import type { Logger } from 'pino';
import type { FallbackHolder } from './chat/service.ts';
import type { Config } from './config.ts';
import type { AnswerRegistry } from './conversations/service.ts';
import type { KnowledgeBaseDatabase } from './db/database.ts';
import type { BlobStore } from './documents/blob-store.ts';
import type { KbMetrics } from './metrics.ts';
import type { PerUserConcurrency } from './requests/caller-lifetime.ts';
import type { SettingsSource } from './settings.ts';

export interface KbContext {
  db: Kysely<KnowledgeBaseDatabase>;
  bus: EventBus;
  vectors: VectorStore;
  llm: LlmRouter;
  blobs: BlobStore;
  settings: SettingsSource;
  config: Config;
  logger: Logger;
  metrics: KbMetrics;
  clock: () => Date;
  /** Per-user limits on the expensive requests. */
  concurrency: { chat: PerUserConcurrency; search: PerUserConcurrency };
  /** The default generation model the router falls back to (kept current by the chat module). */
  fallback: FallbackHolder;
  /** Answers this replica is writing into conversations (stopped on request, interrupted at shutdown). */
  answers: AnswerRegistry;
}
