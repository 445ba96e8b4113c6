/**
 * The Qdrant adapter (production): one Qdrant collection per LumiKB collection, unnamed
 * dense vectors, payload indexes on `document_id` and `kb_id`, every write with `wait=true`
 * so a write that returned is visible to the next search (as with the postgres adapter).
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { VectorStoreError } from '../errors.ts';
import {
  BM25_B,
  BM25_K1,
  type ChunkPayload,
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
} from '../validation.ts';

export interface QdrantVectorStoreOptions {
  url: string;
  apiKey?: string;
  /** Per request, in ms; default 30 000. */
  timeoutMs?: number;
  logger?: VectorStoreLogger;
}

const TO_QDRANT: Record<Distance, Schemas['Distance']> = { cosine: 'Cosine', dot: 'Dot', euclidean: 'Euclid' };
const FROM_QDRANT: Partial<Record<Schemas['Distance'], Distance>> = {
  Cosine: 'cosine',
  Dot: 'dot',
  Euclid: 'euclidean',
};
/** Points per upsert request: ~1–2 MB of JSON at 384 dimensions, far below Qdrant's 32 MB limit. */
const UPSERT_BATCH = 256;
/** Fields the adapter filters on; indexed so filtered search stays fast on large collections. */
const INDEXED_FIELDS = ['document_id', 'kb_id'] as const;
/** The named sparse vector holding each chunk's BM25 term weights (Qdrant applies the IDF: `modifier: idf`). */
export const LEXICAL_VECTOR = 'lexical';
/**
 * Qdrant keeps no average chunk length, so BM25's length normalisation uses this nominal
 * average (terms per chunk after stop words, about a 1 000-character chunk); the postgres
 * adapter uses the exact average instead.
 */
export const NOMINAL_AVERAGE_LENGTH = 100;

