import type { Kysely, Transaction } from '@lumikb/db';
import type { KnowledgeBaseDatabase } from './database.ts';

/** Runs `fn` in the caller's transaction when `db` is one (an idempotent request's), else in a new one. */
export function inTransaction<T>(
  db: Kysely<KnowledgeBaseDatabase>,
  fn: (trx: Kysely<KnowledgeBaseDatabase>) => Promise<T>,
): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute((trx: Transaction<KnowledgeBaseDatabase>) => fn(trx));
}
