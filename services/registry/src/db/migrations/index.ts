import type { MigrationSet } from '@lumikb/db';
import * as init from './0001-init.ts';
import * as models from './0002-models.ts';
import * as rerank from './0003-rerank-models.ts';

/** Ordered by name; never rename or edit a migration that has shipped. */
export const migrations: MigrationSet = {
  '0001-init': init,
  '0002-models': models,
  '0003-rerank-models': rerank,
};
