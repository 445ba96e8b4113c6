/** Tables of the `kb` schema. */
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'kb';

export interface KnowledgeBaseDatabase extends EventKitTables {}
