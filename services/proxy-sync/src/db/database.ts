/** Tables of the `proxysync` schema. */
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'proxysync';

export interface ProxySyncDatabase extends EventKitTables {}
