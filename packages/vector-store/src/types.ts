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

export interface VectorPoint {
  /** A UUID; use `pointId(documentId, chunkIndex)` so re-processing replaces instead of duplicating. */
  id: string;
  vector: number[];
  payload: ChunkPayload;
}

export interface SearchHit {
  id: string;
  score: number;
  payload: ChunkPayload;
}

export interface CollectionInfo {
  dimensions: number;
  distance: Distance;
  points: number;
}

export interface SearchOptions {
  limit: number;
  /** Hits must score above it (cosine, dot) or below it (euclidean distance), as in Qdrant. */
  scoreThreshold?: number;
  filter?: { document_id?: string };
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
  deleteByDocument(name: string, documentId: string): Promise<void>;
  count(name: string, filter?: { document_id?: string }): Promise<number>;
  /** Resolves when the backend answers; throws VectorStoreError UNAVAILABLE otherwise. */
  health(): Promise<void>;
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
  /** Per-request timeout for qdrant calls in ms; default 30 000. */
  timeoutMs?: number;
  /** Receives warnings (e.g. Qdrant server/client version mismatch) instead of the console. */
  logger?: VectorStoreLogger;
}
