/** Everything the domain modules of proxy-sync work with, assembled once in app.ts. */
import type { Kysely } from '@lumikb/db';
import type { ProxySyncDatabase } from './db/database.ts';
import type { SyncService } from './sync/service.ts';

export interface ProxySyncContext {
  db: Kysely<ProxySyncDatabase>;
  sync: SyncService;
}
