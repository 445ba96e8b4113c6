/**
 * Where the original bytes of documents live. Postgres by default (written in the
 * upload's own transaction, so a refused or rolled-back upload leaves nothing behind);
 * an object store can implement the same interface later.
 */
import type { Kysely } from '@lumikb/db';
import type { KnowledgeBaseDatabase } from '../db/database.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

export interface DocumentStorage {
  readonly kind: string;
  /** Stores the bytes; `trx` is the upload's transaction when the backend can join it. */
  put(documentId: string, bytes: Buffer, trx: Db): Promise<void>;
  get(documentId: string): Promise<Buffer | undefined>;
  /** Idempotent. */
  delete(documentId: string, trx: Db): Promise<void>;
}

export function postgresStorage(db: Db): DocumentStorage {
  return {
    kind: 'postgres',
    async put(documentId, bytes, trx) {
      await trx.insertInto('document_originals').values({ document_id: documentId, bytes }).execute();
    },
    async get(documentId) {
      const row = await db
        .selectFrom('document_originals')
        .select('bytes')
        .where('document_id', '=', documentId)
        .executeTakeFirst();
      return row?.bytes;
    },
    async delete(documentId, trx) {
      await trx.deleteFrom('document_originals').where('document_id', '=', documentId).execute();
    },
  };
}
