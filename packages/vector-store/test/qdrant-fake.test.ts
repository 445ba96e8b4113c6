import { randomUUID } from 'node:crypto';
import { startFakeQdrant } from '@lumikb/test-kit';
import t from 'tap';
import { createVectorStore, QdrantVectorStore } from '../src/index.ts';
import { chunk, lexicalChunk, rejectsWith, uniqueName, vectorStoreConformance } from './conformance.ts';

t.test('qdrant adapter conformance against the fake Qdrant', async (t) => {
  vectorStoreConformance(t, async (t) => {
    const fake = await startFakeQdrant(t);
    const store = createVectorStore({ qdrantUrl: fake.url, databaseUrl: 'postgres://unused' });
    t.equal(store.kind, 'qdrant', 'createVectorStore picks qdrant when a Qdrant URL is set');
    return store;
  });
});

t.test('the adapter speaks Qdrant the recommended way', async (t) => {
  const fake = await startFakeQdrant(t);
  const store = new QdrantVectorStore({ url: fake.url });
  t.teardown(() => store.close());
  const name = uniqueName('wire');
  const doc = randomUUID();
  await store.createCollection({ name, dimensions: 3, distance: 'euclidean' });
  await store.upsert(name, [chunk(doc, 0, [1, 2, 3])]);
  await store.search(name, [1, 2, 3], { limit: 2, scoreThreshold: 5, filter: { document_id: doc } });
  await store.deleteByDocument(name, doc);
  await store.count(name, { document_id: doc });

  const seen = (method: string, suffix: string) =>
    fake.requests.filter((r) => r.method === method && r.path.endsWith(suffix));
  t.same(fake.collections.get(name)?.distance, 'Euclid', 'euclidean maps to Euclid');
  t.same(
    [...(fake.collections.get(name)?.payloadSchema ?? new Map())],
    [
      ['document_id', 'keyword'],
      ['kb_id', 'keyword'],
    ],
    'document_id and kb_id are indexed as keywords',
  );
  const writes = [...seen('PUT', '/points'), ...seen('PUT', '/index'), ...seen('POST', '/points/delete')];
  t.equal(writes.length, 4, 'upsert, two indexes, delete');
  t.ok(
    writes.every((r) => r.query.wait === 'true'),
    'every write waits, so the next read sees it',
  );
  const queries = seen('POST', '/points/query');
  t.equal(queries.length, 1, 'search uses POST /points/query');
  t.equal(seen('POST', '/points/search').length, 0, 'never the deprecated /points/search');
  t.match(queries[0]?.body, {
    query: [1, 2, 3],
    limit: 2,
    score_threshold: 5,
    with_payload: true,
    filter: { must: [{ key: 'document_id', match: { value: doc } }] },
  });
  t.match(seen('POST', '/points/count')[0]?.body, { exact: true }, 'counts are exact');
  t.ok(
    fake.requests.every((r) => r.status > 0 && r.status < 400),
    'no request was refused by the fake (every body matched the spec)',
  );
});

t.test('an API key is sent on every call; a wrong or missing key fails readiness and health', async (t) => {
  const fake = await startFakeQdrant(t, { apiKey: 'secret-key' });
  const good = createVectorStore({ qdrantUrl: fake.url, qdrantApiKey: 'secret-key' });
  t.teardown(() => good.close());
  await t.resolves(good.ensureReady());
  await good.createCollection({ name: uniqueName('auth'), dimensions: 2, distance: 'dot' });
  await t.resolves(good.health());

  const wrong = createVectorStore({ qdrantUrl: fake.url, qdrantApiKey: 'other' });
  const err = await rejectsWith(t, wrong.ensureReady(), 'UNAVAILABLE', 'wrong key at start-up');
  t.match(err?.message, /credentials \(401\).*Invalid API key/);
  t.notMatch(err?.message, /other/, 'the key itself is not in the message');
  await rejectsWith(t, wrong.health(), 'UNAVAILABLE', 'wrong key at health');
  const none = createVectorStore({ qdrantUrl: fake.url });
  const missing = await rejectsWith(t, none.health(), 'UNAVAILABLE', 'no key');
  t.match(missing?.message, /Must provide an API key/);
});

