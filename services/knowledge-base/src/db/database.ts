/** Tables of the `kb` schema. */
import type { ChunkLocation, ProcessingSteps, StepErrors } from '@lumikb/contracts';
import type { ColumnType, Generated } from '@lumikb/db';
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'kb';

type Json<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | undefined, Date>;

export interface ModelTable {
  id: string;
  type: 'embedding' | 'generation';
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

export interface KnowledgeBaseDatabase extends EventKitTables {
  idempotency_keys: IdempotencyKeyTable;
  models: ModelTable;
  knowledge_bases: KnowledgeBaseTable;
  kb_permissions: KbPermissionTable;
  documents: DocumentTable;
  document_originals: DocumentOriginalTable;
  document_contents: DocumentContentTable;
}
