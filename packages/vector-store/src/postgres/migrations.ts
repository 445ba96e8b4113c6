/**
 * Tables of the embedded vector store, in their own schema (default `vectors`).
 *
 * One `points` table keyed by (collection, id) rather than a table per collection: no DDL
 * at KB creation (a collection is one row, created in milliseconds) and one set of indexes.
 * Every write bumps the collection's `revision` under its row lock and stamps the rows it
 * touches (deletions leave `tombstones`), so a reader can catch its in-memory copy up with
 * only what changed since the revision it holds.
 */
import { type Migration, type MigrationSet, sql } from '@lumikb/db';

export function vectorStoreMigrations(schema: string): MigrationSet {
  const s = (table: string) => sql.id(schema, table);
  const init: Migration = {
    async up(db) {
      await sql`
        create table ${s('collections')} (
          id bigint generated always as identity primary key,
          name text not null unique,
          dimensions integer not null check (dimensions between 1 and 65536),
          distance text not null check (distance in ('cosine', 'dot', 'euclidean')),
          revision bigint not null default 0,
          -- an in-memory copy older than this must reload: tombstones before it were pruned
          floor_revision bigint not null default 0,
          created_at timestamptz not null default now()
        )`.execute(db);
      // vector: float32 little-endian (unit length for cosine); payload: json, not jsonb,
      // because jsonb refuses \\u0000 that extracted text can contain and Qdrant keeps.
      await sql`
        create table ${s('points')} (
          collection_id bigint not null references ${s('collections')} (id) on delete cascade,
          id uuid not null,
          document_id text not null,
          revision bigint not null,
          vector bytea not null,
          payload json not null,
          primary key (collection_id, id)
        )`.execute(db);
      // Float data does not compress: skip the attempt for vectors large enough to be toasted.
      await sql`alter table ${s('points')} alter column vector set storage external`.execute(db);
      await sql`create index points_by_document on ${s('points')} (collection_id, document_id)`.execute(db);
      await sql`create index points_by_revision on ${s('points')} (collection_id, revision)`.execute(db);
      await sql`
        create table ${s('tombstones')} (
          collection_id bigint not null references ${s('collections')} (id) on delete cascade,
          id uuid not null,
          revision bigint not null,
          primary key (collection_id, id)
        )`.execute(db);
      await sql`create index tombstones_by_revision on ${s('tombstones')} (collection_id, revision)`.execute(db);
    },
  };
  // Lexical (BM25) index: one posting per (collection, term, point), with the term's count
  // and the point's length so a query reads postings only. The collection's row keeps the
  // number of points with terms and their total length, changed under the row lock every
  // write already takes, so the statistics are exact under concurrent writes and deletes.
  const lexical: Migration = {
    async up(db) {
      await sql`
        alter table ${s('collections')}
          add column lexical_points bigint not null default 0,
          add column lexical_length bigint not null default 0`.execute(db);
      await sql`alter table ${s('points')} add column lexical_length integer`.execute(db);
      await sql`
        create table ${s('postings')} (
          collection_id bigint not null references ${s('collections')} (id) on delete cascade,
          term text not null,
          point_id uuid not null,
          document_id text not null,
          tf integer not null,
          dl integer not null,
          primary key (collection_id, term, point_id)
        )`.execute(db);
      await sql`create index postings_by_point on ${s('postings')} (collection_id, point_id)`.execute(db);
    },
  };
  // The lexical backfill reads the points that have no terms yet, page by page in id order:
  // a partial index holds exactly those, so each page is an index range scan and the index
  // shrinks to nothing as the backfill (and re-processing) gives points their terms.
  const backfill: Migration = {
    async up(db) {
      await sql`
        create index points_without_lexical on ${s('points')} (collection_id, id)
        where lexical_length is null`.execute(db);
    },
  };
  // How a collection is searched: `exact` (the worker's in-memory copy), `pgvector` (its
  // own table `pgv_<id>` with an HNSW index), or `migrating` (that table exists and every
  // write goes to it too, while a copy with `pgvector_cursor` — the last id copied —
  // catches up; searches stay exact until it is done). The column exists whether or not
  // the database has pgvector, so the same schema serves both.
  const search: Migration = {
    async up(db) {
      await sql`
        alter table ${s('collections')}
          add column search text not null default 'exact' check (search in ('exact', 'migrating', 'pgvector')),
          add column pgvector_cursor uuid`.execute(db);
    },
  };
  // A query's postings read from the index alone (an index-only scan): the primary key
  // finds a term's postings, but their tf, dl and document sit in heap rows scattered over
  // as many pages as postings (measured: 4,373 pages for 5,273 postings of a 10-term query).
  const covering: Migration = {
    async up(db) {
      await sql`
        create index postings_covering on ${s('postings')} (collection_id, term)
          include (point_id, tf, dl, document_id)`.execute(db);
    },
  };
  return {
    '0001-vectors': init,
    '0002-lexical': lexical,
    '0003-lexical-backfill': backfill,
    '0004-search-backend': search,
    '0005-postings-covering': covering,
  };
}