t.test('outages surface as UNAVAILABLE and recover when Qdrant is back', async (t) => {
  const fake = await startFakeQdrant(t);
  const store = createVectorStore({ qdrantUrl: fake.url, timeoutMs: 2_000 });
  t.teardown(() => store.close());
  const name = uniqueName('outage');
  await store.createCollection({ name, dimensions: 2, distance: 'cosine' });
  fake.setOutage('reset');
  await rejectsWith(t, store.health(), 'UNAVAILABLE', 'connection reset: health');
  await rejectsWith(t, store.search(name, [1, 0], { limit: 1 }), 'UNAVAILABLE', 'connection reset: search');
  fake.setOutage('unavailable');
  const err = await rejectsWith(t, store.upsert(name, [chunk(randomUUID(), 0, [1, 0])]), 'UNAVAILABLE', '503: upsert');
  t.match(err?.message, /503/);
  fake.setOutage(false);
  await t.resolves(store.health(), 'healthy again');
  t.equal(await store.count(name), 0, 'nothing was written during the outage');
});

t.test('a server far from the client version is reported through the logger, not the console', async (t) => {
  const fake = await startFakeQdrant(t, { version: '1.15.2' });
  const warnings: { obj: object; msg: string }[] = [];
  const store = createVectorStore({ qdrantUrl: fake.url, logger: { warn: (obj, msg) => warnings.push({ obj, msg }) } });
  t.teardown(() => store.close());
  await store.ensureReady();
  t.match(warnings, [{ obj: { serverVersion: '1.15.2', clientVersion: '1.18.0' }, msg: /version/ }]);
  t.equal(fake.requests.filter((r) => r.path === '/').length, 1, 'checked once');
});

t.test('a collection Qdrant created with another distance is reported, not misread', async (t) => {
  const fake = await startFakeQdrant(t);
  const store = createVectorStore({ qdrantUrl: fake.url });
  t.teardown(() => store.close());
  const name = uniqueName('manhattan');
  await fetch(`${fake.url}/collections/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vectors: { size: 2, distance: 'Manhattan' } }),
  });
  await rejectsWith(t, store.collectionInfo(name), 'INVALID_INPUT', 'unsupported distance');
});

t.test('a collection created before the lexical index gets its sparse vector added, then its terms', async (t) => {
  for (const refuse of [false, true]) {
    const fake = await startFakeQdrant(t, { refuseVectorCreation: refuse });
    const store = createVectorStore({ qdrantUrl: fake.url });
    t.teardown(() => store.close());
    const name = uniqueName('old');
    // As LumiKB created collections before keyword search: one unnamed dense vector only.
    await fetch(`${fake.url}/collections/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vectors: { size: 2, distance: 'Cosine' } }),
    });
    const doc = randomUUID();
    await store.upsert(name, [lexicalChunk(doc, 0, [1, 0], 'pump valve')]);
    t.same(await store.searchLexical(name, { pump: 1 }, { limit: 3 }), [], 'terms are not stored without the vector');
    t.equal(await store.countWithoutLexical(name), 1);
    if (refuse) {
      t.equal(await store.enableLexical(name), false, 'a Qdrant without the operation: the index stays empty');
      continue;
    }
    t.equal(await store.enableLexical(name), true, 'the sparse vector is added in place');
    const create = fake.requests.find((r) => r.method === 'PUT' && r.path.endsWith('/vectors/lexical'));
    t.same(create?.body, { sparse: { modifier: 'idf' } }, 'with the idf modifier, as new collections have it');
    t.equal(create?.query.wait, 'true');
    const page = await store.scanWithoutLexical(name, { limit: 10 });
    t.equal(page.points.length, 1);
    t.equal(
      await store.addLexical(name, [
        { id: page.points[0]!.id, lexical: lexicalChunk(doc, 0, [0, 0], 'pump valve').lexical! },
      ]),
      1,
    );
    t.equal((await store.searchLexical(name, { pump: 1 }, { limit: 3 }))[0]?.payload.document_id, doc);
    t.equal(await store.countWithoutLexical(name), 0);
    t.same((await store.search(name, [1, 0], { limit: 1 }))[0]?.payload.document_id, doc, 'the vector is kept');
  }
});
