/** Input checks both adapters share, so a request one backend accepts the other accepts too. */
import { VectorStoreError } from './errors.ts';
import type { CollectionSpec, Distance, LexicalQuery, LexicalTerms, SearchOptions, VectorPoint } from './types.ts';

export const DISTANCES: readonly Distance[] = ['cosine', 'dot', 'euclidean'];
/** Qdrant's own ceiling on vector size. */
export const MAX_DIMENSIONS = 65_536;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Qdrant refuses these in collection names (its names are directory names).
const FORBIDDEN_NAME_CHARS = /[<>:"/\\|?*]/;
const hasControlCharacter = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20);

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function checkCollectionName(name: unknown): asserts name is string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 255 ||
    FORBIDDEN_NAME_CHARS.test(name) ||
    hasControlCharacter(name)
  ) {
    throw new VectorStoreError(
      'INVALID_INPUT',
      `invalid collection name ${JSON.stringify(name)}: 1 to 255 characters, none of < > : " / \\ | ? * or control characters`,
      { name },
    );
  }
}

export function checkSpec(spec: CollectionSpec): void {
  checkCollectionName(spec.name);
  if (!Number.isInteger(spec.dimensions) || spec.dimensions < 1 || spec.dimensions > MAX_DIMENSIONS) {
    throw new VectorStoreError('INVALID_INPUT', `dimensions must be an integer from 1 to ${MAX_DIMENSIONS}`, {
      dimensions: spec.dimensions,
    });
  }
  if (!DISTANCES.includes(spec.distance)) {
    throw new VectorStoreError('INVALID_INPUT', `distance must be one of ${DISTANCES.join(', ')}`, {
      distance: spec.distance,
    });
  }
}

export function dimensionMismatch(collection: string, expected: number, got: number, what = 'vector') {
  return new VectorStoreError(
    'DIMENSION_MISMATCH',
    `${what} has ${got} dimensions but collection "${collection}" expects ${expected}`,
    { collection, expected, got },
  );
}

function checkVectorValues(vector: unknown, what: string): asserts vector is number[] {
  if (!Array.isArray(vector) || vector.length === 0) {
    throw new VectorStoreError('INVALID_INPUT', `${what} must be a non-empty array of numbers`);
  }
  for (const v of vector) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new VectorStoreError('INVALID_INPUT', `${what} contains a value that is not a finite number`);
    }
  }
}

/**
 * Checks ids, payloads and vector values, and that every vector has one length; returns
 * that length. Duplicate ids are allowed (the last one wins, as in Qdrant).
 */
export function checkPoints(points: VectorPoint[]): number | undefined {
  if (!Array.isArray(points)) throw new VectorStoreError('INVALID_INPUT', 'points must be an array');
  let dims: number | undefined;
  for (const [i, point] of points.entries()) {
    if (!isUuid(point?.id)) {
      throw new VectorStoreError('INVALID_INPUT', `point ${i}: id must be a UUID`, { index: i, id: point?.id });
    }
    checkVectorValues(point.vector, `point ${i}: vector`);
    const payload = point.payload as unknown as Record<string, unknown> | null;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new VectorStoreError('INVALID_INPUT', `point ${i}: payload must be an object`, { index: i });
    }
    checkDocumentId(payload.document_id, `point ${i}: payload.document_id`);
    if (point.lexical !== undefined) checkLexicalTerms(point.lexical, `point ${i}: lexical`);
    if (dims === undefined) dims = point.vector.length;
    else if (point.vector.length !== dims) {
      throw new VectorStoreError(
        'DIMENSION_MISMATCH',
        `point ${i} has ${point.vector.length} dimensions but point 0 has ${dims}`,
        { index: i, expected: dims, got: point.vector.length },
      );
    }
  }
  return dims;
}

export function checkDocumentId(value: unknown, what = 'document id'): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\u0000')) {
    throw new VectorStoreError('INVALID_INPUT', `${what} must be a non-empty string`);
  }
}

export function checkSearch(vector: number[], options: SearchOptions): void {
  checkVectorValues(vector, 'query vector');
  if (!Number.isInteger(options?.limit) || options.limit < 1) {
    throw new VectorStoreError('INVALID_INPUT', 'limit must be a positive integer', { limit: options?.limit });
  }
  if (options.scoreThreshold !== undefined && !Number.isFinite(options.scoreThreshold)) {
    throw new VectorStoreError('INVALID_INPUT', 'scoreThreshold must be a finite number');
  }
  if (options.filter?.document_id !== undefined) checkDocumentId(options.filter.document_id, 'filter.document_id');
}

