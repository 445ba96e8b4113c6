/** The one vector-store interface both adapters (postgres, qdrant) implement. */

/**
 * Similarity metric of a collection. Scores follow Qdrant's conventions in both adapters:
 * cosine and dot are similarities (higher is better), euclidean is the distance itself
 * (lower is better, results ordered ascending, `scoreThreshold` is an upper bound). A hit must
 * score strictly better than `scoreThreshold`, as in Qdrant.
 */
export type Distance = 'cosine' | 'dot' | 'euclidean';

export interface CollectionSpec {
  name: string;
  dimensions: number;
  distance: Distance;
}

/** What every chunk carries; adapters store extra keys as given. */
export interface ChunkPayload {
  kb_id: string;
  document_id: string;
  chunk_index: number;
  text: string;
  start_offset: number;
  end_offset: number;
  [k: string]: unknown;
}

/**
 * A chunk's sparse term vector for BM25: each analysed term with its number of occurrences
 * in the chunk, and the chunk's length in terms. Adapters add the collection's statistics
 * (IDF from the number of chunks holding a term, length normalisation from the average
 * length): postgres exactly at query time, qdrant through the `idf` modifier.
 */
export interface LexicalTerms {
  terms: Record<string, number>;
  length: number;
}

export interface VectorPoint {
  /** A UUID; use `pointId(documentId, chunkIndex)` so re-processing replaces instead of duplicating. */
  id: string;
  vector: number[];
  payload: ChunkPayload;
  /** The chunk's terms for lexical (BM25) search; a point without them is found by vector search only. */
  lexical?: LexicalTerms;
}

export interface SearchHit {
  id: string;
  score: number;
  payload: ChunkPayload;
}

/** How a collection's vector search runs. */
export type VectorSearchBackend = 'exact' | 'pgvector' | 'qdrant';

export interface CollectionInfo {
  dimensions: number;
  distance: Distance;
  points: number;
}

/** What `/ready` shows about the store (VectorStore.describe). */
export interface VectorStoreDescription {
  adapter: 'postgres' | 'qdrant';
  /** What new collections use. */
  search: VectorSearchBackend;
  /** Postgres adapter: the pgvector version in use, or why it is not used. */
  pgvector?: { version: string } | { unavailable: string };
  /** Postgres adapter, exact path: in-memory copies loaded, loading and their memory. */
  memory?: { collections: number; loading: number; bytes: number; maxBytes: number };
}

export interface SearchOptions {
  limit: number;
  /** Hits must score above it (cosine, dot) or below it (euclidean distance), as in Qdrant. */
  scoreThreshold?: number;
  filter?: { document_id?: string };
}

/** A lexical query: its analysed terms, each with how often the query repeats it. */
export type LexicalQuery = Record<string, number>;

export interface LexicalSearchOptions {
  limit: number;
  filter?: { document_id?: string };
}

