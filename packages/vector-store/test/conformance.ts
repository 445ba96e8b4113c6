/**
 * The behaviour every VectorStore adapter must have. Each adapter's test file runs this
 * suite with its own factory; collections get unique names so runs can share a server.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import {
  type ChunkPayload,
  type Distance,
  isVectorStoreError,
  pointId,
  type SearchHit,
  type VectorPoint,
  type VectorStore,
  type VectorStoreErrorCode,
} from '../src/index.ts';

export type StoreFactory = (t: Test) => Promise<VectorStore>;

export function uniqueName(label: string): string {
  return `kb_${label}_${randomUUID()}`;
}

export function chunk(
  documentId: string,
  index: number,
  vector: number[],
  extra: Partial<ChunkPayload> = {},
): VectorPoint {
  return {
    id: pointId(documentId, index),
    vector,
    payload: {
      kb_id: 'kb-test',
      document_id: documentId,
      chunk_index: index,
      text: `chunk ${index} of ${documentId}`,
      start_offset: index * 100,
      end_offset: index * 100 + 99,
      ...extra,
    },
  };
}

/** Deterministic pseudo-random vectors (no Math.random: failures must reproduce). */
export function seededVectors(seed: number, count: number, dims: number): number[][] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0xffffffff - 0.5;
  };
  return Array.from({ length: count }, () => Array.from({ length: dims }, () => Math.round(next() * 2000) / 1000));
}

/** Scores as Qdrant defines them, in float64, for the expected values. */
export function referenceScore(distance: Distance, a: number[], b: number[]): number {
  if (distance === 'euclidean') return Math.sqrt(a.reduce((s, x, i) => s + (x - (b[i] as number)) ** 2, 0));
  const dot = a.reduce((s, x, i) => s + x * (b[i] as number), 0);
  if (distance === 'dot') return dot;
  const na = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  const nb = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
  return na === 0 || nb === 0 ? 0 : dot / (na * nb);
}

export function referenceSearch(distance: Distance, points: VectorPoint[], query: number[], limit: number) {
  const scored = points.map((p) => ({ id: p.id, score: referenceScore(distance, query, p.vector) }));
  scored.sort((a, b) => (distance === 'euclidean' ? a.score - b.score : b.score - a.score));
  return scored.slice(0, limit);
}

export async function rejectsWith(
  t: Test,
  promise: Promise<unknown>,
  code: VectorStoreErrorCode,
  message: string,
): Promise<Error | undefined> {
  try {
    await promise;
    t.fail(`${message}: resolved, expected ${code}`);
    return undefined;
  } catch (error) {
    t.ok(isVectorStoreError(error, code), `${message}: ${code}`, {
      got: isVectorStoreError(error) ? error.code : String(error),
    });
    return error as Error;
  }
}

function closeTo(t: Test, actual: number | undefined, expected: number, message: string) {
  const tolerance = 1e-4 * Math.max(1, Math.abs(expected));
  t.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, message, { actual, expected });
}

const DISTANCES: Distance[] = ['cosine', 'dot', 'euclidean'];

/** A chunk with lexical terms (each word of `words` once per occurrence). */
export function lexicalChunk(documentId: string, index: number, vector: number[], words: string): VectorPoint {
  const terms: Record<string, number> = {};
  const list = words.split(/\s+/).filter(Boolean);
  for (const w of list) terms[w] = (terms[w] ?? 0) + 1;
  return { ...chunk(documentId, index, vector), lexical: { terms, length: list.length } };
}

