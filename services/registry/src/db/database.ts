/** Tables of the `registry` schema. */
import type { ModelStatus, ModelType, Provider } from '@lumikb/contracts';
import type { ColumnType, Generated } from '@lumikb/db';
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'registry';

export type SyncStatus = 'not_applicable' | 'pending' | 'synced' | 'failed';

type Json<T> = ColumnType<T, string, string>;

export interface LlmModelTable {
  id: Generated<string>;
  type: ModelType;
  provider: Provider;
  name: string;
  model_id: string;
  api_endpoint: string | null;
  config: Json<Record<string, unknown>>;
  status: Generated<ModelStatus>;
  is_default: Generated<boolean>;
  api_key_ciphertext: Buffer | null;
  api_key_key_id: string | null;
  last_tested_at: Date | null;
  last_test_success: boolean | null;
  last_test_latency_ms: number | null;
  last_test_message: string | null;
  sync_status: Generated<SyncStatus>;
  sync_error: string | null;
  synced_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface KbUsageTable {
  kb_id: string;
  name: string;
  embedding_model_id: string;
  generation_model_id: string;
  dimensions: number;
  distance_metric: string;
  document_count: number;
  deleted: Generated<boolean>;
  source_occurred_at: Date;
  updated_at: Generated<Date>;
}

export interface SettingsTable {
  id: number;
  system: Json<Record<string, unknown>>;
  generation_defaults: Json<Record<string, unknown>>;
  version: number;
  updated_at: Generated<Date>;
  updated_by: string | null;
}

export interface RegistryDatabase extends EventKitTables {
  llm_models: LlmModelTable;
  kb_usage: KbUsageTable;
  settings: SettingsTable;
}
