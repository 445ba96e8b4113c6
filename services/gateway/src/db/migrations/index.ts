import type { MigrationSet } from '@lumikb/db';
import * as rateLimitCounters from './0001-rate-limit-counters.ts';

/** Ordered by name; never rename or edit a migration that has shipped. */
export const migrations: MigrationSet = {
  '0001-rate-limit-counters': rateLimitCounters,
};
