/**
 * The embedded vector store: vectors and payloads in Postgres, exact search in a worker
 * thread over an in-memory copy of each searched collection that is caught up with the
 * database (by revision) before every search, so every process sees every committed write.
 *
 * Why not score in SQL: with no pgvector, a SQL dot product over `real[]` took 880 ms for
 * one query on 20 000 × 384 (measured, see docs/vector-store.md); the worker takes ~10 ms.
 */
import { endianness } from 'node:os';
import { migrateToLatest } from '@lumikb/db';
import { retry } from '@lumikb/retry';
import pg from 'pg';
import { VectorStoreError } from '../errors.ts';
import { rrfFuse } from '../fusion.ts';
import {
  BM25_B,
  BM25_K1,
  type CollectionInfo,
  type CollectionSpec,
  type Distance,
  type HybridSearchOptions,
  type LexicalQuery,
  type LexicalSearchOptions,
  type LexicalStats,
  type SearchHit,
  type SearchOptions,
  type VectorPoint,
  type VectorStore,
  type VectorStoreLogger,
} from '../types.ts';
import {
  checkCollectionName,
  checkDocumentId,
  checkLexicalQuery,
  checkPoints,
  checkReplacement,
  checkSearch,
  checkSpec,
  dimensionMismatch,
  normalise,
} from '../validation.ts';
import { vectorStoreMigrations } from './migrations.ts';
import { type SearchKernel, SearchThread } from './search-thread.ts';

export interface PostgresVectorStoreOptions {
  databaseUrl: string;
  schema?: string;
  poolMax?: number;
  /** Memory for in-memory copies of collections (least recently searched evicted first); default 512 MiB. */
  cacheMaxBytes?: number;
  /** Scoring kernel of the search worker; default wasm (SIMD), with JavaScript as fallback. */
  searchKernel?: SearchKernel;
  logger?: VectorStoreLogger;
}

interface CollectionRow {
  id: string;
  dimensions: number;
  distance: Distance;
  revision: number;
  floor_revision: number;
}

/** One caller's write: optionally remove a document's points, then upsert points (by lowercased id). */
interface WriteOp {
  deleteDocument?: string;
  points: Map<string, VectorPoint>;
  /** The points' vector length (undefined when there are none). */
  dims: number | undefined;
  settle: (error?: unknown) => void;
}

interface CacheEntry {
  revision: number;
  generation: number;
  bytes: number;
  lastUsed: number;
}

/** Rows per insert statement and per page when loading a collection. */
const WRITE_BATCH = 500;
const LOAD_PAGE = 4_096;
/** Postings per insert statement (a chunk of 1 000 characters has ~100 distinct terms). */
const POSTINGS_BATCH = 5_000;
/** Points of the writes one group-commit transaction takes (it takes at least one write). */
const GROUP_POINTS = 4_096;
/** Tombstones kept per collection, in revisions; older in-memory copies reload in full. */
const TOMBSTONE_HORIZON = 1_000;

const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i;

