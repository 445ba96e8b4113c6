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
  type LexicalEntry,
  type LexicalQuery,
  type LexicalScanPage,
  type LexicalSearchOptions,
  type LexicalStats,
  type LexicalTerms,
  type SearchHit,
  type SearchOptions,
  type VectorPoint,
  type VectorSearchBackend,
  type VectorStore,
  type VectorStoreDescription,
  type VectorStoreLogger,
} from '../types.ts';
import {
  checkCollectionName,
  checkDocumentId,
  checkLexicalEntries,
  checkLexicalQuery,
  checkPoints,
  checkReplacement,
  checkScanLimit,
  checkSearch,
  checkSpec,
  dimensionMismatch,
  normalise,
} from '../validation.ts';
import { vectorStoreMigrations } from './migrations.ts';
import {
  bytesToVectorText,
  HNSW_EF_SEARCH,
  PGVECTOR_MAX_DIMS,
  PgvectorSql,
  vectorText,
  versionNumber,
} from './pgvector.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  /** `auto` (default): pgvector when the database offers it; `exact`: never; `pgvector`: required. */
  vectorSearch?: 'auto' | 'exact' | 'pgvector';
  /**
   * Exact path: load collections into the search worker in the background at start, most
   * recently written first, as long as they fit in `cacheMaxBytes` (default true).
   */
  preload?: boolean;
  /**
   * Exact path: how long a search waits for a collection that is still loading before it
   * is answered from the part already loaded (default 800 ms; 0 = wait for the whole load).
   */
  coldSearchBudgetMs?: number;
  /** pgvector path: copy existing exact collections to pgvector in the background at start (default true). */
  migrateToPgvector?: boolean;
  /** Tests: rows per page of a full load (default 4 096) and a hook awaited after each page is in the worker. */
  loadPageSize?: number;
  onLoadPage?: (loaded: number) => Promise<void>;
}

/** Outcome of one migrateToPgvector call. */
export interface PgvectorMigration {
  collection: string;
  state: 'exact' | 'migrating' | 'pgvector';
  /** Points copied by this call. */
  copied: number;
}

