import t from 'tap';
import { CHUNK_ID_NAMESPACE, collectionName, pointId, uuidV5 } from '../src/index.ts';

t.test('uuidV5 matches RFC 4122 (the DNS example every implementation agrees on)', async (t) => {
  t.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});

t.test('pointId is deterministic, a v5 UUID, and distinct per document and chunk', async (t) => {
  const doc = '0f8fad5b-d9cb-469f-a165-70867728950e';
  t.equal(pointId(doc, 3), pointId(doc, 3), 'same input, same id: re-processing replaces');
  t.equal(pointId(doc.toUpperCase(), 3), pointId(doc, 3), 'document id case does not matter');
  t.match(pointId(doc, 0), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(pointId(doc, 0), uuidV5(`${doc}:0`, CHUNK_ID_NAMESPACE), 'documented derivation');
  const ids = new Set<string>();
  for (const d of [doc, '7c9e6679-7425-40de-944b-e07fc1f90ae7']) for (let i = 0; i < 500; i++) ids.add(pointId(d, i));
  t.equal(ids.size, 1000, 'no collisions across documents and chunks');
  t.throws(() => pointId(doc, -1), /invalid chunk index/);
  t.throws(() => pointId(doc, 1.5), /invalid chunk index/);
});

t.test('collectionName is kb_ plus the lowercase id', async (t) => {
  t.equal(collectionName('0F8FAD5B-D9CB-469F-A165-70867728950E'), 'kb_0f8fad5b-d9cb-469f-a165-70867728950e');
});