/** BM25 parameters both adapters use. */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** Fusion of a lexical and a vector ranking inside the store (Qdrant's Query API `fusion`). */
export interface HybridSearchOptions {
  limit: number;
  /** Candidates each retriever contributes before fusion; default 4 × limit. */
  candidates?: number;
  filter?: { document_id?: string };
}

export interface LexicalStats {
  /** Chunks with lexical terms. */
  documents: number;
  /** Their mean length in terms (0 when there are none). */
  averageLength: number;
}

/** A page of points that have no lexical terms yet (`scanWithoutLexical`). */
export interface LexicalScanPage {
  points: { id: string; payload: ChunkPayload }[];
  /** Where the next page starts (opaque; store it to resume), or null when the scan is over. */
  cursor: string | null;
}

/** A point's terms for `addLexical`. */
export interface LexicalEntry {
  id: string;
  lexical: LexicalTerms;
}

export interface VectorStore {
  readonly kind: 'postgres' | 'qdrant';
  /**
   * Prepares the backend (postgres: migrates its schema; qdrant: checks the server answers
   * and its version is compatible). Every operation calls it lazily; call it at start-up to
   * fail fast.
   */
  ensureReady(): Promise<void>;
  /** Idempotent when the spec matches; throws COLLECTION_CONFLICT when it exists with other dimensions/distance. */
  createCollection(spec: CollectionSpec): Promise<void>;
  /** Idempotent: deleting a missing collection is not an error. */
  deleteCollection(name: string): Promise<void>;
  /** null when the collection does not exist. */
  collectionInfo(name: string): Promise<CollectionInfo | null>;
  /** Inserts or replaces by id; throws DIMENSION_MISMATCH (nothing written) when any vector has the wrong length. */
  upsert(name: string, points: VectorPoint[]): Promise<void>;
  search(name: string, vector: number[], options: SearchOptions): Promise<SearchHit[]>;
  /**
   * BM25 over the points' lexical terms (k1 1.2, b 0.75, idf ln(1 + (N − df + 0.5)/(df + 0.5)));
   * higher is better, ties by id. Points without lexical terms are never found. An empty query finds nothing.
   */
  searchLexical(name: string, query: LexicalQuery, options: LexicalSearchOptions): Promise<SearchHit[]>;
  /**
   * Lexical and vector search fused by reciprocal rank (k = 2, as Qdrant's `rrf`): the
   * score is Σ 1/(k + position) over the two rankings, position counted from 0. Qdrant runs it as one Query API request
   * (`prefetch` + `fusion`); postgres runs both searches and fuses them the same way.
   */
  searchHybrid(name: string, vector: number[], query: LexicalQuery, options: HybridSearchOptions): Promise<SearchHit[]>;
  /** Lexical statistics of the collection (exact in postgres; qdrant: counts of points with terms). */
  lexicalStats(name: string): Promise<LexicalStats>;
  /**
   * Makes the collection able to hold lexical terms: true when it can. Postgres always can;
   * qdrant adds the `lexical` sparse vector to a collection created without it
   * (`PUT /collections/{name}/vectors/lexical`, Qdrant 1.19+) and answers false when the
   * server refuses (an older Qdrant).
   */
  enableLexical(name: string): Promise<boolean>;
  /** Points with no lexical terms, in id order, one page from `cursor` (null or absent: the start). For the backfill. */
  scanWithoutLexical(name: string, options: { cursor?: string | null; limit: number }): Promise<LexicalScanPage>;
  /** How many points have no lexical terms (exact). */
  countWithoutLexical(name: string): Promise<number>;
  /**
   * Gives existing points these terms, leaving their vectors and payloads as they are; the
   * statistics follow exactly. Idempotent: a point that already has terms (written since by
   * a re-processing) keeps them, a point deleted meanwhile is skipped. Returns how many
   * points got terms. Qdrant writes no sparse vector for empty terms (as on upsert).
   */
  addLexical(name: string, entries: LexicalEntry[]): Promise<number>;
  deleteByDocument(name: string, documentId: string): Promise<void>;
  /**
   * The document's points become exactly `points` (every one must carry `documentId` in
   * its payload): its earlier points are removed and these upserted. Postgres does both in
   * one transaction, so a search sees the old points or the new ones, never neither;
   * qdrant deletes, then upserts. Throws DIMENSION_MISMATCH (nothing written) like upsert.
   */
  replaceDocument(name: string, documentId: string, points: VectorPoint[]): Promise<void>;
  count(name: string, filter?: { document_id?: string }): Promise<number>;
  /** Resolves when the backend answers; throws VectorStoreError UNAVAILABLE otherwise. */
  health(): Promise<void>;
  /** Which backend searches (for `/ready`); meaningful after ensureReady. */
  describe(): VectorStoreDescription;
  /**
   * How this collection's vector search runs (KB stats): `exact`, `pgvector`, `qdrant`, or
   * `migrating` (postgres: being copied to pgvector, searched exactly meanwhile); null when
   * it does not exist.
   */
  searchBackend(name: string): Promise<VectorSearchBackend | 'migrating' | null>;
  close(): Promise<void>;
}

export interface VectorStoreLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface VectorStoreOptions {
  /** When set, the qdrant adapter is used. */
  qdrantUrl?: string;
  qdrantApiKey?: string;
  /** Postgres connection string for the embedded adapter (used when qdrantUrl is unset). */
  databaseUrl?: string;
  /** Postgres schema of the embedded adapter; default `vectors`. */
  schema?: string;
  /** Postgres pool size of the embedded adapter; default 10. */
  poolMax?: number;
  /** Memory for the postgres adapter's in-memory search copies; default 512 MiB. */
  cacheMaxBytes?: number;
  /**
   * Postgres adapter: `auto` (default) uses pgvector when the database offers the `vector`
   * extension, else exact in-memory search; `exact` never uses pgvector; `pgvector` fails
   * start-up without it.
   */
  vectorSearch?: 'auto' | 'exact' | 'pgvector';
  /** Postgres adapter, exact path: load collections into memory at start (default true). */
  preload?: boolean;
  /** Per-request timeout for qdrant calls in ms; default 30 000. */
  timeoutMs?: number;
  /** Receives warnings (e.g. Qdrant server/client version mismatch) instead of the console. */
  logger?: VectorStoreLogger;
}