interface CollectionRow {
  id: string;
  dimensions: number;
  distance: Distance;
  revision: number;
  floor_revision: number;
  search: 'exact' | 'migrating' | 'pgvector';
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
  /** A full load is still streaming pages into the worker: searchable, but partial. */
  loading?: { loaded: number; total: number; firstPage: Promise<void> };
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

function isNotFound(error: unknown): boolean {
  return error instanceof VectorStoreError && error.code === 'COLLECTION_NOT_FOUND';
}

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
  private pgvector: PgvectorSql | undefined;
  private pgvectorUnavailable = 'not checked yet';
  /** New collections (and the start-up move) use pgvector: false with vectorSearch exact. */
  private pgvectorForNew = false;
  /** Pool clients whose session has the pgvector search settings. */
  private readonly tuned = new WeakMap<pg.PoolClient, number>();
  /** Background work started by ensureReady (preload, migration); awaited by close. */
  private readonly background: Promise<void>[] = [];

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
    await this.detectPgvector();
    if (this.closed) return;
    if (this.pgvector && this.pgvectorForNew && this.options.migrateToPgvector !== false) {
      this.background.push(this.migrateAllToPgvector());
    }
    if (this.options.preload !== false) this.background.push(this.preload());
  }

  /** pgvector when the database offers the `vector` extension (≥ 0.7: halfvec) and we may use it. */
  private async detectPgvector(): Promise<void> {
    const mode = this.options.vectorSearch ?? 'auto';
    const unavailable = (reason: string) => {
      this.pgvectorUnavailable = reason;
      if (mode === 'pgvector') throw new VectorStoreError('UNAVAILABLE', `pgvector required but ${reason}`);
    };
    const offered = await this.pool.query<{ v: string | null }>(
      `select (select extversion from pg_extension where extname = 'vector') as v
       union all select default_version from pg_available_extensions where name = 'vector'`,
    );
    if (offered.rows.every((r) => r.v === null)) return unavailable('the database does not offer the vector extension');
    // vectorSearch exact: never install the extension; an installed one is still used for
    // collections already on pgvector (their writes must reach their pgvector tables).
    if (offered.rows[0]?.v === null && mode === 'exact') return unavailable('turned off (vectorSearch: exact)');
    if (offered.rows[0]?.v === null) {
      try {
        await retry(
          { retries: 2, baseDelayMs: 50, retryable: (e) => /duplicate key|already exists/i.test(String(e)) },
          () => this.pool.query('create extension if not exists vector'),
        );
      } catch (error) {
        this.options.logger?.warn(
          { err: String(error) },
          'the database offers pgvector but we may not create the extension; exact search is used',
        );
        return unavailable(`create extension vector failed: ${(error as Error).message}`);
      }
    }
    const problem = await this.loadInstalledPgvector();
    if (problem) return unavailable(problem);
    this.pgvectorForNew = mode !== 'exact';
    if (!this.pgvectorForNew) this.pgvectorUnavailable = 'turned off for new collections (vectorSearch: exact)';
  }

  /**
   * Reads the installed extension; returns why it cannot be used, if so. Also called when
   * a store that found no pgvector at start meets a collection another process moved to
   * pgvector: its writes must reach that collection's table too.
   */
  private async loadInstalledPgvector(queryable: pg.Pool | pg.PoolClient = this.pool): Promise<string | undefined> {
    const installed = await queryable.query<{ version: string; schema: string }>(
      `select extversion as version, extnamespace::regnamespace::text as schema from pg_extension where extname = 'vector'`,
    );
    const row = installed.rows[0];
    if (!row) return 'the vector extension is not installed';
    if (versionNumber(row.version) < versionNumber('0.7.0')) {
      return `pgvector ${row.version} is older than 0.7.0 (halfvec, HNSW fixes)`;
    }
    const iterative = versionNumber(row.version) >= versionNumber('0.8.0');
    if (!iterative) {
      this.options.logger?.warn(
        { version: row.version },
        'pgvector before 0.8.0 has no iterative index scans: filtered searches may return fewer hits',
      );
    }
    this.pgvector = new PgvectorSql(this.schema, {
      version: row.version,
      schema: row.schema.replace(/^"|"$/g, ''),
      iterative,
    });
    return undefined;
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
      const pgv = this.pgvectorForNew && spec.dimensions <= PGVECTOR_MAX_DIMS ? this.pgvector : undefined;
      // pgvector: the collection's row, table and HNSW index in one transaction (an empty
      // table and index: milliseconds).
      const inserted = await this.transaction(async (client) => {
        const row = await client.query<{ id: string }>(
          `insert into ${collections} (name, dimensions, distance, search) values ($1, $2, $3, $4)
           on conflict (name) do nothing returning id::text`,
          [spec.name, spec.dimensions, spec.distance, pgv ? 'pgvector' : 'exact'],
        );
        const id = row.rows[0]?.id;
        if (pgv && id)
          for (const statement of pgv.create(id, spec.dimensions, spec.distance)) await client.query(statement);
        return row.rowCount;
      });
      if (inserted) return;
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
      const deleted = await this.transaction(async (client) => {
        const rows = await client.query<{ id: string; search: string }>(
          `delete from ${this.table.collections} where name = $1 returning id::text, search`,
          [name],
        );
        for (const row of rows.rows) {
          if (row.search !== 'exact') await client.query(`drop table if exists ${this.pgvTable(row.id)}`);
        }
        return rows.rows;
      });
      for (const row of deleted) this.forget(row.id);
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
    const locked = await client.query<{
      id: string;
      dimensions: number;
      distance: Distance;
      revision: number;
      search: CollectionRow['search'];
    }>(
      `update ${this.table.collections} set revision = revision + 1,
         floor_revision = case when $2 then greatest(floor_revision, revision + 1 - ${TOMBSTONE_HORIZON})
                          else floor_revision end
       where name = $1 returning id::text, dimensions, distance, revision::float8 as revision, search`,
      [name, deletes],
    );
    const collection = locked.rows[0];
    if (!collection) return group.map(() => notFound(name));
    if (collection.search !== 'exact' && !this.pgvector) await this.loadInstalledPgvector(client);
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
  private async deleteDocuments(
    client: pg.PoolClient,
    collection: { id: string; revision: number; search: CollectionRow['search'] },
    docs: string[],
  ) {
    if (collection.search !== 'exact') {
      await client.query(this.pgvectorSql().deleteDocuments(collection.id), [docs]);
    }
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
    collection: { id: string; distance: Distance; revision: number; search: CollectionRow['search'] },
    unique: [string, VectorPoint][],
  ) {
    const mirror = collection.search !== 'exact' ? this.pgvectorSql() : undefined;
    let lexicalPoints = 0;
    let lexicalLength = 0;
    for (let start = 0; start < unique.length; start += WRITE_BATCH) {
      const slice = unique.slice(start, start + WRITE_BATCH);
      const ids: string[] = [];
      const docs: string[] = [];
      const vectors: Buffer[] = [];
      const texts: string[] = [];
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
        if (mirror) texts.push(vectorText(v));
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
      if (mirror) await client.query(mirror.upsert(collection.id), [ids, docs, texts]);
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
        const collection = await this.fresh(name, this.options.coldSearchBudgetMs ?? 800);
        if (vector.length !== collection.dimensions) {
          throw dimensionMismatch(name, collection.dimensions, vector.length, 'query vector');
        }
        const query = collection.distance === 'cosine' ? normalise(vector) : Float32Array.from(vector);
        if (collection.search === 'pgvector') {
          if (!this.pgvector) await this.loadInstalledPgvector();
          return this.searchPgvector(collection, query, options);
        }
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
        return this.withPayloads(collection.id, result.ids, result.scores);
      }
    });
  }

  private async withPayloads(collectionId: string, ids: string[], scores: number[]): Promise<SearchHit[]> {
    if (ids.length === 0) return [];
    const rows = await this.pool.query<{ id: string; payload: SearchHit['payload'] }>(
      `select id::text, payload from ${this.table.points} where collection_id = $1 and id = any($2::uuid[])`,
      [collectionId, ids],
    );
    const payloads = new Map(rows.rows.map((r) => [r.id, r.payload]));
    const hits: SearchHit[] = [];
    ids.forEach((id, i) => {
      const payload = payloads.get(id);
      // Absent: deleted by a concurrent write after scoring; the hit no longer exists.
      if (payload) hits.push({ id, score: scores[i] as number, payload });
    });
    return hits;
  }

  /**
   * pgvector: the HNSW index answers (ef_search ≥ limit, iterative scan so a document
   * filter still yields `limit` hits); scores on the full vector as Qdrant defines them.
   */
  private async searchPgvector(collection: CollectionRow, query: Float32Array, options: SearchOptions) {
    const sqlgen = this.pgvectorSql();
    const client = await this.pool.connect();
    let rows: { id: string; score: number }[];
    try {
      const ef = Math.min(1_000, Math.max(HNSW_EF_SEARCH, options.limit));
      if (this.tuned.get(client) !== ef) {
        await client.query(
          `select set_config('hnsw.ef_search', $1, false)${
            sqlgen.ext.iterative ? `, set_config('hnsw.iterative_scan', 'relaxed_order', false)` : ''
          }`,
          [String(ef)],
        );
        this.tuned.set(client, ef);
      }
      const result = await client.query<{ id: string; score: number }>(
        sqlgen.search(collection.id, collection.dimensions, collection.distance, options.scoreThreshold),
        [vectorText(query), options.filter?.document_id ?? null, options.limit],
      );
      rows = result.rows;
    } finally {
      client.release();
    }
    return this.withPayloads(
      collection.id,
      rows.map((r) => r.id),
      rows.map((r) => r.score),
    );
  }

  private pgvectorSql(): PgvectorSql {
    if (!this.pgvector) {
      throw new VectorStoreError(
        'UNAVAILABLE',
        `this collection is searched with pgvector, which this store cannot use: ${this.pgvectorUnavailable}`,
      );
    }
    return this.pgvector;
  }

  private pgvTable(collectionId: string): string {
    const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
    return `${ident(this.schema)}.${ident(`pgv_${Number(collectionId)}`)}`;
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

  async enableLexical(name: string): Promise<boolean> {
    checkCollectionName(name);
    await this.collectionId(name);
    return true;
  }

  private async collectionId(name: string, client: pg.Pool | pg.PoolClient = this.pool, lock = false) {
    return this.run(async () => {
      const found = await client.query<{ id: string }>(
        `select id::text from ${this.table.collections} where name = $1${lock ? ' for update' : ''}`,
        [name],
      );
      const id = found.rows[0]?.id;
      if (id === undefined) throw notFound(name);
      return id;
    });
  }

  async scanWithoutLexical(name: string, options: { cursor?: string | null; limit: number }): Promise<LexicalScanPage> {
    checkCollectionName(name);
    const limit = checkScanLimit(options.limit);
    const after = options.cursor ?? null;
    if (after !== null && !UUID.test(after)) throw new VectorStoreError('INVALID_INPUT', 'cursor is not a point id');
    const id = await this.collectionId(name);
    return this.run(async () => {
      // An index range scan of points_without_lexical, from the cursor on.
      const page = await this.pool.query<{ id: string; payload: LexicalScanPage['points'][number]['payload'] }>(
        `select id::text, payload from ${this.table.points}
         where collection_id = $1 and lexical_length is null and ($2::uuid is null or id > $2::uuid)
         order by id limit $3`,
        [id, after, limit],
      );
      const points = page.rows;
      return { points, cursor: points.length === limit ? (points[points.length - 1]?.id ?? null) : null };
    });
  }

  async countWithoutLexical(name: string): Promise<number> {
    checkCollectionName(name);
    const id = await this.collectionId(name);
    return this.run(async () => {
      const result = await this.pool.query<{ n: number }>(
        `select count(*)::int as n from ${this.table.points} where collection_id = $1 and lexical_length is null`,
        [id],
      );
      return result.rows[0]?.n ?? 0;
    });
  }

  async addLexical(name: string, entries: LexicalEntry[]): Promise<number> {
    checkCollectionName(name);
    checkLexicalEntries(entries);
    if (entries.length === 0) {
      await this.collectionId(name);
      return 0;
    }
    const byId = new Map(entries.map((e) => [e.id.toLowerCase(), e.lexical]));
    const ids = [...byId.keys()];
    const lengths = ids.map((id) => (byId.get(id) as LexicalTerms).length);
    const post = { ids: [] as string[], terms: [] as string[], tfs: [] as number[] };
    for (const [id, lexical] of byId) {
      for (const [term, tf] of Object.entries(lexical.terms)) {
        post.ids.push(id);
        post.terms.push(term);
        post.tfs.push(tf);
      }
    }
    return this.run(() =>
      this.transaction(async (client) => {
        // The collection's row lock, as every write takes it: the statistics change in
        // step with concurrent upserts and deletes (of this or another process). The
        // vectors do not change, so the revision (the search copy's clock) stays.
        const collection = await this.collectionId(name, client, true);
        // Only points that still have no terms get these: one re-processed meanwhile keeps
        // its own, one deleted meanwhile is not there to update.
        const result = await client.query<{ n: number }>(
          `with u as (select * from unnest($2::uuid[], $3::int[]) as u(id, len)),
           upd as (
             update ${this.table.points} p set lexical_length = u.len from u
             where p.collection_id = $1 and p.id = u.id and p.lexical_length is null
             returning p.id, p.document_id, p.lexical_length),
           t as (select * from unnest($4::uuid[], $5::text[], $6::int[]) as t(id, term, tf)),
           ins as (
             insert into ${this.table.postings} (collection_id, point_id, document_id, term, tf, dl)
             select $1, upd.id, upd.document_id, t.term, t.tf, upd.lexical_length from upd join t on t.id = upd.id),
           stats as (
             update ${this.table.collections} set
               lexical_points = lexical_points + (select count(*) from upd),
               lexical_length = lexical_length + coalesce((select sum(lexical_length) from upd), 0)
             where id = $1)
           select count(*)::int as n from upd`,
          [collection, ids, lengths, post.ids, post.terms, post.tfs],
        );
        return result.rows[0]?.n ?? 0;
      }),
    );
  }

  /**
   * The collection's row, with the worker's copy caught up to at least its revision
   * (exact path; a pgvector collection is returned as is). A collection still loading in
   * full is waited for up to `budgetMs` (0: until loaded), then searched as far as it is
   * loaded: the first search after a start costs at most the budget, not the whole load.
   */
  private async fresh(name: string, budgetMs = 0): Promise<CollectionRow> {
    const found = await this.pool.query<CollectionRow>(
      `select id::text, dimensions, distance, revision::float8 as revision, floor_revision::float8 as floor_revision,
              search
       from ${this.table.collections} where name = $1`,
      [name],
    );
    const collection = found.rows[0];
    if (!collection) throw notFound(name);
    if (collection.search === 'pgvector') {
      if (this.cache.has(collection.id)) this.forget(collection.id);
      return collection;
    }
    const generation = this.thread.ensure();
    const entry = this.cache.get(collection.id);
    if (entry && entry.generation === generation && entry.revision >= collection.revision && !entry.loading) {
      entry.lastUsed = performance.now();
      return collection;
    }
    let refresh = this.refreshing.get(collection.id);
    if (!refresh) {
      refresh = this.refresh(name, collection.id).finally(() => this.refreshing.delete(collection.id));
      this.refreshing.set(collection.id, refresh);
    }
    if (budgetMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        refresh.then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), budgetMs);
        }),
      ]).finally(() => clearTimeout(timer));
      let partial = this.cache.get(collection.id);
      // The budget passed before the first page arrived: wait for that page, not the whole load.
      if (!done && partial?.loading && partial.loading.loaded === 0) {
        await Promise.race([refresh, partial.loading.firstPage]);
        partial = this.cache.get(collection.id);
      }
      if (!done && partial?.loading && partial.loading.loaded > 0 && partial.generation === this.thread.generation) {
        this.options.logger?.warn(
          { collection: name, loaded: partial.loading.loaded, total: partial.loading.total },
          'collection still loading: search answered from the points loaded so far',
        );
        partial.lastUsed = performance.now();
        return collection;
      }
    }
    await refresh;
    // A write may have landed while we waited on someone else's refresh: check once more.
    const after = this.cache.get(collection.id);
    if (!after || after.revision < collection.revision) return this.fresh(name, budgetMs);
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
      const current = this.cache.get(key);
      // A load that did not finish is no base for a delta: load again.
      const entry = current?.loading ? undefined : current;
      const since = entry && entry.generation === generation ? entry.revision : undefined;
      const full = since === undefined || since < collection.floor_revision;
      const dims = collection.dimensions;
      if (full && !entry) {
        // First load: pages go to the worker as they arrive, so the copy is searchable
        // (partially) long before a large collection has been read.
        const counted = await client.query<{ n: number }>(
          `select count(*)::int as n from ${this.table.points} where collection_id = $1`,
          [key],
        );
        const total = counted.rows[0]?.n ?? 0;
        let pageIn: () => void = () => {};
        const firstPage = new Promise<void>((resolve) => {
          pageIn = resolve;
        });
        const loading = { loaded: 0, total, firstPage };
        const loaded: CacheEntry = {
          revision: collection.revision,
          generation,
          bytes: total * (dims * 4 + 120),
          lastUsed: performance.now(),
          loading,
        };
        this.cache.set(key, loaded);
        this.evict(key);
        let first = true;
        try {
          await this.readPages(
            client,
            key,
            dims,
            (page) => {
              if (this.cache.get(key) !== loaded || loaded.generation !== this.thread.generation) return false;
              this.thread.put({ op: 'put', key, dims, full: first, ...page, removed: [] });
              first = false;
              loading.loaded += page.ids.length;
              pageIn();
              return true;
            },
            this.options.onLoadPage ? () => this.options.onLoadPage?.(loading.loaded) : undefined,
          );
        } catch (error) {
          if (this.cache.get(key) === loaded) this.forget(key);
          throw error;
        }
        pageIn(); // an empty collection: nobody waits for a first page that never comes
        if (this.cache.get(key) !== loaded) return; // dropped or evicted meanwhile
        if (first)
          this.thread.put({
            op: 'put',
            key,
            dims,
            full: true,
            ids: [],
            docs: [],
            vectors: new Float32Array(0),
            removed: [],
          });
        loaded.bytes = loading.loaded * (dims * 4 + 120);
        delete loaded.loading;
        this.evict(key);
        return;
      }
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

  /** Keyset pages of a collection's rows; `onPage` returning false stops the read. */
  private async readPages(
    client: pg.PoolClient,
    key: string,
    dims: number,
    onPage: (page: { ids: string[]; docs: string[]; vectors: Float32Array }) => boolean,
    afterPage?: () => Promise<void> | undefined,
  ): Promise<void> {
    const pageSize = this.options.loadPageSize ?? LOAD_PAGE;
    let after = '00000000-0000-0000-0000-000000000000';
    let first = true;
    for (;;) {
      // Keyset pages keep each result (and each burst of parsing on this thread) small.
      const page = await client.query<{ id: string; document_id: string; vector: Buffer }>(
        `select id::text, document_id, vector from ${this.table.points}
         where collection_id = $1 and (id > $2::uuid or $3) order by id limit ${pageSize}`,
        [key, after, first],
      );
      first = false;
      if (page.rows.length > 0 && !onPage(toRows(page.rows, dims))) return;
      if (page.rows.length < pageSize || this.closed) return;
      await afterPage?.();
      after = page.rows[page.rows.length - 1]?.id as string;
    }
  }

  private async readAll(client: pg.PoolClient, key: string, dims: number) {
    const ids: string[] = [];
    const docs: string[] = [];
    const parts: Float32Array[] = [];
    await this.readPages(client, key, dims, (page) => {
      ids.push(...page.ids);
      docs.push(...page.docs);
      parts.push(page.vectors);
      return true;
    });
    const vectors = new Float32Array(ids.length * dims);
    let offset = 0;
    for (const part of parts) {
      vectors.set(part, offset);
      offset += part.length;
    }
    return { ids, docs, vectors };
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

  /**
   * Start-up, exact path: loads collections into the search worker in the background,
   * most recently written first, while they fit in `cacheMaxBytes` together (a
   * collection that does not fit is left for its first search). Searches arriving
   * meanwhile join the load of their collection (bounded by coldSearchBudgetMs).
   */
  private async preload(): Promise<void> {
    try {
      await this.ensureReady();
      const listed = await this.pool.query<{ name: string; bytes: number }>(
        `select c.name, (count(p.id) * (c.dimensions * 4 + 120))::float8 as bytes
         from ${this.table.collections} c left join ${this.table.points} p on p.collection_id = c.id
         where c.search <> 'pgvector' group by c.id order by c.revision desc, c.id`,
      );
      let budget = this.cacheMaxBytes;
      for (const { name, bytes } of listed.rows) {
        if (this.closed) return;
        if (bytes > budget) continue;
        budget -= bytes;
        await this.fresh(name).catch((error) => {
          if (!this.closed && !isNotFound(error)) {
            this.options.logger?.warn({ collection: name, err: String(error) }, 'preloading a collection failed');
          }
        });
      }
    } catch (error) {
      if (!this.closed) this.options.logger?.warn({ err: String(error) }, 'preloading vector collections failed');
    }
  }

  /** Start-up, pgvector path: every collection still on exact search is copied over, one after the other. */
  private async migrateAllToPgvector(): Promise<void> {
    try {
      await this.ensureReady();
      const listed = await this.pool.query<{ name: string }>(
        `select name from ${this.table.collections} where search <> 'pgvector' and dimensions <= ${PGVECTOR_MAX_DIMS}
         order by id`,
      );
      for (const { name } of listed.rows) {
        if (this.closed) return;
        const outcome = await this.migrateToPgvector(name).catch((error) => {
          if (!this.closed && !isNotFound(error)) {
            this.options.logger?.warn(
              { collection: name, err: String(error) },
              'moving a collection to pgvector failed',
            );
          }
          return undefined;
        });
        if (outcome?.state === 'pgvector') {
          this.options.logger?.info?.({ collection: name, copied: outcome.copied }, 'collection moved to pgvector');
        }
      }
    } catch (error) {
      if (!this.closed) this.options.logger?.warn({ err: String(error) }, 'moving collections to pgvector failed');
    }
  }

  /**
   * Moves an exact collection to pgvector while it keeps serving: its pgvector table and
   * HNSW index are created and every write from then on goes to both (state `migrating`);
   * points are copied in id order, `batchSize` per transaction under the collection's row
   * lock (the lock every write takes, so a copied point is never older than the last
   * write), with the last id copied saved in `pgvector_cursor` in the same transaction:
   * interrupted, it resumes where it stopped (from any process). When the copy is done
   * the collection flips to `pgvector`; searches are exact until then. `maxBatches`
   * stops early (resumable; for tests and throttled runs).
   */
  async migrateToPgvector(
    name: string,
    options: { batchSize?: number; maxBatches?: number } = {},
  ): Promise<PgvectorMigration> {
    checkCollectionName(name);
    const batchSize = options.batchSize ?? 1_000;
    return this.run(async () => {
      const sqlgen = this.pgvectorSql();
      let copied = 0;
      for (let batch = 0; ; batch++) {
        const step = await this.transaction(async (client) => {
          const locked = await client.query<{
            id: string;
            dimensions: number;
            distance: Distance;
            search: CollectionRow['search'];
            cursor: string | null;
          }>(
            `select id::text, dimensions, distance, search, pgvector_cursor::text as cursor
             from ${this.table.collections} where name = $1 for update`,
            [name],
          );
          const c = locked.rows[0];
          if (!c) throw notFound(name);
          if (c.search === 'pgvector') return { state: 'pgvector' as const, n: 0 };
          if (c.dimensions > PGVECTOR_MAX_DIMS) return { state: 'exact' as const, n: 0 };
          if (c.search === 'exact') {
            for (const statement of sqlgen.create(c.id, c.dimensions, c.distance)) await client.query(statement);
            await client.query(
              `update ${this.table.collections} set search = 'migrating', pgvector_cursor = null where id = $1`,
              [c.id],
            );
            return { state: 'migrating' as const, n: 0 };
          }
          if (options.maxBatches !== undefined && batch > options.maxBatches) {
            return { state: 'migrating' as const, n: 0, stop: true };
          }
          const page = await client.query<{ id: string; document_id: string; vector: Buffer }>(
            `select id::text, document_id, vector from ${this.table.points}
             where collection_id = $1 and ($2::uuid is null or id > $2::uuid) order by id limit ${batchSize}`,
            [c.id, c.cursor],
          );
          if (page.rows.length > 0) {
            await client.query(sqlgen.upsert(c.id), [
              page.rows.map((r) => r.id),
              page.rows.map((r) => r.document_id),
              page.rows.map((r) => bytesToVectorText(r.vector)),
            ]);
          }
          const last = page.rows[page.rows.length - 1]?.id ?? c.cursor;
          const done = page.rows.length < batchSize;
          await client.query(
            `update ${this.table.collections} set pgvector_cursor = $2::uuid,
               search = case when $3 then 'pgvector' else search end where id = $1`,
            [c.id, last, done],
          );
          return { state: done ? ('pgvector' as const) : ('migrating' as const), n: page.rows.length };
        });
        copied += step.n;
        if (step.state !== 'migrating' || ('stop' in step && step.stop) || this.closed) {
          return { collection: name, state: step.state, copied };
        }
      }
    });
  }

  /** Resolves when the start-up background work (preload, move to pgvector) and running loads have finished. */
  async backgroundSettled(): Promise<void> {
    await this.ensureReady();
    await Promise.allSettled(this.background);
    await Promise.allSettled([...this.refreshing.values()]);
  }

  describe(): VectorStoreDescription {
    let bytes = 0;
    let loading = 0;
    for (const entry of this.cache.values()) {
      bytes += entry.bytes;
      if (entry.loading) loading++;
    }
    return {
      adapter: 'postgres',
      search: this.pgvectorForNew ? 'pgvector' : 'exact',
      pgvector:
        this.pgvector && this.pgvectorForNew
          ? { version: this.pgvector.ext.version }
          : { unavailable: this.pgvectorUnavailable },
      memory: { collections: this.cache.size, loading, bytes: Math.round(bytes), maxBytes: this.cacheMaxBytes },
    };
  }

  async searchBackend(name: string): Promise<VectorSearchBackend | 'migrating' | null> {
    checkCollectionName(name);
    return this.run(async () => {
      const found = await this.pool.query<{ search: CollectionRow['search'] }>(
        `select search from ${this.table.collections} where name = $1`,
        [name],
      );
      return found.rows[0]?.search ?? null;
    });
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
    // Background work notices `closed` between steps and stops; let it finish its step.
    await Promise.allSettled(this.background);
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