function notFound(name: string): VectorStoreError {
  return new VectorStoreError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`, { collection: name });
}

/** Postgres failures that mean "cannot reach or use the database" become UNAVAILABLE. */
function mapError(error: unknown): unknown {
  if (error instanceof VectorStoreError) return error;
  const code = (error as { code?: string })?.code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code.startsWith('08') || code === '57P01' || code === '57P03' || CONNECTION_ERROR.test(`${code} ${message}`)) {
    return new VectorStoreError('UNAVAILABLE', `vector database unavailable: ${message}`, undefined, { cause: error });
  }
  if (code === '22P02' || code === '22P05' || code === '22021') {
    return new VectorStoreError('INVALID_INPUT', `rejected by the vector database: ${message}`, undefined, {
      cause: error,
    });
  }
  return error;
}

export class PostgresVectorStore implements VectorStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly table: { collections: string; points: string; tombstones: string; postings: string };
  private readonly thread: SearchThread;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly refreshing = new Map<string, Promise<void>>();
  /** Writes waiting for their collection's next transaction (present while one runs). */
  private readonly writeQueues = new Map<string, WriteOp[]>();
  private readonly cacheMaxBytes: number;
  private ready: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: PostgresVectorStoreOptions) {
    if (endianness() !== 'LE') throw new Error('the postgres vector store stores float32 little-endian');
    this.schema = options.schema ?? 'vectors';
    const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const q = (t: string) => `${ident(this.schema)}.${ident(t)}`;
    this.table = {
      collections: q('collections'),
      points: q('points'),
      tombstones: q('tombstones'),
      postings: q('postings'),
    };
    this.cacheMaxBytes = options.cacheMaxBytes ?? 512 * 1024 * 1024;
    this.thread = new SearchThread(options.searchKernel ?? 'wasm');
    this.pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolMax ?? 10,
      application_name: 'lumikb-vectors',
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    // A dropped connection must not crash the process, idle (pool error) or checked out
    // mid-query (client error, where pg-pool has no listener); the query itself rejects.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => client.on('error', () => {}));
  }

  ensureReady(): Promise<void> {
    if (this.closed) return Promise.reject(new VectorStoreError('UNAVAILABLE', 'vector store is closed'));
    this.ready ??= this.migrate().catch((error) => {
      this.ready = undefined;
      throw mapError(error);
    });
    return this.ready;
  }

  private async migrate(): Promise<void> {
    // Two processes creating the schema at the same instant: the loser retries and finds it.
    await retry(
      { retries: 2, baseDelayMs: 50, retryable: (error) => /duplicate key|already exists|lock/i.test(String(error)) },
      () => migrateToLatest(this.options.databaseUrl, this.schema, vectorStoreMigrations(this.schema)),
    );
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.ensureReady();
    try {
      return await fn();
    } catch (error) {
      throw mapError(error);
    }
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>, mode = 'begin'): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(mode);
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async createCollection(spec: CollectionSpec): Promise<void> {
    checkSpec(spec);
    await this.run(async () => {
      const { collections } = this.table;
      const inserted = await this.pool.query(
        `insert into ${collections} (name, dimensions, distance) values ($1, $2, $3)
         on conflict (name) do nothing returning id`,
        [spec.name, spec.dimensions, spec.distance],
      );
      if (inserted.rowCount) return;
      const existing = await this.pool.query<{ dimensions: number; distance: Distance }>(
        `select dimensions, distance from ${collections} where name = $1`,
        [spec.name],
      );
      const row = existing.rows[0];
      // Deleted between our insert and this read: try once more.
      if (!row) return this.createCollection(spec);
      if (row.dimensions !== spec.dimensions || row.distance !== spec.distance) {
        throw new VectorStoreError(
          'COLLECTION_CONFLICT',
          `collection "${spec.name}" already exists with ${row.dimensions} dimensions and ${row.distance} distance, not ${spec.dimensions}/${spec.distance}`,
          { collection: spec.name, existing: { dimensions: row.dimensions, distance: row.distance }, requested: spec },
        );
      }
    });
  }

  async deleteCollection(name: string): Promise<void> {
    checkCollectionName(name);
    await this.run(async () => {
      const deleted = await this.pool.query<{ id: string }>(
        `delete from ${this.table.collections} where name = $1 returning id::text`,
        [name],
      );
      for (const row of deleted.rows) this.forget(row.id);
    });
  }

  async collectionInfo(name: string): Promise<CollectionInfo | null> {
    checkCollectionName(name);
    return this.run(async () => {
      const result = await this.pool.query<{ dimensions: number; distance: Distance; points: number }>(
        `select c.dimensions, c.distance,
                (select count(*) from ${this.table.points} p where p.collection_id = c.id)::int as points
         from ${this.table.collections} c where c.name = $1`,
        [name],
      );
      return result.rows[0] ?? null;
    });
  }

  async count(name: string, filter?: { document_id?: string }): Promise<number> {
    checkCollectionName(name);
    if (filter?.document_id !== undefined) checkDocumentId(filter.document_id, 'filter.document_id');
    return this.run(async () => {
      const result = await this.pool.query<{ points: number }>(
        `select (select count(*) from ${this.table.points} p
                 where p.collection_id = c.id and ($2::text is null or p.document_id = $2))::int as points
         from ${this.table.collections} c where c.name = $1`,
        [name, filter?.document_id ?? null],
      );
      const row = result.rows[0];
      if (!row) throw notFound(name);
      return row.points;
    });
  }

  async upsert(name: string, points: VectorPoint[]): Promise<void> {
    checkCollectionName(name);
    const dims = checkPoints(points);
    await this.write(name, { points: lastById(points), dims });
  }

  async deleteByDocument(name: string, documentId: string): Promise<void> {
    checkCollectionName(name);
    checkDocumentId(documentId);
    await this.write(name, { deleteDocument: documentId, points: new Map(), dims: undefined });
  }

  async replaceDocument(name: string, documentId: string, points: VectorPoint[]): Promise<void> {
    checkCollectionName(name);
    const dims = checkReplacement(documentId, points);
    await this.write(name, { deleteDocument: documentId, points: lastById(points), dims });
  }

  /**
   * Every write of a collection goes through its queue (group commit). The first write
   * runs at once; writes that arrive while a transaction of that collection is running
   * wait for it and then go together in the next one: one row lock, one revision, one
   * commit, and multi-row statements over all of them. Each caller's promise settles
   * when its write is committed (or refused), as if it had run alone: a write is only
   * ever merged with writes that do not touch its points or its document (otherwise it
   * starts a new segment of the same transaction, applied after the earlier ones), and a
   * transaction that fails is replayed write by write so one bad write fails alone.
   */
  private write(name: string, op: Omit<WriteOp, 'settle'>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queued: WriteOp = {
        ...op,
        settle: (error) => (error === undefined ? resolve() : reject(error)),
      };
      const queue = this.writeQueues.get(name);
      if (queue) {
        queue.push(queued);
        return;
      }
      this.writeQueues.set(name, [queued]);
      void this.drainWrites(name);
    });
  }

  private async drainWrites(name: string): Promise<void> {
    const queue = this.writeQueues.get(name)!;
    while (queue.length > 0) {
      // Bound one transaction: at least one write, then up to GROUP_POINTS points.
      let points = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || points + queue[take]!.points.size <= GROUP_POINTS)) {
        points += queue[take]!.points.size;
        take++;
      }
      const group = queue.splice(0, take);
      try {
        await this.commitGroup(name, group);
      } catch (error) {
        // commitGroup settles every write itself; should it ever throw, no caller may hang.
        for (const op of group) op.settle(error);
      }
    }
    // No await between the emptiness check and this: a write arriving later starts a new drain.
    this.writeQueues.delete(name);
  }

  private async commitGroup(name: string, group: WriteOp[]): Promise<void> {
    let refused: (unknown | undefined)[];
    try {
      refused = await this.run(() => this.transaction((client) => this.applyGroup(client, name, group)));
    } catch (error) {
      if (group.length === 1) {
        group[0]!.settle(error);
        return;
      }
      // Which write broke the transaction is unknown: each one again, alone.
      for (const op of group) await this.commitGroup(name, [op]);
      return;
    }
    for (const [i, op] of group.entries()) op.settle(refused[i]);
  }

  /** One transaction of a group of writes; returns each write's refusal (undefined: written). */
  private async applyGroup(client: pg.PoolClient, name: string, group: WriteOp[]): Promise<(unknown | undefined)[]> {
    const deletes = group.some((op) => op.deleteDocument !== undefined);
    // The row lock serialises writers per collection (across processes), so revisions commit in order.
    const locked = await client.query<{ id: string; dimensions: number; distance: Distance; revision: number }>(
      `update ${this.table.collections} set revision = revision + 1,
         floor_revision = case when $2 then greatest(floor_revision, revision + 1 - ${TOMBSTONE_HORIZON})
                          else floor_revision end
       where name = $1 returning id::text, dimensions, distance, revision::float8 as revision`,
      [name, deletes],
    );
    const collection = locked.rows[0];
    if (!collection) return group.map(() => notFound(name));
    const refused = group.map((op) =>
      op.dims !== undefined && op.dims !== collection.dimensions
        ? dimensionMismatch(name, collection.dimensions, op.dims)
        : undefined,
    );
    for (const segment of segments(group.filter((_, i) => refused[i] === undefined))) {
      if (segment.deleteDocuments.length > 0) await this.deleteDocuments(client, collection, segment.deleteDocuments);
      if (segment.points.length > 0) await this.upsertPoints(client, collection, segment.points);
    }
    // Tombstones past the horizon are pruned every 64th write, not on every one: a reader
    // older than the horizon reloads in full anyway (floor_revision), so the ones kept a
    // little longer are never needed, and at most 64 writes' worth more are kept.
    if (collection.revision % 64 === 0) {
      await client.query(`delete from ${this.table.tombstones} where collection_id = $1 and revision <= $2`, [
        collection.id,
        collection.revision - TOMBSTONE_HORIZON,
      ]);
    }
    return refused;
  }

  /** Removes the documents' points (leaving tombstones), their postings and their share of the statistics. */
  private async deleteDocuments(client: pg.PoolClient, collection: { id: string; revision: number }, docs: string[]) {
    await client.query(
      `with gone as (
         delete from ${this.table.points} where collection_id = $1 and document_id = any($2::text[])
         returning id, lexical_length),
       stats as (
         update ${this.table.collections} set
           lexical_points = lexical_points - (select count(*) from gone where lexical_length is not null),
           lexical_length = lexical_length - coalesce((select sum(lexical_length) from gone), 0)
         where id = $1),
       postings as (
         delete from ${this.table.postings} where collection_id = $1 and point_id in (select id from gone))
       insert into ${this.table.tombstones} (collection_id, id, revision)
       select $1, id, $3 from gone
       on conflict (collection_id, id) do update set revision = excluded.revision`,
      [collection.id, docs, collection.revision],
    );
  }

  /** Inserts or replaces points (by id), with their postings and statistics, in statements of WRITE_BATCH rows. */
  private async upsertPoints(
    client: pg.PoolClient,
    collection: { id: string; distance: Distance; revision: number },
    unique: [string, VectorPoint][],
  ) {
    let lexicalPoints = 0;
    let lexicalLength = 0;
    for (let start = 0; start < unique.length; start += WRITE_BATCH) {
      const slice = unique.slice(start, start + WRITE_BATCH);
      const ids: string[] = [];
      const docs: string[] = [];
      const vectors: Buffer[] = [];
      const payloads: string[] = [];
      const lengths: (number | null)[] = [];
      const post = {
        ids: [] as string[],
        docs: [] as string[],
        terms: [] as string[],
        tfs: [] as number[],
        dls: [] as number[],
      };
      let lexical = false;
      for (const [id, point] of slice) {
        const v = collection.distance === 'cosine' ? normalise(point.vector) : Float32Array.from(point.vector);
        ids.push(id);
        docs.push(point.payload.document_id);
        vectors.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
        payloads.push(serialisePayload(point.payload));
        lengths.push(point.lexical ? point.lexical.length : null);
        if (point.lexical) {
          lexical = true;
          lexicalPoints++;
          lexicalLength += point.lexical.length;
          for (const [term, tf] of Object.entries(point.lexical.terms)) {
            post.ids.push(id);
            post.docs.push(point.payload.document_id);
            post.terms.push(term);
            post.tfs.push(tf);
            post.dls.push(point.lexical.length);
          }
        }
      }
      // One statement: the replaced points' old lexical figures (read from the snapshot
      // before this statement, so before the insert below changes them) and their
      // postings leave, the points are inserted or replaced, and tombstones of their ids
      // go (a point deleted earlier is back).
      const replaced = await client.query<{ n: string; total: string | null }>(
        `with old as (
           select id, lexical_length from ${this.table.points}
           where collection_id = $1 and id = any($3::uuid[]) and lexical_length is not null),
         postings as (
           delete from ${this.table.postings} where collection_id = $1 and point_id in (select id from old)),
         up as (
           insert into ${this.table.points} (collection_id, id, document_id, revision, vector, payload, lexical_length)
           select $1, u.id, u.doc, $2, u.vec, u.payload, u.len
           from unnest($3::uuid[], $4::text[], $5::bytea[], $6::json[], $7::int[]) as u(id, doc, vec, payload, len)
           on conflict (collection_id, id) do update set
             document_id = excluded.document_id, revision = excluded.revision,
             vector = excluded.vector, payload = excluded.payload, lexical_length = excluded.lexical_length),
         revived as (
           delete from ${this.table.tombstones} where collection_id = $1 and id = any($3::uuid[]))
         select count(*)::text as n, sum(lexical_length)::text as total from old`,
        [collection.id, collection.revision, ids, docs, vectors, payloads, lengths],
      );
      lexicalPoints -= Number(replaced.rows[0]?.n ?? 0);
      lexicalLength -= Number(replaced.rows[0]?.total ?? 0);
      if (!lexical) continue;
      for (let p = 0; p < post.ids.length; p += POSTINGS_BATCH) {
        await client.query(
          `insert into ${this.table.postings} (collection_id, point_id, document_id, term, tf, dl)
           select $1, u.id, u.doc, u.term, u.tf, u.dl
           from unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[]) as u(id, doc, term, tf, dl)`,
          [
            collection.id,
            post.ids.slice(p, p + POSTINGS_BATCH),
            post.docs.slice(p, p + POSTINGS_BATCH),
            post.terms.slice(p, p + POSTINGS_BATCH),
            post.tfs.slice(p, p + POSTINGS_BATCH),
            post.dls.slice(p, p + POSTINGS_BATCH),
          ],
        );
      }
    }
    if (lexicalPoints !== 0 || lexicalLength !== 0) {
      await client.query(
        `update ${this.table.collections} set lexical_points = lexical_points + $2,
           lexical_length = lexical_length + $3 where id = $1`,
        [collection.id, lexicalPoints, lexicalLength],
      );
    }
  }

  async search(name: string, vector: number[], options: SearchOptions): Promise<SearchHit[]> {
    checkCollectionName(name);
    checkSearch(vector, options);
    return this.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const collection = await this.fresh(name);
        if (vector.length !== collection.dimensions) {
          throw dimensionMismatch(name, collection.dimensions, vector.length, 'query vector');
        }
        const query = collection.distance === 'cosine' ? normalise(vector) : Float32Array.from(vector);
        const result = await this.thread.search({
          key: collection.id,
          metric: collection.distance === 'euclidean' ? 'euclid' : 'dot',
          query,
          limit: options.limit,
          ...(options.scoreThreshold !== undefined && { threshold: options.scoreThreshold }),
          ...(options.filter?.document_id !== undefined && { doc: options.filter.document_id }),
        });
        if ('missing' in result) {
          // Evicted, or the worker restarted, between catching up and searching.
          this.cache.delete(collection.id);
          if (attempt >= 3) throw new VectorStoreError('UNAVAILABLE', 'search worker lost the collection');
          continue;
        }
        if (result.ids.length === 0) return [];
        const rows = await this.pool.query<{ id: string; payload: SearchHit['payload'] }>(
          `select id::text, payload from ${this.table.points} where collection_id = $1 and id = any($2::uuid[])`,
          [collection.id, result.ids],
        );
        const payloads = new Map(rows.rows.map((r) => [r.id, r.payload]));
        const hits: SearchHit[] = [];
        result.ids.forEach((id, i) => {
          const payload = payloads.get(id);
          // Absent: deleted by a concurrent write after scoring; the hit no longer exists.
          if (payload) hits.push({ id, score: result.scores[i] as number, payload });
        });
        return hits;
      }
    });
  }

  async searchLexical(name: string, query: LexicalQuery, options: LexicalSearchOptions): Promise<SearchHit[]> {
    checkCollectionName(name);
    checkLexicalQuery(query, options?.limit);
    const documentId = options.filter?.document_id;
    if (documentId !== undefined) checkDocumentId(documentId, 'filter.document_id');
    return this.run(async () => {
      const terms = Object.keys(query);
      // One statement, one snapshot: the statistics and the postings agree. Only the
      // postings of the query's terms are read, once, from the covering index (document
      // frequency by a window over the same rows), and payloads only for the hits kept.
      const result = await this.pool.query<{
        id: string;
        score: number;
        payload: SearchHit['payload'] | null;
        found: boolean;
      }>(
        `with c as (
           select id, lexical_points::float8 as n,
                  case when lexical_points > 0 then lexical_length::float8 / lexical_points else 1 end as avgdl
           from ${this.table.collections} where name = $1),
         q as (select * from unnest($2::text[], $3::float8[]) as q(term, weight)),
         m as (
           select p.point_id, p.document_id, p.tf::float8 as tf, p.dl::float8 as dl, q.weight,
                  count(*) over (partition by q.term)::float8 as df
           from q join c on true
           join ${this.table.postings} p on p.collection_id = c.id and p.term = q.term),
         s as (
           select m.point_id, sum(m.weight * ln(1 + (c.n - m.df + 0.5) / (m.df + 0.5))
                    * m.tf * ${BM25_K1 + 1} / (m.tf + ${BM25_K1} * (1 - ${BM25_B} + ${BM25_B} * m.dl / c.avgdl))) as score
           from m join c on true
           where $5::text is null or m.document_id = $5
           group by m.point_id
           order by score desc, m.point_id
           limit $4)
         select true as found, s.point_id::text as id, s.score::float8 as score, pt.payload
         from s join c on true join ${this.table.points} pt on pt.collection_id = c.id and pt.id = s.point_id
         union all
         select false, null, null, null where not exists (select 1 from c)
         order by found, score desc, id`,
        [name, terms, terms.map((t) => query[t] as number), options.limit, documentId ?? null],
      );
      if (result.rows.some((r) => !r.found)) throw notFound(name);
      return result.rows
        .filter((r) => r.payload)
        .map((r) => ({ id: r.id, score: r.score, payload: r.payload as SearchHit['payload'] }))
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    });
  }

  async searchHybrid(
    name: string,
    vector: number[],
    query: LexicalQuery,
    options: HybridSearchOptions,
  ): Promise<SearchHit[]> {
    const candidates = options.candidates ?? options.limit * 4;
    const filter = options.filter ? { filter: options.filter } : {};
    const [dense, lexical] = await Promise.all([
      this.search(name, vector, { limit: candidates, ...filter }),
      Object.keys(query).length > 0 ? this.searchLexical(name, query, { limit: candidates, ...filter }) : [],
    ]);
    return rrfFuse([dense, lexical], options.limit);
  }

  async lexicalStats(name: string): Promise<LexicalStats> {
    checkCollectionName(name);
    return this.run(async () => {
      const result = await this.pool.query<{ n: number; total: number }>(
        `select lexical_points::float8 as n, lexical_length::float8 as total from ${this.table.collections} where name = $1`,
        [name],
      );
      const row = result.rows[0];
      if (!row) throw notFound(name);
      return { documents: row.n, averageLength: row.n > 0 ? row.total / row.n : 0 };
    });
  }

  /** The collection's row, with the worker's copy caught up to at least its revision. */
  private async fresh(name: string): Promise<CollectionRow> {
    const found = await this.pool.query<CollectionRow>(
      `select id::text, dimensions, distance, revision::float8 as revision, floor_revision::float8 as floor_revision
       from ${this.table.collections} where name = $1`,
      [name],
    );
    const collection = found.rows[0];
    if (!collection) throw notFound(name);
    const generation = this.thread.ensure();
    const entry = this.cache.get(collection.id);
    if (entry && entry.generation === generation && entry.revision >= collection.revision) {
      entry.lastUsed = performance.now();
      return collection;
    }
    let refresh = this.refreshing.get(collection.id);
    if (!refresh) {
      refresh = this.refresh(name, collection.id).finally(() => this.refreshing.delete(collection.id));
      this.refreshing.set(collection.id, refresh);
    }
    await refresh;
    // A write may have landed while we waited on someone else's refresh: check once more.
    const after = this.cache.get(collection.id);
    if (!after || after.revision < collection.revision) return this.fresh(name);
    return collection;
  }

  private async refresh(name: string, key: string): Promise<void> {
    await this.transaction(async (client) => {
      // One snapshot: the revision we record and the rows we read agree.
      const found = await client.query<CollectionRow>(
        `select id::text, dimensions, distance, revision::float8 as revision, floor_revision::float8 as floor_revision
         from ${this.table.collections} where id = $1`,
        [key],
      );
      const collection = found.rows[0];
      if (!collection) throw notFound(name);
      const generation = this.thread.ensure();
      const entry = this.cache.get(key);
      const since = entry && entry.generation === generation ? entry.revision : undefined;
      const full = since === undefined || since < collection.floor_revision;
      const dims = collection.dimensions;
      let rows: { ids: string[]; docs: string[]; vectors: Float32Array };
      let removed: string[] = [];
      if (full) {
        rows = await this.readAll(client, key, dims);
      } else {
        const changed = await client.query<{ id: string; document_id: string; vector: Buffer }>(
          `select id::text, document_id, vector from ${this.table.points} where collection_id = $1 and revision > $2`,
          [key, since],
        );
        rows = toRows(changed.rows, dims);
        const gone = await client.query<{ id: string }>(
          `select id::text from ${this.table.tombstones} where collection_id = $1 and revision > $2`,
          [key, since],
        );
        removed = gone.rows.map((r) => r.id);
      }
      this.thread.put({ op: 'put', key, dims, full, ...rows, removed });
      const previousBytes = full ? 0 : (entry?.bytes ?? 0);
      this.cache.set(key, {
        revision: collection.revision,
        generation,
        bytes: full ? rows.vectors.byteLength + rows.ids.length * 120 : previousBytes + rows.vectors.byteLength,
        lastUsed: performance.now(),
      });
      this.evict(key);
    }, 'begin isolation level repeatable read read only');
  }

  private async readAll(client: pg.PoolClient, key: string, dims: number) {
    const ids: string[] = [];
    const docs: string[] = [];
    let vectors = new Float32Array(LOAD_PAGE * dims);
    let bytes = new Uint8Array(vectors.buffer);
    let after = '00000000-0000-0000-0000-000000000000';
    let first = true;
    for (;;) {
      // Keyset pages keep each result (and each burst of parsing on this thread) small.
      const page = await client.query<{ id: string; document_id: string; vector: Buffer }>(
        `select id::text, document_id, vector from ${this.table.points}
         where collection_id = $1 and (id > $2::uuid or $3) order by id limit ${LOAD_PAGE}`,
        [key, after, first],
      );
      first = false;
      if (vectors.length < (ids.length + page.rows.length) * dims) {
        const grown = new Float32Array(Math.max(vectors.length * 2, (ids.length + page.rows.length) * dims));
        grown.set(vectors.subarray(0, ids.length * dims));
        vectors = grown;
        bytes = new Uint8Array(vectors.buffer);
      }
      for (const row of page.rows) {
        bytes.set(row.vector, ids.length * dims * 4);
        ids.push(row.id);
        docs.push(row.document_id);
      }
      if (page.rows.length < LOAD_PAGE) break;
      after = ids[ids.length - 1] as string;
    }
    return { ids, docs, vectors: vectors.slice(0, ids.length * dims) };
  }

  private evict(keep: string): void {
    let total = 0;
    for (const entry of this.cache.values()) total += entry.bytes;
    if (total <= this.cacheMaxBytes) return;
    const byAge = [...this.cache.entries()].filter(([k]) => k !== keep).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, entry] of byAge) {
      if (total <= this.cacheMaxBytes) break;
      this.forget(key);
      total -= entry.bytes;
    }
    if (total > this.cacheMaxBytes) {
      this.options.logger?.warn(
        { collectionBytes: total, cacheMaxBytes: this.cacheMaxBytes },
        'one collection is larger than the vector search memory budget; consider Qdrant',
      );
    }
  }

  private forget(key: string): void {
    this.cache.delete(key);
    this.thread.drop(key);
  }

  /** The scoring kernel the search worker runs (for diagnosis and tests). */
  searchKernel(): Promise<SearchKernel> {
    return this.thread.runningKernel();
  }

  async health(): Promise<void> {
    if (this.closed) throw new VectorStoreError('UNAVAILABLE', 'vector store is closed');
    try {
      const client = await this.pool.connect();
      try {
        await client.query({ text: 'select 1', query_timeout: 2_000 } as pg.QueryConfig);
      } finally {
        client.release();
      }
    } catch (error) {
      const mapped = mapError(error);
      throw mapped instanceof VectorStoreError
        ? mapped
        : new VectorStoreError('UNAVAILABLE', `vector database unavailable: ${String(error)}`, undefined, {
            cause: error,
          });
    }
    try {
      await this.ensureReady();
    } catch (error) {
      if (error instanceof VectorStoreError) throw error;
      throw new VectorStoreError('UNAVAILABLE', `vector schema not ready: ${String(error)}`, undefined, {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.thread.close();
    await this.pool.end();
  }
}

/** Last occurrence of an id wins, as when Qdrant applies a batch in order. */
function lastById(points: VectorPoint[]): Map<string, VectorPoint> {
  const byId = new Map<string, VectorPoint>();
  for (const point of points) byId.set(point.id.toLowerCase(), point);
  return byId;
}

/**
 * Splits a group of writes into segments that can be merged: all deletions of a segment
 * run before its upserts, which equals running its writes one after the other only if no
 * write deletes a document an earlier write of the segment upserted points of, and no
 * two writes upsert the same id. A write that breaks this starts the next segment.
 */
function segments(group: WriteOp[]): { deleteDocuments: string[]; points: [string, VectorPoint][] }[] {
  const out: { deleteDocuments: string[]; points: [string, VectorPoint][] }[] = [];
  let current: { deleteDocuments: string[]; points: [string, VectorPoint][] } | undefined;
  let ids = new Set<string>();
  let docs = new Set<string>();
  for (const op of group) {
    const conflicts =
      current !== undefined &&
      ((op.deleteDocument !== undefined && docs.has(op.deleteDocument)) ||
        [...op.points.keys()].some((id) => ids.has(id)));
    if (!current || conflicts) {
      current = { deleteDocuments: [], points: [] };
      out.push(current);
      ids = new Set();
      docs = new Set();
    }
    if (op.deleteDocument !== undefined) current.deleteDocuments.push(op.deleteDocument);
    for (const entry of op.points) {
      current.points.push(entry);
      ids.add(entry[0]);
      docs.add(entry[1].payload.document_id);
    }
  }
  return out;
}

function toRows(rows: { id: string; document_id: string; vector: Buffer }[], dims: number) {
  const vectors = new Float32Array(rows.length * dims);
  const bytes = new Uint8Array(vectors.buffer);
  rows.forEach((row, i) => {
    bytes.set(row.vector, i * dims * 4);
  });
  return { ids: rows.map((r) => r.id), docs: rows.map((r) => r.document_id), vectors };
}

function serialisePayload(payload: object): string {
  try {
    return JSON.stringify(payload);
  } catch (error) {
    throw new VectorStoreError('INVALID_INPUT', `payload is not serialisable as JSON: ${String(error)}`);
  }
}
