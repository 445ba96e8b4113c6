// The fake Qdrant is only useful if it behaves like Qdrant: these pin its wire behaviour
// to reference/protocols.md §4 and the 1.19 OpenAPI document.
import { startFakeQdrant } from '@lumikb/test-kit';
import t from 'tap';

async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: each call inspects a different response shape
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json };
}

const UUID_A = '5c56c793-69f3-4fbf-87e6-c4bf54c28c26';
const UUID_B = '936DA01F9ABD4D9D80C702AF85C822A8';

t.test('envelopes, status codes and messages are Qdrant’s', async (t) => {
  const fake = await startFakeQdrant(t);
  const created = await call(fake.url, 'PUT', '/collections/c1', { vectors: { size: 3, distance: 'Cosine' } });
  t.equal(created.status, 200);
  t.match(created.json, { result: true, status: 'ok', time: Number });

  const again = await call(fake.url, 'PUT', '/collections/c1', { vectors: { size: 3, distance: 'Cosine' } });
  t.equal(again.status, 409);
  t.same(Object.keys(again.json).sort(), ['status', 'time'], 'errors carry no result key');
  t.equal(again.json.status.error, 'Wrong input: Collection `c1` already exists!');

  const missing = await call(fake.url, 'GET', '/collections/nope');
  t.equal(missing.status, 404);
  t.equal(missing.json.status.error, "Not found: Collection `nope` doesn't exist!");

  const zero = await call(fake.url, 'PUT', '/collections/c2', { vectors: { size: 0, distance: 'Cosine' } });
  t.equal(zero.status, 422, 'range violations are validation errors');
  t.match(zero.json.status.error, /^Validation error in JSON body:/);

  const badJson = await call(fake.url, 'PUT', '/collections/c2', '{"vectors":');
  t.equal(badJson.status, 400);
  t.match(badJson.json.status.error, /^Format error in JSON body:/);

  const badShape = await call(fake.url, 'PUT', '/collections/c2', { vectors: { size: 'big', distance: 'Cosine' } });
  t.equal(badShape.status, 400, 'type errors are format errors');
  const badDistance = await call(fake.url, 'PUT', '/collections/c2', { vectors: { size: 2, distance: 'cosine' } });
  t.equal(badDistance.status, 400, 'distance names are case-sensitive');

  const dim = await call(fake.url, 'PUT', '/collections/c1/points?wait=true', { points: [{ id: 1, vector: [1, 2] }] });
  t.equal(dim.status, 400);
  t.equal(dim.json.status.error, 'Wrong input: Vector dimension error: expected dim: 3, got 2');

  const badId = await call(fake.url, 'PUT', '/collections/c1/points', {
    points: [{ id: 'chunk-1', vector: [1, 2, 3] }],
  });
  t.equal(badId.status, 400);

  const async = await call(fake.url, 'PUT', '/collections/c1/points', { points: [{ id: 1, vector: [1, 2, 3] }] });
  t.match(async.json.result, { status: 'acknowledged', operation_id: Number }, 'wait=false acknowledges');
  const sync = await call(fake.url, 'PUT', '/collections/c1/points?wait=true', {
    points: [{ id: 2, vector: [1, 2, 3] }],
  });
  t.match(sync.json.result, { status: 'completed' });

  const gone = await call(fake.url, 'DELETE', '/collections/never');
  t.same([gone.status, gone.json.result], [200, false], 'deleting a missing collection answers false');

  const root = await call(fake.url, 'GET', '/');
  t.match(root.json, { title: 'qdrant - vector search engine', version: '1.19.0' });
  t.notOk('result' in root.json, 'GET / is not enveloped');
  t.same(
    [(await call(fake.url, 'GET', '/healthz')).text, (await call(fake.url, 'GET', '/readyz')).text],
    ['healthz check passed', 'all shards are ready'],
  );
  const removed = await call(fake.url, 'POST', '/collections/c1/points/search', { vector: [1, 2, 3], limit: 1 });
  t.equal(removed.status, 404, 'the search route left the 1.19 spec: the adapter must not rely on it');
});