/** Unit length, as Qdrant stores cosine vectors; a (near) zero vector stays as it is. */
export function normalise(vector: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) * (vector[i] as number);
  const out = Float32Array.from(vector);
  const norm = Math.sqrt(sum);
  if (norm < 1.1920929e-7) return out;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / norm;
  return out;
}

/** Euclidean scores are distances: lower is better (as Qdrant reports them). */
export function lowerIsBetter(distance: Distance): boolean {
  return distance === 'euclidean';
}

/** Bounds of lexical data: terms per chunk and per query, characters per term. */
export const MAX_TERMS_PER_POINT = 20_000;
export const MAX_QUERY_TERMS = 1_024;
export const MAX_TERM_CHARS = 256;

function checkTerm(term: string, what: string): void {
  if (term.length === 0 || term.length > MAX_TERM_CHARS || term.includes('\u0000')) {
    throw new VectorStoreError(
      'INVALID_INPUT',
      `${what}: a term must have 1 to ${MAX_TERM_CHARS} characters and no NUL`,
    );
  }
}

export function checkLexicalTerms(lexical: LexicalTerms, what: string): void {
  if (typeof lexical !== 'object' || lexical === null || typeof lexical.terms !== 'object' || lexical.terms === null) {
    throw new VectorStoreError('INVALID_INPUT', `${what} must be {terms, length}`);
  }
  const entries = Object.entries(lexical.terms);
  if (entries.length > MAX_TERMS_PER_POINT) {
    throw new VectorStoreError('INVALID_INPUT', `${what}: more than ${MAX_TERMS_PER_POINT} distinct terms`);
  }
  let total = 0;
  for (const [term, tf] of entries) {
    checkTerm(term, what);
    if (!Number.isInteger(tf) || tf < 1) {
      throw new VectorStoreError(
        'INVALID_INPUT',
        `${what}: the count of "${term.slice(0, 40)}" must be a positive integer`,
      );
    }
    total += tf;
  }
  if (!Number.isInteger(lexical.length) || lexical.length < total || lexical.length > 10_000_000) {
    throw new VectorStoreError('INVALID_INPUT', `${what}: length must be an integer of at least the sum of the counts`);
  }
}

export function checkLexicalQuery(query: LexicalQuery, limit: number): void {
  if (typeof query !== 'object' || query === null)
    throw new VectorStoreError('INVALID_INPUT', 'lexical query must be an object');
  const entries = Object.entries(query);
  if (entries.length > MAX_QUERY_TERMS) {
    throw new VectorStoreError('INVALID_INPUT', `lexical query: more than ${MAX_QUERY_TERMS} distinct terms`);
  }
  for (const [term, weight] of entries) {
    checkTerm(term, 'lexical query');
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new VectorStoreError('INVALID_INPUT', 'lexical query: term weights must be positive numbers');
    }
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw new VectorStoreError('INVALID_INPUT', 'limit must be a positive integer', { limit });
  }
}

/** replaceDocument's input: valid points, each of the document being replaced. */
export function checkReplacement(documentId: string, points: VectorPoint[]): number | undefined {
  checkDocumentId(documentId);
  const dims = checkPoints(points);
  for (const [i, point] of points.entries()) {
    if (point.payload.document_id !== documentId) {
      throw new VectorStoreError(
        'INVALID_INPUT',
        `point ${i}: payload.document_id must be the replaced document's id`,
        { index: i, expected: documentId, got: point.payload.document_id },
      );
    }
  }
  return dims;
}

/** Points per backfill scan page or addLexical call. */
export const MAX_LEXICAL_BATCH = 1_000;

export function checkScanLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LEXICAL_BATCH) {
    throw new VectorStoreError('INVALID_INPUT', `limit must be an integer from 1 to ${MAX_LEXICAL_BATCH}`, { limit });
  }
  return limit;
}

/** addLexical's input: at most MAX_LEXICAL_BATCH points, UUID ids, valid terms. */
export function checkLexicalEntries(entries: { id: string; lexical: LexicalTerms }[]): void {
  if (!Array.isArray(entries) || entries.length > MAX_LEXICAL_BATCH) {
    throw new VectorStoreError('INVALID_INPUT', `at most ${MAX_LEXICAL_BATCH} points per call`);
  }
  for (const [i, entry] of entries.entries()) {
    if (!isUuid(entry?.id)) throw new VectorStoreError('INVALID_INPUT', `entry ${i}: id must be a UUID`);
    checkLexicalTerms(entry.lexical, `entry ${i}: lexical`);
  }
}
