// Both adapters must give the same answers on the same data, so a KB behaves the same
// whether it runs on the embedded store or on Qdrant.
import { randomUUID } from 'node:crypto';
import { createTestDatabase, startFakeQdrant } from '@lumikb/test-kit';
import t from 'tap';
import { createVectorStore, type Distance, type SearchOptions, type VectorStore } from '../src/index.ts';
import { chunk, seededVectors, uniqueName } from './conformance.ts';

t.test('postgres and qdrant adapters agree on ids, order and scores', async (t) => {
  const db = await createTestDatabase(t, []);
  const fake = await startFakeQdrant(t);
  const stores: VectorStore[] = [
    createVectorStore({ databaseUrl: db.url }),
    createVectorStore({ qdrantUrl: fake.url }),
  ];
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  const docs = [randomUUID(), randomUUID(), randomUUID()];
  const points = seededVectors(99, 300, 32).map((v, i) => chunk(docs[i % 3] as string, i, v));
  const queries = seededVectors(5, 4, 32);

  for (const distance of ['cosine', 'dot', 'euclidean'] as Distance[]) {
    const name = uniqueName(`agree_${distance}`);
    for (const store of stores) {
      await store.createCollection({ name, dimensions: 32, distance });
      await store.upsert(name, points);
    }
    for (const [qi, query] of queries.entries()) {
      const base = await stores[0]?.search(name, query, { limit: 20 });
      // A threshold between the 5th and 6th score of the unfiltered result.
      const fifth = base?.[4]?.score ?? 0;
      const sixth = base?.[5]?.score ?? 0;
      const variants: SearchOptions[] = [
        { limit: 20 },
        { limit: 20, scoreThreshold: (fifth + sixth) / 2 },
        { limit: 5, filter: { document_id: docs[qi % 3] as string } },
      ];
      for (const options of variants) {
        const [a, b] = await Promise.all(stores.map((s) => s.search(name, query, options)));
        const label = `${distance} query ${qi} ${JSON.stringify({ ...options, scoreThreshold: options.scoreThreshold !== undefined })}`;
        t.same(
          a?.map((h) => h.id),
          b?.map((h) => h.id),
          `${label}: same ids in the same order`,
        );
        const worst = Math.max(0, ...(a ?? []).map((h, i) => Math.abs(h.score - (b?.[i]?.score ?? Number.NaN))));
        t.ok(worst < 1e-4, `${label}: scores agree (max difference ${worst.toExponential(1)})`);
        t.same(
          a?.map((h) => h.payload),
          b?.map((h) => h.payload),
          `${label}: same payloads`,
        );
      }
      t.equal(
        (await stores[0]?.search(name, query, variants[1] as SearchOptions))?.length,
        5,
        'the threshold cut at five',
      );
    }
    const [ca, cb] = await Promise.all(stores.map((s) => s.count(name, { document_id: docs[0] as string })));
    t.equal(ca, cb, `${distance}: counts agree`);
  }
});