t.test('every request body is validated against the spec', async (t) => {
  const fake = await startFakeQdrant(t);
  await call(fake.url, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Dot' } });
  const cases: [string, string, unknown, number][] = [
    ['POST', '/collections/c/points/query', { query: [1, 0], limit: 0 }, 422],
    ['POST', '/collections/c/points/query', { query: [1, 0], limit: 'ten' }, 400],
    ['POST', '/collections/c/points/query', { query: [1, 0], filter: { must: [{ key: 'k', match: 3 }] } }, 400],
    ['POST', '/collections/c/points/delete', { nothing: true }, 400],
    ['POST', '/collections/c/points/count', { exact: 'yes' }, 400],
    ['PUT', '/collections/c/index', { field_schema: 'keyword' }, 400],
    ['PUT', '/collections/c/points', { points: [{ id: -1, vector: [1, 0] }] }, 400],
  ];
  for (const [method, path, body, status] of cases) {
    const res = await call(fake.url, method, path, body);
    t.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}`);
  }
  t.equal(
    (await call(fake.url, 'PUT', '/collections/c/points?wait=maybe', { points: [] })).status,
    400,
    'query params too',
  );
});

t.test('api-key auth: header or bearer, 401 text/plain otherwise, health routes open', async (t) => {
  const fake = await startFakeQdrant(t, { apiKey: 'k1' });
  const none = await call(fake.url, 'GET', '/collections');
  t.equal(none.status, 401);
  t.match(none.type, /^text\/plain/);
  t.equal(none.text, 'Must provide an API key or an Authorization bearer token');
  const wrong = await call(fake.url, 'GET', '/collections', undefined, { 'api-key': 'k2' });
  t.same([wrong.status, wrong.text], [401, 'Invalid API key or JWT']);
  t.equal((await call(fake.url, 'GET', '/collections', undefined, { 'api-key': 'k1' })).status, 200);
  t.equal((await call(fake.url, 'GET', '/collections', undefined, { authorization: 'Bearer k1' })).status, 200);
  for (const open of ['/', '/healthz', '/readyz', '/livez'])
    t.equal((await call(fake.url, 'GET', open)).status, 200, open);
});

t.test('scores and filters are computed, not canned', async (t) => {
  const fake = await startFakeQdrant(t);
  for (const distance of ['Cosine', 'Dot', 'Euclid', 'Manhattan']) {
    await call(fake.url, 'PUT', `/collections/${distance}`, { vectors: { size: 2, distance } });
    await call(fake.url, 'PUT', `/collections/${distance}/points?wait=true`, {
      points: [
        { id: 1, vector: [3, 4], payload: { doc: 'a', n: 1 } },
        { id: UUID_A, vector: [1, 0], payload: { doc: 'b', n: 2, tags: ['x', 'y'] } },
        { id: UUID_B, vector: [-1, 3], payload: { doc: 'a', n: 3 } },
      ],
    });
  }
  const query = async (distance: string, body: object) =>
    (
      await call(fake.url, 'POST', `/collections/${distance}/points/query`, {
        query: [1, 1],
        with_payload: true,
        ...body,
      })
    ).json.result.points as { id: string | number; score: number; payload?: { n: number } }[];

  const cos = await query('Cosine', {});
  t.same(
    cos.map((p) => p.id),
    [1, UUID_A, '936da01f-9abd-4d9d-80c7-02af85c822a8'],
    'ids come back canonical (lowercase hyphenated)',
  );
  t.ok(Math.abs((cos[0]?.score ?? 0) - 7 / (5 * Math.SQRT2)) < 1e-6, 'cosine score');
  const dot = await query('Dot', {});
  t.same(
    dot.map((p) => p.score),
    [7, 2, 1],
  );
  const euclid = await query('Euclid', {});
  t.same(
    euclid.map((p) => p.payload?.n),
    [2, 3, 1],
    'euclid: nearest first',
  );
  t.ok(Math.abs((euclid[0]?.score ?? 0) - 1) < 1e-6, 'euclid score is the distance');
  const manhattan = await query('Manhattan', {});
  t.same(
    manhattan.map((p) => p.score),
    [1, 4, 5],
  );
  t.same(
    (await query('Dot', { score_threshold: 2 })).map((p) => p.score),
    [7],
    'threshold is strict',
  );
  t.same(
    (await query('Euclid', { score_threshold: 3 })).map((p) => p.payload?.n),
    [2, 3],
    'euclid threshold is a ceiling',
  );
  const filtered = async (filter: object) => (await query('Dot', { filter })).map((p) => p.payload?.n).sort();
  t.same(await filtered({ must: [{ key: 'doc', match: { value: 'a' } }] }), [1, 3]);
  t.same(await filtered({ must: [{ key: 'n', match: { any: [1, 2] } }] }), [1, 2]);
  t.same(await filtered({ must_not: [{ key: 'doc', match: { value: 'a' } }] }), [2]);
  t.same(await filtered({ should: [{ key: 'n', range: { gte: 3 } }, { has_id: [1] }] }), [1, 3]);
  t.same(await filtered({ must: [{ key: 'tags', match: { value: 'y' } }] }), [2], 'arrays match any element');
  t.same(await filtered({ must: [{ has_id: [UUID_A.toUpperCase()] }] }), [2]);
  const count = await call(fake.url, 'POST', '/collections/Dot/points/count', {
    filter: { must: [{ key: 'doc', match: { value: 'a' } }] },
    exact: true,
  });
  t.same(count.json.result, { count: 2 });
  const noPayload = await call(fake.url, 'POST', '/collections/Dot/points/query', { query: [1, 1] });
  t.notOk('payload' in (noPayload.json.result.points[0] ?? {}), 'payload only when asked for');
  await call(fake.url, 'POST', '/collections/Dot/points/delete?wait=true', {
    filter: { must: [{ key: 'doc', match: { value: 'a' } }] },
  });
  t.same(
    (await query('Dot', {})).map((p) => p.payload?.n),
    [2],
    'delete by filter',
  );
});

t.test('what the fake does not implement is a loud 501, never a silent success', async (t) => {
  const fake = await startFakeQdrant(t);
  await call(fake.url, 'PUT', '/collections/c', { vectors: { size: 2, distance: 'Dot' } });
  const res = await call(fake.url, 'POST', '/collections/c/points/query', {
    prefetch: [{ query: [1, 0] }],
    query: { fusion: 'dbsf' },
  });
  t.equal(res.status, 501);
  t.match(res.json.status.error, /fake Qdrant does not implement/);
});

t.test('sparse vectors with the idf modifier, and prefetch + rrf fusion, are computed', async (t) => {
  const fake = await startFakeQdrant(t);
  const created = await call(fake.url, 'PUT', '/collections/s', {
    vectors: { size: 2, distance: 'Dot' },
    sparse_vectors: { lexical: { modifier: 'idf' } },
  });
  t.equal(created.status, 200);
  const info = await call(fake.url, 'GET', '/collections/s');
  t.same(info.json.result.config.params.sparse_vectors, { lexical: { modifier: 'idf' } });
  const up = await call(fake.url, 'PUT', '/collections/s/points?wait=true', {
    points: [
      { id: 1, vector: { '': [1, 0], lexical: { indices: [7, 9], values: [2, 1] } } },
      { id: 2, vector: { '': [0, 1], lexical: { indices: [9], values: [1] } } },
      { id: 3, vector: [0.5, 0.5] },
    ],
  });
  t.equal(up.status, 200);
  const sparse = await call(fake.url, 'POST', '/collections/s/points/query', {
    query: { indices: [7, 9], values: [1, 1] },
    using: 'lexical',
  });
  const idf = (n: number, df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));
  t.same(
    sparse.json.result.points.map((p: { id: number }) => p.id),
    [1, 2],
    'only points sharing an index are found',
  );
  t.ok(Math.abs(sparse.json.result.points[0].score - (2 * idf(2, 1) + idf(2, 2))) < 1e-5, 'idf-weighted dot product');
  const unknown = await call(fake.url, 'POST', '/collections/s/points/query', {
    query: { indices: [1], values: [1] },
    using: 'nope',
  });
  t.equal(unknown.status, 400, 'an unknown vector name is wrong input');
  const uneven = await call(fake.url, 'PUT', '/collections/s/points', {
    points: [{ id: 4, vector: { '': [1, 0], lexical: { indices: [1, 2], values: [1] } } }],
  });
  t.equal(uneven.status, 422, 'indices and values of different lengths are refused');
  const fused = await call(fake.url, 'POST', '/collections/s/points/query', {
    prefetch: [
      { query: [1, 0], limit: 3 },
      { query: { indices: [9], values: [1] }, using: 'lexical', limit: 3 },
    ],
    query: { fusion: 'rrf' },
    limit: 3,
  });
  t.equal(fused.status, 200);
  const ids = fused.json.result.points.map((p: { id: number }) => p.id);
  t.equal(ids[0], 1, 'first in both prefetches is first');
  t.ok(Math.abs(fused.json.result.points[0].score - (1 / 2 + 1 / 2)) < 1e-6, 'rrf: 1/(k + position), k 2');
  const has = await call(fake.url, 'POST', '/collections/s/points/count', {
    filter: { must: [{ has_vector: 'lexical' }] },
    exact: true,
  });
  t.equal(has.json.result.count, 2, 'has_vector filters points with the sparse vector');
});