/** A term's sparse index: FNV-1a, 32 bits (Qdrant's sparse indices are uint32). */
export function termIndex(term: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(term, 'utf8');
  for (const byte of bytes) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** BM25's term-frequency part for each term of a chunk (TF saturation, length normalisation). */
export function bm25SparseVector(lexical: LexicalTerms): { indices: number[]; values: number[] } {
  const byIndex = new Map<number, number>();
  const norm = 1 - BM25_B + (BM25_B * lexical.length) / NOMINAL_AVERAGE_LENGTH;
  for (const [term, tf] of Object.entries(lexical.terms)) {
    const index = termIndex(term);
    // Two terms on one index (a hash collision) add up, as the same term would.
    byIndex.set(index, (byIndex.get(index) ?? 0) + (tf * (BM25_K1 + 1)) / (tf + BM25_K1 * norm));
  }
  return { indices: [...byIndex.keys()], values: [...byIndex.values()] };
}

function sparseQuery(query: LexicalQuery): { indices: number[]; values: number[] } {
  const byIndex = new Map<number, number>();
  for (const [term, weight] of Object.entries(query)) {
    const index = termIndex(term);
    byIndex.set(index, (byIndex.get(index) ?? 0) + weight);
  }
  return { indices: [...byIndex.keys()], values: [...byIndex.values()] };
}

/** Client package version; the server should be within one minor version of it. */
const CLIENT_VERSION = '1.18.0';

interface QdrantHttpError {
  status: number;
  data?: { status?: { error?: string } } | string;
}

function httpError(error: unknown): QdrantHttpError | undefined {
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' ? (error as QdrantHttpError) : undefined;
}

function serverMessage(error: QdrantHttpError): string {
  if (typeof error.data === 'string') return error.data.trim();
  return error.data?.status?.error ?? `HTTP ${error.status}`;
}

export class QdrantVectorStore implements VectorStore {
  readonly kind = 'qdrant' as const;
  private readonly client: QdrantClient;
  private ready: Promise<void> | undefined;
  private closed = false;
  /** Whether each collection has the lexical sparse vector (collections made before it have not). */
  private readonly lexical = new Map<string, boolean>();

  constructor(private readonly options: QdrantVectorStoreOptions) {
    // The API key travels as a header we set ourselves: the client would otherwise print
    // its plain-http warning on the console, bypassing the service's logger.
    const insecure = options.apiKey && options.url.startsWith('http://');
    if (insecure) options.logger?.warn({ url: options.url }, 'Qdrant API key is sent over plain http');
    this.client = new QdrantClient({
      url: options.url,
      timeout: options.timeoutMs ?? 30_000,
      // The client's own check only prints to the console; ensureReady() checks and logs instead.
      checkCompatibility: false,
      ...(options.apiKey && { headers: { 'api-key': options.apiKey } }),
    });
  }

  ensureReady(): Promise<void> {
    if (this.closed) return Promise.reject(new VectorStoreError('UNAVAILABLE', 'vector store is closed'));
    this.ready ??= this.checkServer().catch((error) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async checkServer(): Promise<void> {
    const info = await this.call('version check', () => this.client.versionInfo());
    const [major, minor] = String(info.version).split('.').map(Number);
    const [cMajor, cMinor] = CLIENT_VERSION.split('.').map(Number);
    if (major !== cMajor || minor === undefined || cMinor === undefined || Math.abs(minor - cMinor) > 1) {
      this.options.logger?.warn(
        { serverVersion: info.version, clientVersion: CLIENT_VERSION },
        'Qdrant server version differs from the client by more than one minor version',
      );
    }
    // Reachable is not enough: an API key Qdrant refuses must fail start-up, not the first search.
    await this.call('authentication check', () => this.client.collectionExists('lumikb_health_probe'));
  }

  /** Runs one client call and turns its failure into a VectorStoreError. */
  private async call<T>(what: string, fn: () => Promise<T>, collection?: string): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.mapError(error, what, collection);
    }
  }

  private mapError(error: unknown, what: string, collection?: string): VectorStoreError {
    if (error instanceof VectorStoreError) return error;
    const http = httpError(error);
    if (!http) {
      const message = error instanceof Error ? `${error.message}${causeOf(error)}` : String(error);
      return new VectorStoreError('UNAVAILABLE', `Qdrant ${what} failed: ${message}`, undefined, { cause: error });
    }
    const message = serverMessage(http);
    if (http.status === 404 && collection !== undefined) {
      return new VectorStoreError('COLLECTION_NOT_FOUND', `collection "${collection}" does not exist`, {
        collection,
      });
    }
    const dims = /expected dim: (\d+), got (\d+)/.exec(message);
    if (http.status === 400 && dims && collection !== undefined) {
      return dimensionMismatch(collection, Number(dims[1]), Number(dims[2]));
    }
    if (http.status === 400 || http.status === 422) {
      return new VectorStoreError('INVALID_INPUT', `Qdrant refused the ${what}: ${message}`, { status: http.status });
    }
    if (http.status === 401 || http.status === 403) {
      return new VectorStoreError('UNAVAILABLE', `Qdrant refused our credentials (${http.status}): ${message}`, {
        status: http.status,
      });
    }
    return new VectorStoreError('UNAVAILABLE', `Qdrant ${what} failed (${http.status}): ${message}`, {
      status: http.status,
    });
  }

  private async op<T>(what: string, collection: string | undefined, fn: () => Promise<T>): Promise<T> {
    await this.ensureReady();
    return this.call(what, fn, collection);
  }

  async createCollection(spec: CollectionSpec): Promise<void> {
    checkSpec(spec);
    await this.ensureReady();
    try {
      await this.client.createCollection(spec.name, {
        vectors: { size: spec.dimensions, distance: TO_QDRANT[spec.distance] },
        sparse_vectors: { [LEXICAL_VECTOR]: { modifier: 'idf' } },
      });
      this.lexical.set(spec.name, true);
    } catch (error) {
      if (httpError(error)?.status !== 409) throw this.mapError(error, 'collection creation', spec.name);
      // Exists: fine when it is the same collection, a conflict otherwise.
      const existing = await this.collectionInfo(spec.name);
      if (!existing) return this.createCollection(spec);
      if (existing.dimensions !== spec.dimensions || existing.distance !== spec.distance) {
        throw new VectorStoreError(
          'COLLECTION_CONFLICT',
          `collection "${spec.name}" already exists with ${existing.dimensions} dimensions and ${existing.distance} distance, not ${spec.dimensions}/${spec.distance}`,
          {
            collection: spec.name,
            existing: { dimensions: existing.dimensions, distance: existing.distance },
            requested: spec,
          },
        );
      }
    }
    // Idempotent in Qdrant; repeated on the "already exists" path in case an earlier attempt stopped halfway.
    for (const field of INDEXED_FIELDS) {
      await this.call(
        'payload index creation',
        () => this.client.createPayloadIndex(spec.name, { field_name: field, field_schema: 'keyword', wait: true }),
        spec.name,
      );
    }
  }

  async deleteCollection(name: string): Promise<void> {
    checkCollectionName(name);
    // Qdrant answers `false` (still 200) for a collection that does not exist.
    await this.op('collection deletion', undefined, () => this.client.deleteCollection(name));
    this.lexical.delete(name);
  }

  async collectionInfo(name: string): Promise<CollectionInfo | null> {
    checkCollectionName(name);
    await this.ensureReady();
    let info: Schemas['CollectionInfo'];
    try {
      info = await this.client.getCollection(name);
    } catch (error) {
      if (httpError(error)?.status === 404) return null;
      throw this.mapError(error, 'collection lookup', name);
    }
    const vectors = info.config.params.vectors as Schemas['VectorParams'] | Record<string, unknown> | undefined;
    const size = (vectors as Schemas['VectorParams'] | undefined)?.size;
    const distance = FROM_QDRANT[(vectors as Schemas['VectorParams'] | undefined)?.distance as Schemas['Distance']];
    if (typeof size !== 'number' || !distance) {
      throw new VectorStoreError(
        'INVALID_INPUT',
        `collection "${name}" was not created by LumiKB (named vectors or an unsupported distance)`,
        { collection: name },
      );
    }
    // points_count is approximate in Qdrant; an exact count keeps both adapters in agreement.
    this.lexical.set(
      name,
      Boolean((info.config.params.sparse_vectors as Record<string, unknown> | null)?.[LEXICAL_VECTOR]),
    );
    const points = await this.count(name);
    return { dimensions: size, distance, points };
  }

  private async hasLexical(name: string): Promise<boolean> {
    const known = this.lexical.get(name);
    if (known !== undefined) return known;
    const info = await this.op('collection lookup', name, () => this.client.getCollection(name));
    const has = Boolean((info.config.params.sparse_vectors as Record<string, unknown> | null)?.[LEXICAL_VECTOR]);
    this.lexical.set(name, has);
    return has;
  }

  async upsert(name: string, points: VectorPoint[]): Promise<void> {
    checkCollectionName(name);
    checkPoints(points);
    if (points.length === 0) {
      // Nothing to write, but a missing collection is still an error, as with the postgres adapter.
      await this.op('collection lookup', name, () => this.client.getCollection(name));
      return;
    }
    // A collection made before lexical search existed keeps its points dense-only.
    const lexical = points.some((p) => p.lexical) && (await this.hasLexical(name));
    // All vectors have one length (checked above), so if the first request is refused for
    // its dimension nothing was written.
    for (let start = 0; start < points.length; start += UPSERT_BATCH) {
      const batch = points.slice(start, start + UPSERT_BATCH).map((p) => ({
        id: p.id.toLowerCase(),
        // The unnamed dense vector is the one named "" beside the named sparse one.
        vector:
          lexical && p.lexical && Object.keys(p.lexical.terms).length > 0
            ? { '': p.vector, [LEXICAL_VECTOR]: bm25SparseVector(p.lexical) }
            : p.vector,
        payload: p.payload as Record<string, unknown>,
      }));
      await this.op('upsert', name, () => this.client.upsert(name, { wait: true, points: batch }));
    }
  }

  async search(name: string, vector: number[], options: SearchOptions): Promise<SearchHit[]> {
    checkCollectionName(name);
    checkSearch(vector, options);
    const documentId = options.filter?.document_id;
    const result = await this.op('search', name, () =>
      this.client.query(name, {
        query: vector,
        limit: options.limit,
        with_payload: true,
        ...(options.scoreThreshold !== undefined && { score_threshold: options.scoreThreshold }),
        ...(documentId !== undefined && { filter: byDocument(documentId) }),
      }),
    );
    return toHits(result.points);
  }

  async searchLexical(name: string, query: LexicalQuery, options: LexicalSearchOptions): Promise<SearchHit[]> {
    checkCollectionName(name);
    checkLexicalQuery(query, options?.limit);
    const documentId = options.filter?.document_id;
    if (documentId !== undefined) checkDocumentId(documentId, 'filter.document_id');
    if (Object.keys(query).length === 0) {
      await this.op('collection lookup', name, () => this.client.getCollection(name));
      return [];
    }
    if (!(await this.hasLexical(name))) return [];
    const result = await this.op('lexical search', name, () =>
      this.client.query(name, {
        query: sparseQuery(query),
        using: LEXICAL_VECTOR,
        limit: options.limit,
        with_payload: true,
        ...(documentId !== undefined && { filter: byDocument(documentId) }),
      }),
    );
    return toHits(result.points);
  }

  async searchHybrid(
    name: string,
    vector: number[],
    query: LexicalQuery,
    options: HybridSearchOptions,
  ): Promise<SearchHit[]> {
    checkCollectionName(name);
    checkSearch(vector, { limit: options?.limit });
    checkLexicalQuery(query, options.limit);
    const documentId = options.filter?.document_id;
    const filter = documentId !== undefined ? { filter: byDocument(documentId) } : {};
    const candidates = options.candidates ?? options.limit * 4;
    const lexical = Object.keys(query).length > 0 && (await this.hasLexical(name));
    const result = await this.op('hybrid search', name, () =>
      this.client.query(name, {
        prefetch: [
          { query: vector, limit: candidates, ...filter },
          ...(lexical ? [{ query: sparseQuery(query), using: LEXICAL_VECTOR, limit: candidates, ...filter }] : []),
        ],
        query: { fusion: 'rrf' },
        limit: options.limit,
        with_payload: true,
      }),
    );
    return toHits(result.points);
  }

  async lexicalStats(name: string): Promise<LexicalStats> {
    checkCollectionName(name);
    if (!(await this.hasLexical(name))) return { documents: 0, averageLength: 0 };
    const result = await this.op('count', name, () =>
      this.client.count(name, { exact: true, filter: { must: [{ has_vector: LEXICAL_VECTOR }] } }),
    );
    return { documents: result.count, averageLength: result.count > 0 ? NOMINAL_AVERAGE_LENGTH : 0 };
  }

  async enableLexical(name: string): Promise<boolean> {
    checkCollectionName(name);
    if (await this.hasLexical(name)) return true;
    // Qdrant 1.19 adds a named vector to an existing collection with `PUT
    // /collections/{name}/vectors/{vector}` (create_vector_name in its OpenAPI document);
    // `PATCH /collections/{name}` only changes the parameters of sparse vectors that exist.
    // The 1.18 client has no method for it, so this one request is made directly.
    await this.ensureReady();
    const url = new URL(
      `collections/${encodeURIComponent(name)}/vectors/${LEXICAL_VECTOR}?wait=true`,
      this.options.url.endsWith('/') ? this.options.url : `${this.options.url}/`,
    );
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          ...(this.options.apiKey && { 'api-key': this.options.apiKey }),
        },
        body: JSON.stringify({ sparse: { modifier: 'idf' } }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw this.mapError(error, 'sparse vector creation', name);
    }
    const text = await response.text().catch(() => '');
    if (response.status === 404 && /collection/i.test(text) && /not (found|exist)/i.test(text)) {
      throw this.mapError({ status: 404, data: text }, 'sparse vector creation', name);
    }
    if (response.status === 401 || response.status === 403 || response.status >= 500) {
      throw this.mapError({ status: response.status, data: text }, 'sparse vector creation', name);
    }
    // A server without the operation (before 1.19: 404 on the path) or one that refuses it.
    if (!response.ok) {
      this.options.logger?.warn(
        { collection: name, status: response.status },
        'Qdrant could not add the lexical sparse vector to an existing collection; its keyword index stays empty',
      );
      return false;
    }
    this.lexical.set(name, true);
    return true;
  }

  /** Points without the lexical sparse vector, in Qdrant's id order (`scroll`, whose offset is the cursor). */
  async scanWithoutLexical(name: string, options: { cursor?: string | null; limit: number }): Promise<LexicalScanPage> {
    checkCollectionName(name);
    const limit = checkScanLimit(options.limit);
    const result = await this.op('scroll', name, () =>
      this.client.scroll(name, {
        limit,
        with_payload: true,
        with_vector: false,
        filter: { must_not: [{ has_vector: LEXICAL_VECTOR }] },
        ...(options.cursor ? { offset: options.cursor } : {}),
      }),
    );
    const next = result.next_page_offset;
    return {
      points: result.points.map((p) => ({ id: String(p.id), payload: (p.payload ?? {}) as ChunkPayload })),
      cursor: next === null || next === undefined ? null : String(next),
    };
  }

  async countWithoutLexical(name: string): Promise<number> {
    checkCollectionName(name);
    const hasLexical = await this.hasLexical(name);
    const result = await this.op('count', name, () =>
      this.client.count(name, {
        exact: true,
        ...(hasLexical && { filter: { must_not: [{ has_vector: LEXICAL_VECTOR }] } }),
      }),
    );
    return result.count;
  }

  async addLexical(name: string, entries: LexicalEntry[]): Promise<number> {
    checkCollectionName(name);
    checkLexicalEntries(entries);
    if (!(await this.hasLexical(name))) {
      throw new VectorStoreError('INVALID_INPUT', `collection "${name}" has no lexical sparse vector`, {
        collection: name,
      });
    }
    const wanted = entries.filter((e) => Object.keys(e.lexical.terms).length > 0);
    if (wanted.length === 0) return 0;
    // Only points that exist and still have no sparse vector: updating a missing point is a
    // 404 for the whole request, and one re-processed meanwhile keeps its own terms.
    const existing = await this.op('retrieval', name, () =>
      this.client.retrieve(name, {
        ids: wanted.map((e) => e.id.toLowerCase()),
        with_payload: false,
        with_vector: [LEXICAL_VECTOR],
      }),
    );
    const open = new Set(
      existing
        .filter((p) => !(p.vector && typeof p.vector === 'object' && LEXICAL_VECTOR in p.vector))
        .map((p) => String(p.id).toLowerCase()),
    );
    const points = wanted
      .filter((e) => open.has(e.id.toLowerCase()))
      .map((e) => ({ id: e.id.toLowerCase(), vector: { [LEXICAL_VECTOR]: bm25SparseVector(e.lexical) } }));
    for (let start = 0; start < points.length; start += UPSERT_BATCH) {
      const batch = points.slice(start, start + UPSERT_BATCH);
      await this.op('vector update', name, () => this.client.updateVectors(name, { wait: true, points: batch }));
    }
    return points.length;
  }

  async deleteByDocument(name: string, documentId: string): Promise<void> {
    checkCollectionName(name);
    checkDocumentId(documentId);
    await this.op('deletion', name, () => this.client.delete(name, { wait: true, filter: byDocument(documentId) }));
  }

  async replaceDocument(name: string, documentId: string, points: VectorPoint[]): Promise<void> {
    const dims = checkReplacement(documentId, points);
    // Refused before the delete, so that a replacement of the wrong dimension writes nothing.
    if (dims !== undefined) {
      const info = await this.collectionInfo(name);
      if (!info) {
        throw new VectorStoreError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`, { collection: name });
      }
      if (info.dimensions !== dims) throw dimensionMismatch(name, info.dimensions, dims);
    }
    await this.deleteByDocument(name, documentId);
    await this.upsert(name, points);
  }

  async count(name: string, filter?: { document_id?: string }): Promise<number> {
    checkCollectionName(name);
    const documentId = filter?.document_id;
    if (documentId !== undefined) checkDocumentId(documentId, 'filter.document_id');
    const result = await this.op('count', name, () =>
      this.client.count(name, { exact: true, ...(documentId !== undefined && { filter: byDocument(documentId) }) }),
    );
    return result.count;
  }

  async searchBackend(name: string): Promise<'qdrant' | null> {
    return (await this.collectionInfo(name)) ? 'qdrant' : null;
  }

  describe(): VectorStoreDescription {
    return { adapter: 'qdrant', search: 'qdrant' };
  }

  async health(): Promise<void> {
    if (this.closed) throw new VectorStoreError('UNAVAILABLE', 'vector store is closed');
    // Authenticated and cheap: proves the server answers and accepts our key.
    await this.call('health check', () => this.client.collectionExists('lumikb_health_probe'));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function toHits(
  points: { id: string | number; score: number; payload?: Record<string, unknown> | null }[],
): SearchHit[] {
  return points.map((point) => ({
    id: String(point.id),
    score: point.score,
    payload: (point.payload ?? {}) as ChunkPayload,
  }));
}

function byDocument(documentId: string): Schemas['Filter'] {
  return { must: [{ key: 'document_id', match: { value: documentId } }] };
}

function causeOf(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (!cause) return '';
  const code = (cause as { code?: string }).code;
  return ` (${code ?? (cause instanceof Error ? cause.message : String(cause))})`;
}
