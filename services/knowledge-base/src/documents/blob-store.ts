/**
 * Where the bytes of documents live (originals, extracted text): Postgres large objects.
 * They are written in pieces inside the caller's transaction (a refused or rolled-back
 * upload leaves nothing behind) and read back in pieces, so no file is ever held whole in
 * memory, and every replica of the service sees the same blobs. A large object has no
 * size limit below 4 TB, unlike a bytea value (1 GB).
 */
import { type Kysely, sql } from '@lumikb/db';
import type { KnowledgeBaseDatabase } from '../db/database.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

/** Bytes per round trip: large enough to keep round trips few, small enough to bound memory. */
export const BLOB_PIECE_BYTES = 1024 * 1024;

export interface BlobStore {
  readonly kind: string;
  /** Streams `source` into a new blob as part of `trx`; returns its id and size. */
  write(trx: Db, source: AsyncIterable<Uint8Array>): Promise<{ id: number; size: number }>;
  /** The blob's bytes in pieces of at most BLOB_PIECE_BYTES. */
  read(db: Db, id: number): AsyncIterable<Buffer>;
  /** Idempotent. */
  delete(trx: Db, id: number): Promise<void>;
}

export function largeObjectStore(): BlobStore {
  return {
    kind: 'postgres-large-objects',
    async write(trx, source) {
      // The large object is created by the first full piece; a blob smaller than one
      // piece (most uploads, most extracted texts) is created with its bytes by one
      // statement (lo_from_bytea) instead of two.
      let id: number | undefined;
      // One buffer per write, filled and sent again and again: the bytes passing through
      // leave no garbage behind, so memory does not depend on the blob's size.
      const piece = Buffer.allocUnsafe(BLOB_PIECE_BYTES);
      let filled = 0;
      let written = 0;
      const flush = async () => {
        if (filled === 0) return;
        if (id === undefined) {
          const created = await sql<{ oid: number }>`select lo_create(0) as oid`.execute(trx);
          id = Number(created.rows[0]!.oid);
        }
        await sql`select lo_put(${id}::oid, ${written}::bigint, ${piece.subarray(0, filled)})`.execute(trx);
        written += filled;
        filled = 0;
      };
      for await (const chunk of source) {
        for (let offset = 0; offset < chunk.length; ) {
          const copied = Math.min(chunk.length - offset, BLOB_PIECE_BYTES - filled);
          piece.set(chunk.subarray(offset, offset + copied), filled);
          filled += copied;
          offset += copied;
          if (filled === BLOB_PIECE_BYTES) await flush();
        }
      }
      if (id === undefined) {
        const created = await sql<{ oid: number }>`
          select lo_from_bytea(0, ${piece.subarray(0, filled)}) as oid
        `.execute(trx);
        return { id: Number(created.rows[0]!.oid), size: filled };
      }
      await flush();
      return { id, size: written };
    },
    async *read(db, id) {
      for (let offset = 0; ; offset += BLOB_PIECE_BYTES) {
        const result = await sql<{ piece: Buffer }>`
          select lo_get(${id}::oid, ${offset}::bigint, ${BLOB_PIECE_BYTES}) as piece
        `.execute(db);
        const piece = result.rows[0]!.piece;
        if (piece.length > 0) yield piece;
        if (piece.length < BLOB_PIECE_BYTES) return;
      }
    },
    async delete(trx, id) {
      await sql`select lo_unlink(oid) from pg_largeobject_metadata where oid = ${id}::oid`.execute(trx);
    },
  };
}

/** Reads a whole blob (for small ones: extracted text shown in the viewer). */
export async function readWhole(store: BlobStore, db: Db, id: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of store.read(db, id)) pieces.push(piece);
  return Buffer.concat(pieces);
}
