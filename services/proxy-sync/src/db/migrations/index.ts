import type { MigrationSet } from '@lumikb/db';
import * as init from './0001-init.ts';
import * as syncState from './0002-sync-state.ts';

/** Ordered by name; never rename or edit a migration that has shipped. */
export const migrations: MigrationSet = {
  '0001-init': init,
  '0002-sync-state': syncState,
};