export function vectorStoreConformance(t: Test, factory: StoreFactory): void {
  let store: VectorStore;
  t.before(async () => {
    store = await factory(t);
    await store.ensureReady();
  });
  t.teardown(() => store?.close());

  t.test('health answers while the backend is up', async (t) => {
    await t.resolves(store.health());
  });

  t.test('createCollection is idempotent for the same spec and refuses a different one', async (t) => {
    const name = uniqueName('create');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 4, distance: 'cosine' });
    await store.createCollection({ name, dimensions: 4, distance: 'cosine' });
    t.same(await store.collectionInfo(name), { dimensions: 4, distance: 'cosine', points: 0 });
    const conflict = await rejectsWith(
      t,
      store.createCollection({ name, dimensions: 8, distance: 'cosine' }),
      'COLLECTION_CONFLICT',
      'other dimensions',
    );
    t.match(conflict?.message, /4 dimensions/, 'the message says what exists');
    t.match((conflict as { details?: unknown })?.details, { existing: { dimensions: 4, distance: 'cosine' } });
    await rejectsWith(
      t,
      store.createCollection({ name, dimensions: 4, distance: 'dot' }),
      'COLLECTION_CONFLICT',
      'other distance',
    );
    t.same(
      await store.collectionInfo(name),
      { dimensions: 4, distance: 'cosine', points: 0 },
      'the original is intact',
    );
  });

  t.test('invalid collection specs are refused before anything is created', async (t) => {
    const name = uniqueName('invalid');
    await rejectsWith(
      t,
      store.createCollection({ name, dimensions: 0, distance: 'cosine' }),
      'INVALID_INPUT',
      'zero dimensions',
    );
    await rejectsWith(
      t,
      store.createCollection({ name, dimensions: 2.5, distance: 'cosine' }),
      'INVALID_INPUT',
      'fractional dimensions',
    );
    await rejectsWith(
      t,
      store.createCollection({ name, dimensions: 3, distance: 'manhattan' as Distance }),
      'INVALID_INPUT',
      'unknown distance',
    );
    await rejectsWith(
      t,
      store.createCollection({ name: 'kb/bad', dimensions: 3, distance: 'dot' }),
      'INVALID_INPUT',
      'slash in name',
    );
    await rejectsWith(
      t,
      store.createCollection({ name: '', dimensions: 3, distance: 'dot' }),
      'INVALID_INPUT',
      'empty name',
    );
    t.equal(await store.collectionInfo(name), null, 'nothing was created');
  });

  t.test('operations on a missing collection say so; deleting one is not an error', async (t) => {
    const name = uniqueName('missing');
    t.equal(await store.collectionInfo(name), null);
    await rejectsWith(t, store.search(name, [1, 0, 0], { limit: 3 }), 'COLLECTION_NOT_FOUND', 'search');
    await rejectsWith(t, store.upsert(name, [chunk(randomUUID(), 0, [1, 0, 0])]), 'COLLECTION_NOT_FOUND', 'upsert');
    await rejectsWith(t, store.upsert(name, []), 'COLLECTION_NOT_FOUND', 'empty upsert');
    await rejectsWith(t, store.count(name), 'COLLECTION_NOT_FOUND', 'count');
    await rejectsWith(t, store.deleteByDocument(name, randomUUID()), 'COLLECTION_NOT_FOUND', 'deleteByDocument');
    await rejectsWith(t, store.replaceDocument(name, randomUUID(), []), 'COLLECTION_NOT_FOUND', 'replaceDocument');
    await t.resolves(store.deleteCollection(name), 'deleteCollection');
  });

  t.test('vectors of the wrong dimension are refused with a clear error and nothing is written', async (t) => {
    const name = uniqueName('dims');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 4, distance: 'cosine' });
    const doc = randomUUID();
    const error = await rejectsWith(
      t,
      store.upsert(name, [chunk(doc, 0, [1, 2, 3])]),
      'DIMENSION_MISMATCH',
      'short vector',
    );
    t.match(error?.message, /3 dimensions.*expects 4/);
    t.match((error as { details?: unknown })?.details, { expected: 4, got: 3 });
    await rejectsWith(
      t,
      store.upsert(name, [chunk(doc, 0, [1, 2, 3, 4]), chunk(doc, 1, [1, 2, 3, 4, 5])]),
      'DIMENSION_MISMATCH',
      'one bad vector in a batch',
    );
    t.equal(await store.count(name), 0, 'nothing from the refused batches was stored');
    await rejectsWith(
      t,
      store.search(name, [1, 2, 3], { limit: 1 }),
      'DIMENSION_MISMATCH',
      'query of the wrong dimension',
    );
  });

  t.test('malformed points and queries are refused', async (t) => {
    const name = uniqueName('malformed');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'dot' });
    const good = chunk(randomUUID(), 0, [1, 2]);
    await rejectsWith(t, store.upsert(name, [{ ...good, id: 'chunk-1' }]), 'INVALID_INPUT', 'id that is not a UUID');
    await rejectsWith(
      t,
      store.upsert(name, [{ ...good, vector: [1, Number.NaN] }]),
      'INVALID_INPUT',
      'NaN in a vector',
    );
    await rejectsWith(t, store.upsert(name, [{ ...good, vector: [] }]), 'INVALID_INPUT', 'empty vector');
    await rejectsWith(t, store.search(name, [1, 2], { limit: 0 }), 'INVALID_INPUT', 'limit 0');
    await rejectsWith(
      t,
      store.search(name, [1, Number.POSITIVE_INFINITY], { limit: 1 }),
      'INVALID_INPUT',
      'infinite query',
    );
    t.equal(await store.count(name), 0);
  });

  t.test('upserting the same deterministic ids replaces points instead of duplicating them', async (t) => {
    const name = uniqueName('replace');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 3, distance: 'cosine' });
    const doc = randomUUID();
    await store.upsert(name, [chunk(doc, 0, [1, 0, 0]), chunk(doc, 1, [0, 1, 0])]);
    t.equal(await store.count(name), 2);
    // Re-processing the document: same ids, new text and vectors.
    await store.upsert(name, [
      chunk(doc, 0, [0, 0, 1], { text: 'rewritten zero' }),
      chunk(doc, 1, [0, 1, 0], { text: 'rewritten one' }),
    ]);
    t.equal(await store.count(name), 2, 'still two points');
    const hits = await store.search(name, [0, 0, 1], { limit: 1 });
    t.equal(hits[0]?.id, pointId(doc, 0));
    t.equal(hits[0]?.payload.text, 'rewritten zero', 'the new payload is returned');
    closeTo(t, hits[0]?.score, 1, 'the new vector is searched');
    const old = await store.search(name, [1, 0, 0], { limit: 2 });
    t.ok(
      old.every((h) => h.score < 0.5),
      'the old vector is gone',
    );
    // The same id twice in one batch: the last one wins.
    await store.upsert(name, [chunk(doc, 2, [1, 0, 0], { text: 'first' }), chunk(doc, 2, [1, 0, 0], { text: 'last' })]);
    t.equal(await store.count(name), 3);
    const dup = await store.search(name, [1, 0, 0], { limit: 1 });
    t.equal(dup[0]?.payload.text, 'last');
  });

  t.test('payloads come back as stored, extra keys and unicode included', async (t) => {
    const name = uniqueName('payload');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'dot' });
    const doc = randomUUID();
    const point = chunk(doc, 7, [1, 1], {
      text: 'Zürich — 東京 🚀 "quoted" \\ back\nline',
      heading: 'Intro',
      page: 3,
      tags: ['a', 'b'],
    });
    await store.upsert(name, [point]);
    const [hit] = await store.search(name, [1, 1], { limit: 5 });
    t.equal(hit?.id, point.id);
    t.same(hit?.payload, point.payload);
  });

  for (const distance of DISTANCES) {
    t.test(`${distance}: ordering and scores match the metric's definition`, async (t) => {
      const name = uniqueName(distance);
      t.teardown(() => store.deleteCollection(name));
      await store.createCollection({ name, dimensions: 4, distance });
      const doc = randomUUID();
      const vectors = [
        [1, 0, 0, 0],
        [0.9, 0.1, 0, 0],
        [0, 1, 0, 0],
        [-1, 0, 0, 0],
        [2, 2, 0, 1],
        [0.5, 0.5, 0.5, 0.5],
      ];
      const points = vectors.map((v, i) => chunk(doc, i, v));
      await store.upsert(name, points);
      const query = [1, 0.2, 0, 0.1];
      const expected = referenceSearch(distance, points, query, 4);
      const hits = await store.search(name, query, { limit: 4 });
      t.same(
        hits.map((h) => h.id),
        expected.map((e) => e.id),
        'best first, by the metric',
      );
      hits.forEach((h, i) => {
        closeTo(t, h.score, expected[i]?.score as number, `score of hit ${i}`);
      });
      if (distance === 'euclidean') t.ok((hits[0]?.score ?? -1) >= 0, 'euclidean scores are distances');
    });
  }

  for (const distance of DISTANCES) {
    t.test(`${distance}: exact top-k on a larger collection`, async (t) => {
      const name = uniqueName(`topk_${distance}`);
      t.teardown(() => store.deleteCollection(name));
      // 15 = 8 + 4 + 3: every branch of a vectorised kernel (wide, narrow, scalar tail).
      await store.createCollection({ name, dimensions: 15, distance });
      const vectors = seededVectors(distance.length * 7919, 400, 15);
      const docs = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const points = vectors.map((v, i) => chunk(docs[i % 4] as string, i, v));
      await store.upsert(name, points);
      for (const query of seededVectors(31, 3, 15)) {
        const expected = referenceSearch(distance, points, query, 10);
        const hits = await store.search(name, query, { limit: 10 });
        t.same(
          hits.map((h) => h.id),
          expected.map((e) => e.id),
          'same ten ids in the same order as brute force',
        );
        closeTo(t, hits[9]?.score, expected[9]?.score as number, 'tenth score');
      }
    });
  }

  t.test('score threshold: a floor for similarities, a ceiling for distances', async (t) => {
    const doc = randomUUID();
    const cos = uniqueName('thr_cos');
    const euc = uniqueName('thr_euc');
    t.teardown(async () => {
      await store.deleteCollection(cos);
      await store.deleteCollection(euc);
    });
    await store.createCollection({ name: cos, dimensions: 2, distance: 'cosine' });
    await store.createCollection({ name: euc, dimensions: 2, distance: 'euclidean' });
    const points = [chunk(doc, 0, [1, 0]), chunk(doc, 1, [1, 1]), chunk(doc, 2, [0, 1]), chunk(doc, 3, [-1, 0])];
    await store.upsert(cos, points);
    await store.upsert(euc, points);
    // cos to [1,0]: 1, 0.707, 0, -1
    const similar = await store.search(cos, [1, 0], { limit: 10, scoreThreshold: 0.5 });
    t.same(
      similar.map((h) => h.payload.chunk_index),
      [0, 1],
    );
    // distance to [1,0]: 0, 1, 1.414, 2
    const near = await store.search(euc, [1, 0], { limit: 10, scoreThreshold: 1.2 });
    t.same(
      near.map((h) => h.payload.chunk_index),
      [0, 1],
    );
    t.same(
      await store.search(cos, [1, 0], { limit: 10, scoreThreshold: 1.5 }),
      [],
      'nothing above an impossible floor',
    );
  });

  t.test('limit caps results; a limit above the size returns everything', async (t) => {
    const name = uniqueName('limit');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'dot' });
    const doc = randomUUID();
    await store.upsert(name, [chunk(doc, 0, [1, 0]), chunk(doc, 1, [2, 0]), chunk(doc, 2, [3, 0])]);
    t.equal((await store.search(name, [1, 0], { limit: 2 })).length, 2);
    t.equal((await store.search(name, [1, 0], { limit: 100 })).length, 3);
  });

  t.test('filter by document, count by document, delete by document', async (t) => {
    const name = uniqueName('docs');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 3, distance: 'cosine' });
    const keep = randomUUID();
    const drop = randomUUID();
    const keepPoints = [chunk(keep, 0, [1, 0, 0]), chunk(keep, 1, [0.8, 0.2, 0])];
    const dropPoints = [chunk(drop, 0, [1, 0.01, 0]), chunk(drop, 1, [0.9, 0, 0.1]), chunk(drop, 2, [1, 0, 0.01])];
    await store.upsert(name, [...keepPoints, ...dropPoints]);
    t.equal(await store.count(name), 5);
    t.equal(await store.count(name, { document_id: keep }), 2);
    t.equal(await store.count(name, { document_id: drop }), 3);
    t.equal(await store.count(name, { document_id: randomUUID() }), 0, 'unknown document counts zero');

    const onlyKeep = await store.search(name, [1, 0, 0], { limit: 10, filter: { document_id: keep } });
    t.same(
      onlyKeep.map((h) => h.payload.document_id),
      [keep, keep],
      'filtered search returns only that document',
    );
    t.same(await store.search(name, [1, 0, 0], { limit: 10, filter: { document_id: randomUUID() } }), []);

    await store.deleteByDocument(name, drop);
    t.equal(await store.count(name), 2, 'only the deleted document is gone');
    t.equal(await store.count(name, { document_id: drop }), 0);
    const after: SearchHit[] = await store.search(name, [1, 0, 0], { limit: 10 });
    t.same(after.map((h) => h.id).sort(), keepPoints.map((p) => p.id).sort(), 'search never returns deleted chunks');
    await t.resolves(store.deleteByDocument(name, drop), 'deleting again is harmless');

    // Re-processing after delete brings the document back with the same ids.
    await store.upsert(name, dropPoints);
    t.equal(await store.count(name), 5);
    const back = await store.search(name, [1, 0.01, 0], { limit: 1 });
    t.equal(back[0]?.id, pointId(drop, 0));
  });

  t.test('replaceDocument: the document holds exactly the new points; other documents are untouched', async (t) => {
    const name = uniqueName('replace');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'dot' });
    const doc = randomUUID();
    const other = randomUUID();
    await store.upsert(name, [
      lexicalChunk(doc, 0, [1, 0], 'pump valve'),
      lexicalChunk(doc, 1, [1, 0], 'pump seal'),
      lexicalChunk(doc, 2, [1, 0], 'pump gasket'),
      lexicalChunk(other, 0, [0, 1], 'pump motor'),
    ]);
    // Re-chunked shorter, with other text: chunk 2 must not survive, chunk 0's old terms neither.
    await store.replaceDocument(name, doc, [
      lexicalChunk(doc, 0, [2, 0], 'impeller housing'),
      lexicalChunk(doc, 1, [3, 0], 'impeller flange'),
    ]);
    t.equal(await store.count(name, { document_id: doc }), 2, 'exactly the new chunks');
    t.equal(await store.count(name, { document_id: other }), 1, 'the other document is untouched');
    const hits = await store.search(name, [1, 0], { limit: 10, filter: { document_id: doc } });
    t.same(
      hits.map((h) => [h.payload.chunk_index, h.score]),
      [
        [1, 3],
        [0, 2],
      ],
      'the new vectors',
    );
    t.same(await store.searchLexical(name, { valve: 1 }, { limit: 10 }), [], "the replaced chunks' terms are gone");
    t.same(
      (await store.searchLexical(name, { pump: 1 }, { limit: 10 })).map((h) => h.payload.document_id),
      [other],
    );
    t.equal((await store.lexicalStats(name)).documents, 3, 'statistics count the new chunks once');
    await store.replaceDocument(name, doc, []);
    t.equal(await store.count(name, { document_id: doc }), 0, 'replacing with nothing empties the document');
    t.equal(await store.count(name), 1);

    await rejectsWith(
      t,
      store.replaceDocument(name, doc, [chunk(other, 0, [1, 0])]),
      'INVALID_INPUT',
      "a point of another document in a document's replacement",
    );
    await rejectsWith(t, store.replaceDocument(name, doc, [chunk(doc, 0, [1, 0, 0])]), 'DIMENSION_MISMATCH', 'dims');
    await rejectsWith(
      t,
      store.replaceDocument(uniqueName('missing'), doc, [chunk(doc, 0, [1, 0])]),
      'COLLECTION_NOT_FOUND',
      'missing collection',
    );
    t.equal(await store.count(name, { document_id: other }), 1, 'refused replacements wrote nothing');
  });

  t.test('deleteCollection removes the collection and its points; the name can be reused', async (t) => {
    const name = uniqueName('delete');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 3, distance: 'dot' });
    await store.upsert(name, [chunk(randomUUID(), 0, [1, 2, 3])]);
    await store.search(name, [1, 2, 3], { limit: 1 });
    await store.deleteCollection(name);
    t.equal(await store.collectionInfo(name), null);
    await rejectsWith(t, store.search(name, [1, 2, 3], { limit: 1 }), 'COLLECTION_NOT_FOUND', 'search after delete');
    await store.createCollection({ name, dimensions: 2, distance: 'euclidean' });
    t.same(await store.collectionInfo(name), { dimensions: 2, distance: 'euclidean', points: 0 }, 'recreated empty');
    t.same(await store.search(name, [1, 2], { limit: 5 }), [], 'no points survive from the old collection');
  });

  t.test('collectionInfo counts points', async (t) => {
    const name = uniqueName('info');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'euclidean' });
    const doc = randomUUID();
    await store.upsert(
      name,
      [0, 1, 2, 3, 4].map((i) => chunk(doc, i, [i, i])),
    );
    t.same(await store.collectionInfo(name), { dimensions: 2, distance: 'euclidean', points: 5 });
  });

  t.test('lexical search: BM25 ranks rare matching terms first, finds only chunks that share a term', async (t) => {
    const name = uniqueName('lexical');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'cosine' });
    const doc = randomUUID();
    const points = [
      lexicalChunk(doc, 0, [1, 0], 'wing flow wing common'),
      lexicalChunk(doc, 1, [0, 1], 'asn1_success error code common'),
      lexicalChunk(doc, 2, [1, 1], 'flow common'),
      lexicalChunk(doc, 3, [1, 0], 'unrelated words common'),
      chunk(doc, 4, [1, 0]),
    ];
    await store.upsert(name, points);
    const hits = await store.searchLexical(name, { asn1_success: 1 }, { limit: 10 });
    t.same(
      hits.map((h) => h.id),
      [points[1]!.id],
      'an identifier finds the one chunk that has it',
    );
    t.ok((hits[0]?.score ?? 0) > 0, 'scores are positive');
    t.equal(hits[0]?.payload.text, points[1]!.payload.text, 'the payload comes back');

    const wing = await store.searchLexical(name, { wing: 1, flow: 1 }, { limit: 10 });
    t.same(
      wing.map((h) => h.id),
      [points[0]!.id, points[2]!.id],
      'more occurrences of the rarer term rank first; non-matching chunks are absent',
    );
    const rare = await store.searchLexical(name, { common: 1, error: 1 }, { limit: 10 });
    t.equal(rare[0]?.id, points[1]!.id, 'a rare term outweighs one every chunk has');
    t.equal(rare.length, 4, 'points without lexical terms are never found lexically');
    t.same(await store.searchLexical(name, {}, { limit: 10 }), [], 'an empty query finds nothing');
    t.same(await store.searchLexical(name, { absent: 1 }, { limit: 10 }), [], 'an unknown term finds nothing');
    t.equal((await store.searchLexical(name, { common: 1 }, { limit: 2 })).length, 2, 'limit caps the results');
    const stats = await store.lexicalStats(name);
    t.equal(stats.documents, 4, 'statistics count the chunks with terms');
  });

  t.test('lexical index follows replacements, filters and deletions', async (t) => {
    const name = uniqueName('lexdocs');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'dot' });
    const keep = randomUUID();
    const drop = randomUUID();
    await store.upsert(name, [
      lexicalChunk(keep, 0, [1, 0], 'pump valve'),
      lexicalChunk(drop, 0, [1, 0], 'pump seal'),
      lexicalChunk(drop, 1, [1, 0], 'pump gasket'),
    ]);
    t.equal((await store.searchLexical(name, { pump: 1 }, { limit: 10 })).length, 3);
    const filtered = await store.searchLexical(name, { pump: 1 }, { limit: 10, filter: { document_id: keep } });
    t.same(
      filtered.map((h) => h.payload.document_id),
      [keep],
      'the document filter applies to lexical search',
    );
    // Re-processing with other text replaces the old terms.
    await store.upsert(name, [lexicalChunk(keep, 0, [1, 0], 'impeller housing')]);
    t.same(await store.searchLexical(name, { valve: 1 }, { limit: 10 }), [], "a replaced chunk's old terms are gone");
    t.equal((await store.searchLexical(name, { impeller: 1 }, { limit: 10 }))[0]?.payload.document_id, keep);
    await store.deleteByDocument(name, drop);
    t.same(await store.searchLexical(name, { pump: 1 }, { limit: 10 }), [], 'deleted chunks are never found');
    t.equal((await store.lexicalStats(name)).documents, 1, 'statistics follow the deletion');
  });

  t.test('hybrid search fuses lexical and vector rankings by reciprocal rank', async (t) => {
    const name = uniqueName('hybrid');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'cosine' });
    const doc = randomUUID();
    const both = lexicalChunk(doc, 0, [1, 0], 'turbulent boundary layer');
    const vectorOnly = lexicalChunk(doc, 1, [0.99, 0.1], 'pressure gradient');
    const lexicalOnly = lexicalChunk(doc, 2, [-1, 0.2], 'boundary layer separation layer');
    const neither = lexicalChunk(doc, 3, [-1, -0.1], 'supersonic nozzle');
    await store.upsert(name, [both, vectorOnly, lexicalOnly, neither]);
    const hits = await store.searchHybrid(name, [1, 0], { boundary: 1, layer: 1 }, { limit: 3, candidates: 2 });
    t.equal(hits[0]?.id, both.id, 'first in both rankings is first');
    t.same(
      hits.map((h) => h.id).sort(),
      [both.id, vectorOnly.id, lexicalOnly.id].sort(),
      'the best of each ranking is kept; what neither prefetch found is not',
    );
    t.ok(hits[0]!.score > hits[1]!.score, 'fused scores are ordered');
    const vectorOnlyQuery = await store.searchHybrid(name, [1, 0], {}, { limit: 2 });
    t.same(
      vectorOnlyQuery.map((h) => h.id),
      [both.id, vectorOnly.id],
      'an empty lexical query leaves the vector ranking',
    );
  });

  t.test('bad lexical input is refused with INVALID_INPUT; a missing collection says so', async (t) => {
    const name = uniqueName('lexbad');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'cosine' });
    const doc = randomUUID();
    const bad = { ...chunk(doc, 0, [1, 0]), lexical: { terms: { x: 0 }, length: 1 } };
    await rejectsWith(t, store.upsert(name, [bad]), 'INVALID_INPUT', 'a zero count');
    const short = { ...chunk(doc, 0, [1, 0]), lexical: { terms: { x: 3 }, length: 1 } };
    await rejectsWith(t, store.upsert(name, [short]), 'INVALID_INPUT', 'a length below the counts');
    t.equal(await store.count(name), 0, 'nothing was written');
    await rejectsWith(t, store.searchLexical(name, { x: -1 }, { limit: 3 }), 'INVALID_INPUT', 'a negative weight');
    await rejectsWith(t, store.searchLexical(name, { '': 1 }, { limit: 3 }), 'INVALID_INPUT', 'an empty term');
    await rejectsWith(t, store.searchLexical(name, { x: 1 }, { limit: 0 }), 'INVALID_INPUT', 'limit 0');
    await rejectsWith(
      t,
      store.searchLexical(uniqueName('missing'), { x: 1 }, { limit: 3 }),
      'COLLECTION_NOT_FOUND',
      'lexical search of a missing collection',
    );
  });
  t.test('lexical backfill: scan the points without terms, give them terms, resume from a cursor', async (t) => {
    const name = uniqueName('backfill');
    t.teardown(() => store.deleteCollection(name));
    await store.createCollection({ name, dimensions: 2, distance: 'cosine' });
    t.equal(await store.enableLexical(name), true, 'a new collection holds terms');
    const doc = randomUUID();
    const words = ['pump valve', 'pump seal', 'gasket seal', 'impeller', 'pump housing'];
    // Points written before keyword search existed: vectors, no terms.
    const old = words.map((w, i) => chunk(doc, i, [1, i], { text: w }));
    const indexed = lexicalChunk(randomUUID(), 0, [0, 1], 'pump motor');
    await store.upsert(name, [...old, indexed]);
    t.equal(await store.countWithoutLexical(name), 5, 'the old points lack terms');
    t.equal((await store.lexicalStats(name)).documents, 1);
    const termsOf = (text: string) => lexicalChunk(doc, 0, [0, 0], text).lexical!;

    // Two pages of 3 then 2; the cursor of the first resumes exactly after it.
    const first = await store.scanWithoutLexical(name, { limit: 3 });
    t.equal(first.points.length, 3);
    t.not(first.cursor, null, 'more to come');
    const ids = first.points.map((p) => p.id);
    t.same([...ids].sort(), ids, 'in id order');
    t.equal(
      await store.addLexical(
        name,
        first.points.map((p) => ({ id: p.id, lexical: termsOf(p.payload.text) })),
      ),
      3,
      'three points got terms',
    );
    // The same batch again (a process killed after writing, before saving its cursor): nothing changes.
    t.equal(
      await store.addLexical(
        name,
        first.points.map((p) => ({ id: p.id, lexical: termsOf(p.payload.text) })),
      ),
      0,
      'idempotent',
    );
    const second = await store.scanWithoutLexical(name, { cursor: first.cursor, limit: 3 });
    t.equal(second.points.length, 2, 'the rest');
    t.equal(second.cursor, null, 'the scan is over');
    t.notOk(
      second.points.some((p) => ids.includes(p.id)),
      'no point twice',
    );
    // One of them was deleted meanwhile: it is skipped, not recreated.
    const gone = second.points[0]!;
    await store.upsert(name, [{ ...chunk(doc, 99, [1, 1]), id: randomUUID() }]);
    const goneDoc = gone.payload.document_id;
    t.equal(goneDoc, doc);
    const rest = second.points.map((p) => ({ id: p.id, lexical: termsOf(p.payload.text) }));
    const deletedId = randomUUID();
    t.equal(
      await store.addLexical(name, [...rest, { id: deletedId, lexical: termsOf('ghost') }]),
      2,
      'a point that does not exist is skipped',
    );
    t.equal(await store.count(name), 7, 'no point was added');
    t.equal(await store.countWithoutLexical(name), 1, 'only the later point without terms is left');
    t.equal((await store.lexicalStats(name)).documents, 6, 'statistics count each point once');
    const pump = await store.searchLexical(name, { pump: 1 }, { limit: 10 });
    t.equal(pump.length, 4, 'old and new chunks are found by keyword');
    t.ok(
      pump.every((h) => h.payload.text !== undefined),
      'payloads kept',
    );
    const vector = await store.search(name, [1, 0], { limit: 1 });
    t.equal(vector[0]?.payload.text, 'pump valve', 'vectors untouched');
    t.same(await store.scanWithoutLexical(name, { limit: 10 }).then((p) => p.points.length), 1);
    await rejectsWith(t, store.scanWithoutLexical(name, { limit: 0 }), 'INVALID_INPUT', 'limit 0');
    await rejectsWith(
      t,
      store.addLexical(name, [{ id: 'not-a-uuid', lexical: termsOf('x') }]),
      'INVALID_INPUT',
      'a bad id',
    );
    await rejectsWith(
      t,
      store.scanWithoutLexical(uniqueName('missing'), { limit: 3 }),
      'COLLECTION_NOT_FOUND',
      'a missing collection',
    );
  });
}
