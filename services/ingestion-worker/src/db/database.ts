/** Tables of the `ingestion` schema. */
import type { ColumnType, Generated } from '@lumikb/db';
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'ingestion';

export type JobStatus = 'running' | 'retrying' | 'done' | 'failed' | 'abandoned';

export interface JobTable {
  document_id: string;
  attempt: number;
  kb_id: string;
  status: JobStatus;
  worker_id: string;
  lease_token: string;
  seq: Generated<number>;
  deliveries: Generated<number>;
  chunk_count: number | null;
  last_error: string | null;
  started_at: ColumnType<Date, Date | undefined, Date>;
  heartbeat_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: Date | null;
}

export interface IngestionWorkerDatabase extends EventKitTables {
  jobs: JobTable;
}
