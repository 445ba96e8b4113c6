/** Tables of the `kb` schema. */
import type { ChunkLocation, ProcessingSteps, StepErrors } from '@lumikb/contracts';
import type { ColumnType, Generated } from '@lumikb/db';
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'kb';

type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;
type CreatedAt = ColumnType<Date, Date | undefined, Date>;

export interface ModelTable {
  id: string;
  type: 'embedding' | 'generation' | 'rerank';
  provider: string;
  name: string;
  model_id: string;
  api_endpoint: string | null;
  config: Json<Record<string, unknown>>;
  status: 'active' | 'inactive' | 'deprecated';
  is_default: boolean;
  source_updated_at: Date;
  deleted_at: Date | null;
  projected_at: Generated<Date>;
}

export interface KnowledgeBaseTable {
  id: string;
  name: string;
  description: string;
  embedding_model_id: string;
  generation_model_id: string;
  config_overrides: Json<Record<string, unknown>>;
  collection: string;
  dimensions: number;
  distance_metric: 'cosine' | 'dot' | 'euclidean';
  created_by: string;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type KbPermissionLevel = 'READ' | 'WRITE' | 'ADMIN';

export interface KbPermissionTable {
  kb_id: string;
  principal_type: 'user' | 'group';
  principal_id: string;
  permission: KbPermissionLevel;
  granted_by: string;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface DocumentTable {
  id: string;
  kb_id: string;
  filename: string;
  format: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  status: 'PENDING' | 'PROCESSING' | 'READY' | 'FAILED';
  processing_steps: Json<ProcessingSteps>;
  current_step: string | null;
  step_errors: Json<StepErrors>;
  error_message: string | null;
  chunk_count: Generated<number>;
  character_count: number | null;
  attempt: Generated<number>;
  last_seq: Generated<number>;
  auto_requeues: Generated<number>;
  uploaded_by: string;
  created_at: CreatedAt;
  updated_at: CreatedAt;
  processing_started_at: Date | null;
  processed_at: Date | null;
  duration_ms: number | null;
  last_progress_at: CreatedAt;
  /** false for a copy the uploader chose to keep next to a document with the same bytes. */
  content_unique: Generated<boolean>;
}

export interface DocumentOriginalTable {
  document_id: string;
  /** Large object holding the bytes as uploaded. */
  blob_oid: number;
}

export interface DocumentContentTable {
  document_id: string;
  attempt: number;
  /** Text of rows written before large objects; new rows keep it in `text_oid` (UTF-8). */
  text: string | null;
  text_oid: number | null;
  character_count: ColumnType<number, number, number>;
  /** [start, end], with the chunk's location as a third element when the document has structure. */
  chunks: Json<([number, number] | [number, number, ChunkLocation])[]>;
  /** [start, end, location] of each slide, page, sheet, attachment or top-level heading; null before parts were stored. */
  parts: NullableJson<[number, number, ChunkLocation][]>;
  chunk_size: number;
  chunk_overlap: number;
  created_at: Generated<Date>;
}

export interface IdempotencyKeyTable {
  user_id: string;
  key: string;
  route: string;
  request_hash: string;
  response_status: number;
  response_body: Json<unknown>;
  created_at: CreatedAt;
  expires_at: Date;
}

export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'interrupted' | 'failed';

export interface ConversationTable {
  id: string;
  owner_id: string;
  title: string;
  title_is_custom: Generated<boolean>;
  kb_ids: Json<string[]>;
  message_count: Generated<number>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface ConversationMessageTable {
  id: string;
  conversation_id: string;
  /** Order in the conversation; a regenerated answer gets a new seq and a higher version. */
  seq: number;
  role: 'user' | 'assistant';
  /** The question an answer replies to (null for questions). */
  reply_to: string | null;
  version: Generated<number>;
  content: string;
  status: MessageStatus;
  /** The KBs an answer was retrieved from (those still readable when it was asked). */
  kb_ids: ColumnType<string[], string | undefined, string>;
  citations: ColumnType<unknown[], string | undefined, string>;
  model_id: string | null;
  model_name: string | null;
  fallback_reason: string | null;
  error: NullableJson<{ code: string; message: string }>;
  timings: NullableJson<{ first_token_ms: number | null; total_ms: number }>;
  usage: NullableJson<unknown>;
  /** Plain notes shown with the answer (KBs no longer readable, …). */
  notes: ColumnType<string[], string | undefined, string>;
  stop_requested: Generated<boolean>;
  lease_expires_at: Date | null;
  created_at: CreatedAt;
  completed_at: Date | null;
}

export interface MessageFeedbackTable {
  message_id: string;
  kb_ids: Json<string[]>;
  model_id: string | null;
  helpful: boolean;
  comment: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type LexicalBackfillState = 'pending' | 'building' | 'done' | 'unavailable';

export interface LexicalBackfillTable {
  kb_id: string;
  state: LexicalBackfillState;
  cursor: string | null;
  done: ColumnType<number, number | undefined, number>;
  total: ColumnType<number, number | undefined, number>;
  message: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface KnowledgeBaseDatabase extends EventKitTables {
  lexical_backfills: LexicalBackfillTable;
  conversations: ConversationTable;
  conversation_messages: ConversationMessageTable;
  message_feedback: MessageFeedbackTable;
  idempotency_keys: IdempotencyKeyTable;
  models: ModelTable;
  knowledge_bases: KnowledgeBaseTable;
  kb_permissions: KbPermissionTable;
  documents: DocumentTable;
  document_originals: DocumentOriginalTable;
  document_contents: DocumentContentTable;
}
