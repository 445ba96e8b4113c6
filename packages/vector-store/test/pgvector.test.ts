/**
 * The postgres adapter on a database with pgvector: the shared conformance suite, the
 * move of an existing (exact) installation, halfvec above 2 000 dimensions, filtered
 * searches. Needs a PostgreSQL with the `vector` extension at LUMIKB_PGVECTOR_URL (an
 * admin URL: each test creates its own database), e.g. the `localhost/postgres:17-pgvector`
 * container of scripts/containers/prepare.sh --pgvector; skipped otherwise.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import t, { type Test } from 'tap';
import { type Distance, PostgresVectorStore } from '../src/index.ts';
import { chunk, lexicalChunk, seededVectors, uniqueName, vectorStoreConformance } from './conformance.ts';

const serverUrl = process.env.LUMIKB_PGVECTOR_URL;

async function pgvectorDatabase(t: Test): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `lumikb_pgv_${randomBytes(6).toString('hex')}`;
  await admin.query(`create database "${name}"`);
  await admin.end();
  t.teardown(async () => {
    const dropper = new pg.Client({ connectionString: serverUrl });
    await dropper.connect();
    await dropper.query(`drop database if exists "${name}" with (force)`);
    await dropper.end();
  });
  const url = new URL(serverUrl as string);
  url.pathname = `/${name}`;
  return url.toString();
}

function reference(distance: Distance, points: { id: string; vector: number[] }[], query: number[], k: number) {
  const norm = (v: number[]) => {
    const n = Math.hypot(...v);
    return n === 0 ? v : v.map((x) => x / n);
  };
  const q = distance === 'cosine' ? norm(query) : query;
  return points
    .map((p) => {
      const v = distance === 'cosine' ? norm(p.vector) : p.vector;
      const score =
        distance === 'euclidean'
          ? Math.sqrt(v.reduce((s, x, i) => s + (x - (q[i] as number)) ** 2, 0))
          : v.reduce((s, x, i) => s + x * (q[i] as number), 0);
      return { id: p.id, score };
    })
    .sort((a, b) => (distance === 'euclidean' ? a.score - b.score : b.score - a.score))
    .slice(0, k);
}

if (!serverUrl) {
  t.pass('skipped: no pgvector server (set LUMIKB_PGVECTOR_URL to run the pgvector variant)');
} else {
  t.test('postgres adapter conformance on pgvector', async (t) => {
    vectorStoreConformance(t, async (t) => {
      const store = new PostgresVectorStore({ databaseUrl: await pgvectorDatabase(t), vectorSearch: 'pgvector' });
      await store.ensureReady();
      t.equal(store.describe().search, 'pgvector', 'new collections use pgvector');
      return store;
    });
  });

  t.test('a store started against a pgvector database uses it without configuration', async (t) => {
    const store = new PostgresVectorStore({ databaseUrl: await pgvectorDatabase(t) });
    t.teardown(() => store.close());
    await store.ensureReady();
    t.match(store.describe(), { adapter: 'postgres', search: 'pgvector', pgvector: { version: /^\d+\.\d+/ } });
    const name = uniqueName('auto');
    await store.createCollection({ name, dimensions: 3, distance: 'cosine' });
    t.equal(await store.searchBackend(name), 'pgvector');
  });

  t.test('above 2 000 dimensions the index is on halfvec and scores stay full precision', async (t) => {
    const url = await pgvectorDatabase(t);
    const store = new PostgresVectorStore({ databaseUrl: url });
    t.teardown(() => store.close());
    const name = uniqueName('half');
    await store.createCollection({ name, dimensions: 2048, distance: 'dot' });
    const doc = randomUUID();
    const points = seededVectors(5, 60, 2048).map((v, i) => chunk(doc, i, v));
    await store.upsert(name, points);
    const query = seededVectors(9, 1, 2048)[0] as number[];
    const hits = await store.search(name, query, { limit: 5 });
    const expected = reference('dot', points, query, 5);
    t.same(
      hits.map((h) => h.id),
      expected.map((e) => e.id),
    );
    t.ok(Math.abs((hits[0]?.score ?? 0) - (expected[0]?.score as number)) < 1e-3, 'float32 score, not halfvec');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.teardown(() => client.end());
    const indexes = await client.query<{ indexdef: string }>(
      `select indexdef from pg_indexes where schemaname = 'vectors' and indexdef ilike '%hnsw%'`,
    );
    t.match(indexes.rows[0]?.indexdef, /halfvec/);
  });

  t.test('a document filter among many points still returns all of its hits (iterative scan)', async (t) => {
    const store = new PostgresVectorStore({ databaseUrl: await pgvectorDatabase(t) });
    t.teardown(() => store.close());
    const name = uniqueName('filter');
    await store.createCollection({ name, dimensions: 8, distance: 'euclidean' });
    const big = randomUUID();
    const small = randomUUID();
    const vectors = seededVectors(77, 2_000, 8);
    const points = vectors.map((v, i) => (i % 400 === 0 ? chunk(small, i, v) : chunk(big, i, v)));
    await store.upsert(name, points);
    const query = seededVectors(3, 1, 8)[0] as number[];
    const hits = await store.search(name, query, { limit: 10, filter: { document_id: small } });
    const expected = reference(
      'euclidean',
      points.filter((p) => p.payload.document_id === small),
      query,
      10,
    );
    t.same(
      hits.map((h) => h.id),
      expected.map((e) => e.id),
      'the five points of the small document, nearest first',
    );
  });

  t.test('an exact installation moves to pgvector resumably and keeps serving meanwhile', async (t) => {
    const url = await pgvectorDatabase(t);
    const old = new PostgresVectorStore({ databaseUrl: url, vectorSearch: 'exact' });
    t.teardown(() => old.close());
    const name = uniqueName('move');
    await old.createCollection({ name, dimensions: 6, distance: 'cosine' });
    const docs = [randomUUID(), randomUUID(), randomUUID()];
    let points = seededVectors(11, 300, 6).map((v, i) =>
      lexicalChunk(docs[i % 3] as string, i, v, `term${i % 7} shared`),
    );
    await old.upsert(name, points);
    t.equal(await old.searchBackend(name), 'exact');

    const store = new PostgresVectorStore({ databaseUrl: url, migrateToPgvector: false });
    t.teardown(() => store.close());
    const query = [0.3, -0.2, 0.9, 0.1, 0, 0.5];
    const before = await store.search(name, query, { limit: 10 });
    const lexicalBefore = await store.searchLexical(name, { term3: 1 }, { limit: 50 });

    // Interrupted after two batches of 50: migrating, still searched exactly.
    let step = await store.migrateToPgvector(name, { batchSize: 50, maxBatches: 2 });
    t.match(step, { state: 'migrating' });
    t.equal(await store.searchBackend(name), 'migrating');
    t.same(await store.search(name, query, { limit: 10 }), before, 'exact results while migrating');

    // Writes meanwhile reach both: a replaced document, a new point, a deleted document.
    const replaced = seededVectors(12, 4, 6).map((v, i) => lexicalChunk(docs[0] as string, 1_000 + i, v, 'fresh'));
    await old.replaceDocument(name, docs[0] as string, replaced);
    await old.deleteByDocument(name, docs[1] as string);
    points = [...points.filter((p) => p.payload.document_id === docs[2]), ...replaced];

    // Another process resumes where the first stopped, and finishes.
    step = await old.migrateToPgvector(name, { batchSize: 50 }).catch(() => step);
    const other = new PostgresVectorStore({ databaseUrl: url, migrateToPgvector: false });
    t.teardown(() => other.close());
    step = await other.migrateToPgvector(name, { batchSize: 50 });
    t.equal(step.state, 'pgvector');
    t.equal(await store.searchBackend(name), 'pgvector');
    t.equal(await store.count(name), points.length, 'count unchanged by the move');

    const hits = await store.search(name, query, { limit: 10 });
    t.same(
      hits.map((h) => h.id),
      reference('cosine', points, query, 10).map((e) => e.id),
      'pgvector finds what exact search finds, writes during the move included',
    );
    t.same(
      (await store.searchLexical(name, { fresh: 1 }, { limit: 10 })).map((h) => h.id).sort(),
      replaced.map((p) => p.id).sort(),
      'lexical search unchanged by the move',
    );
    t.ok(lexicalBefore.length > 0);
    t.same(await store.search(name, query, { limit: 10, filter: { document_id: docs[1] as string } }), []);
  });

  t.test('the start-up move runs in the background without being asked', async (t) => {
    const url = await pgvectorDatabase(t);
    const old = new PostgresVectorStore({ databaseUrl: url, vectorSearch: 'exact' });
    const name = uniqueName('startup');
    await old.createCollection({ name, dimensions: 2, distance: 'dot' });
    await old.upsert(name, [chunk(randomUUID(), 0, [1, 2])]);
    await old.close();
    const store = new PostgresVectorStore({ databaseUrl: url });
    t.teardown(() => store.close());
    await store.backgroundSettled();
    t.equal(await store.searchBackend(name), 'pgvector');
    t.equal((await store.search(name, [1, 0], { limit: 1 }))[0]?.score, 1);
  });
}
