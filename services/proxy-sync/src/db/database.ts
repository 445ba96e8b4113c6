/** Tables of the `proxysync` schema. */
import type { ColumnType, Generated } from '@lumikb/db';
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'proxysync';

export type SyncState = 'pending' | 'synced' | 'failed' | 'removed' | 'not_applicable';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface ModelsTable {
  id: string;
  type: string;
  provider: string;
  model_id: Generated<string>;
  api_endpoint: ColumnType<string | null, string | null | undefined, string | null>;
  config: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: Generated<string>;
  model_updated_at: NullableTimestamp;
  deleted: Generated<boolean>;
  event_at: Timestamp;
  pending: Generated<boolean>;
  sync_state: Generated<SyncState>;
  attempts: Generated<number>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  synced_at: NullableTimestamp;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ProxySyncDatabase extends EventKitTables {
  models: ModelsTable;
}
