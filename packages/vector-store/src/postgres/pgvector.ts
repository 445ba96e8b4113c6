/**
 * The pgvector path of the postgres adapter: when the database offers the `vector`
 * extension, each collection gets its own table `pgv_<collection id>` (id, document_id,
 * embedding vector(d)) with an HNSW index for its distance, next to the shared `points`
 * table that keeps payloads, lexical postings and the float32 copy the exact path reads.
 *
 * One table per collection because an HNSW index needs a fixed dimension, and a partial
 * index on the shared table would make every KB creation scan (and lock) all points.
 *
 * Operators: cosine and dot collections both use inner product (`<#>`, vector_ip_ops):
 * cosine vectors are stored normalised, so their inner product is the cosine, exactly as
 * Qdrant scores them — and a zero vector scores 0 instead of pgvector's NaN cosine.
 * Euclidean uses `<->` (vector_l2_ops), the distance itself, as Qdrant's Euclid.
 * Above 2 000 dimensions (vector's HNSW limit) the index is on `embedding::halfvec(d)`
 * (up to 4 000); scores are always computed on the full float32 vector.
 */
import type { Distance } from '../types.ts';

/** HNSW indexes `vector` up to 2 000 dimensions and `halfvec` up to 4 000. */
export const PGVECTOR_VECTOR_MAX_DIMS = 2_000;
export const PGVECTOR_MAX_DIMS = 4_000;
/** Candidates the HNSW graph search keeps (pgvector's default is 40); higher means better recall. */
export const HNSW_EF_SEARCH = 100;

export interface Pgvector {
  version: string;
  /** Schema the extension's types and operators live in. */
  schema: string;
  /** ≥ 0.8.0: iterative index scans, so filtered searches keep returning `limit` hits. */
  iterative: boolean;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Parses "0.8.0" style versions into a comparable number. */
export function versionNumber(version: string): number {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return major * 10_000 + minor * 100 + patch;
}

export class PgvectorSql {
  constructor(
    private readonly schema: string,
    readonly ext: Pgvector,
  ) {}

  table(collectionId: string): string {
    if (!/^\d+$/.test(collectionId)) throw new Error(`bad collection id ${collectionId}`);
    return `${ident(this.schema)}.${ident(`pgv_${collectionId}`)}`;
  }

  private type(name: 'vector' | 'halfvec', dims?: number): string {
    return `${ident(this.ext.schema)}.${name}${dims === undefined ? '' : `(${dims})`}`;
  }

  private op(distance: Distance): string {
    return `operator(${ident(this.ext.schema)}.${distance === 'euclidean' ? '<->' : '<#>'})`;
  }

  /** The statements that create a collection's table and indexes (run in one transaction). */
  create(collectionId: string, dims: number, distance: Distance): string[] {
    const table = this.table(collectionId);
    const half = dims > PGVECTOR_VECTOR_MAX_DIMS;
    const opclass = `${half ? 'halfvec' : 'vector'}_${distance === 'euclidean' ? 'l2' : 'ip'}_ops`;
    const expr = half ? `(embedding::${this.type('halfvec', dims)})` : 'embedding';
    return [
      `create table if not exists ${table} (
         id uuid primary key,
         document_id text not null,
         embedding ${this.type('vector', dims)} not null)`,
      // Float data does not compress.
      `alter table ${table} alter column embedding set storage external`,
      `create index if not exists ${ident(`pgv_${collectionId}_hnsw`)} on ${table}
         using hnsw (${expr} ${ident(this.ext.schema)}.${opclass}) with (m = 16, ef_construction = 64)`,
      // A document filter with few points is answered exactly from this index instead.
      `create index if not exists ${ident(`pgv_${collectionId}_doc`)} on ${table} (document_id)`,
    ];
  }

  drop(collectionId: string): string {
    return `drop table if exists ${this.table(collectionId)}`;
  }

  /**
   * Top `limit` ids and scores (Qdrant's), best first; $1 query text, $2 document filter
   * or null, $3 limit. Ordered by the index expression (so the HNSW index is used), scored
   * on the full vector, thresholds applied to the ordered prefix.
   */
  search(collectionId: string, dims: number, distance: Distance, threshold: number | undefined): string {
    const table = this.table(collectionId);
    const half = dims > PGVECTOR_VECTOR_MAX_DIMS;
    const q = `$1::text::${this.type('vector', dims)}`;
    const order = half
      ? `(embedding::${this.type('halfvec', dims)}) ${this.op(distance)} (${q}::${this.type('halfvec', dims)})`
      : `embedding ${this.op(distance)} ${q}`;
    const score =
      distance === 'euclidean' ? `embedding ${this.op(distance)} ${q}` : `-(embedding ${this.op(distance)} ${q})`;
    const keep =
      threshold === undefined
        ? ''
        : `where s.score ${distance === 'euclidean' ? '<' : '>'} ${Number(threshold).toString()}::float8`;
    return `select s.id::text as id, s.score from (
        select id, (${score})::float8 as score from ${table}
        where $2::text is null or document_id = $2
        order by ${order} limit $3) s
      ${keep}
      order by s.score ${distance === 'euclidean' ? 'asc' : 'desc'}, s.id`;
  }

  /** $1 ids, $2 document ids, $3 vectors as pgvector text: insert or replace. */
  upsert(collectionId: string): string {
    return `insert into ${this.table(collectionId)} (id, document_id, embedding)
      select u.id, u.doc, u.vec::${this.type('vector')}
      from unnest($1::uuid[], $2::text[], $3::text[]) as u(id, doc, vec)
      on conflict (id) do update set document_id = excluded.document_id, embedding = excluded.embedding`;
  }

  deleteDocuments(collectionId: string): string {
    return `delete from ${this.table(collectionId)} where document_id = any($1::text[])`;
  }
}

/** A float32 vector as pgvector's text input; float32 → shortest double text → the same float32. */
export function vectorText(v: Float32Array): string {
  return `[${v.join(',')}]`;
}

/** float32 little-endian bytes (the `points.vector` column) as pgvector text. */
export function bytesToVectorText(bytes: Buffer): string {
  const v = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return vectorText(v);
}
