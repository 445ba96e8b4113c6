/** Tables of the `auth` schema. */
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'auth';

export interface AuthDatabase extends EventKitTables {}
