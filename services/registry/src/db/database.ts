/** Tables of the `registry` schema. */
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'registry';

export interface RegistryDatabase extends EventKitTables {}
