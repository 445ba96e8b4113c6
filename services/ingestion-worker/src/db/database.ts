/** Tables of the `ingestion` schema. */
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'ingestion';

export interface IngestionWorkerDatabase extends EventKitTables {}
