/**
 * Idempotency-Key: a retry after a lost response gets the first result (same status and
 * body) and creates nothing new; the key with another request is refused; concurrent
 * duplicates create one resource; a key held by a request in progress answers 409; keys
 * expire and belong to one user.
 */
import { sql } from '@lumikb/db';
import type { Teardown } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, multipart, seedDefaultModels } from './helper.ts';

async function setup(t: Teardown, env: Record<string, string> = {}, clock?: () => Date) {
  const built = await buildTestApp(t, env, clock ? { clock } : {});
  await seedDefaultModels(built);
  const createKb = (name: string, key?: string, token = built.tokens.operator) =>
    built.app.inject({
      method: 'POST',
      url: '/api/v1/knowledge-bases',
      headers: { ...auth(token), ...(key ? { 'idempotency-key': key } : {}) },
      payload: { name },
    });
  const kbCount = async () => (await built.deps.db.db.selectFrom('knowledge_bases').select('id').execute()).length;
  const docCount = async () => (await built.deps.db.db.selectFrom('documents').select('id').execute()).length;
  const upload = (kbId: string, filename: string, content: string, key?: string) => {
    const body = multipart(filename, content);
    return built.app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kbId}/documents`,
      headers: { ...auth(built.tokens.operator), ...body.headers, ...(key ? { 'idempotency-key': key } : {}) },
      payload: body.payload,
    });
  };
  return { ...built, createKb, kbCount, docCount, upload };
}

t.test('a retried KB creation returns the first result and creates one KB', async (t) => {
  const { createKb, kbCount } = await setup(t);
  const first = await createKb('Handbook', 'create-1');
  t.equal(first.statusCode, 201);
  const retry = await createKb('Handbook', 'create-1');
  t.equal(retry.statusCode, 201, 'same status');
  t.same(retry.json(), first.json(), 'same body');
  t.equal(retry.headers['idempotent-replayed'], 'true', 'the retry says it is a replay');
  t.notOk(first.headers['idempotent-replayed']);
  t.equal(await kbCount(), 1, 'one KB');

  const other = await createKb('Another name', 'create-1');
  t.equal(other.statusCode, 422, 'the key with a different request');
  t.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED');
  t.equal(await kbCount(), 1);

  const noKey = await createKb('Handbook');
  t.equal(noKey.statusCode, 201, 'without a key every request creates');
  t.equal(await kbCount(), 2);

  const badKey = await createKb('Handbook', 'x'.repeat(256));
  t.equal(badKey.statusCode, 400);
  t.equal(badKey.json().code, 'INVALID_IDEMPOTENCY_KEY');
});

t.test('keys belong to one user', async (t) => {
  const { createKb, kbCount, tokens } = await setup(t);
  const mine = await createKb('Mine', 'shared-key');
  const theirs = await createKb('Mine', 'shared-key', tokens.admin);
  t.equal(theirs.statusCode, 201);
  t.not(theirs.json().id, mine.json().id, 'another user with the same key creates their own KB');
  t.equal(await kbCount(), 2);
});

t.test('a retried upload returns the first document; another file under the key is refused', async (t) => {
  const { createKb, upload, docCount } = await setup(t);
  const kb = (await createKb('Docs')).json();
  const first = await upload(kb.id, 'a.txt', 'alpha beta gamma', 'upload-1');
  t.equal(first.statusCode, 201);
  const retry = await upload(kb.id, 'a.txt', 'alpha beta gamma', 'upload-1');
  t.equal(retry.statusCode, 201);
  t.equal(retry.json().id, first.json().id, 'the same document');
  t.equal(await docCount(), 1, 'stored once');
  const changed = await upload(kb.id, 'a.txt', 'something else entirely', 'upload-1');
  t.equal(changed.statusCode, 422);
  t.equal(changed.json().code, 'IDEMPOTENCY_KEY_REUSED');
  t.equal(await docCount(), 1, 'nothing stored for the refused request');
});

t.test('concurrent duplicates create one document and all get its result', async (t) => {
  const { createKb, upload, docCount } = await setup(t);
  const kb = (await createKb('Docs')).json();
  const results = await Promise.all(
    Array.from({ length: 5 }, () => upload(kb.id, 'same.txt', 'the same words', 'concurrent-1')),
  );
  t.same(
    results.map((r) => r.statusCode),
    [201, 201, 201, 201, 201],
  );
  t.equal(new Set(results.map((r) => r.json().id)).size, 1, 'one document id for all');
  t.equal(await docCount(), 1);
});

t.test('a key held by a request in progress answers 409 IDEMPOTENCY_IN_PROGRESS', async (t) => {
  const { createKb, kbCount, deps, tokens } = await setup(t, { IDEMPOTENCY_WAIT_MS: '200' });
  const { sub } = JSON.parse(Buffer.from(tokens.operator.split('.')[1]!, 'base64url').toString());
  await deps.db.db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    await conn
      .insertInto('idempotency_keys')
      .values({
        user_id: sub,
        key: 'held',
        route: 'POST /api/v1/knowledge-bases',
        request_hash: 'x',
        response_status: 0,
        response_body: 'null',
        expires_at: new Date(Date.now() + 60_000),
      })
      .execute();
    const res = await createKb('Handbook', 'held');
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'IDEMPOTENCY_IN_PROGRESS');
    t.equal(res.headers['retry-after'], '1');
    await sql`rollback`.execute(conn);
  });
  t.equal(await kbCount(), 0);
  const after = await createKb('Handbook', 'held');
  t.equal(after.statusCode, 201, 'once the holder gave up, the key is free');
});

t.test('an expired key is forgotten', async (t) => {
  let now = new Date(Date.now() - 2 * 24 * 3_600_000);
  const { createKb, kbCount } = await setup(t, {}, () => now);
  const first = await createKb('Handbook', 'old-key');
  now = new Date();
  const later = await createKb('Handbook', 'old-key');
  t.equal(later.statusCode, 201);
  t.not(later.json().id, first.json().id, 'a new KB after the key expired');
  t.equal(await kbCount(), 2);
});
