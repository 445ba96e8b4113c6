/**
 * The background lexical backfill (docs/retrieval.md#backfill): chunks stored without
 * keyword terms get them from their text, with progress on the KB, search answering
 * meanwhile, and a knowledge-base process killed (SIGKILL) mid-backfill resuming on restart
 * without losing or duplicating anything.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@lumikb/test-kit';
import { termFrequencies } from '@lumikb/text-analysis';
import { pointId, type VectorStore } from '@lumikb/vector-store';
import pg from 'pg';
import t, { type Test } from 'tap';
import type { KbContext } from '../src/context.ts';
import { backfillStep, scheduleLexicalBackfill } from '../src/knowledge-bases/lexical-backfill.ts';
import { auth, buildTestApp, multipart, seedDefaultModels } from './helper.ts';

const SERVICE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Distinct words per chunk, so a keyword query finds exactly one chunk. */
const textOf = (i: number) =>
  `Maintenance note ${i}: the turbine blade marker${i}x was inspected and the bearings replaced.`;

/** A KB whose chunks were stored without terms, as the worker wrote them before keyword search. */
async function legacyKb(t: Test, chunks: number) {
  // The in-process app's own backfill loop looks once at start (nothing yet) and then not for an hour:
  // the backfill under test is the one of the child processes (or the explicit steps).
  const built = await buildTestApp(t, { LEXICAL_BACKFILL_IDLE_MS: '3600000' });
  await seedDefaultModels(built);
  const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    built.app.inject({ method, url, headers: auth(built.tokens.operator), ...(payload ? { payload } : {}) });
  // No query expansion: the backfill is under test, so a keyword query finds exactly the
  // chunks holding its word (RM3 would add neighbours sharing the expansion terms).
  const kb = (
    await call('POST', '/api/v1/knowledge-bases', {
      name: 'Legacy manuals',
      config_overrides: { query_expansion: 'none' },
    })
  ).json();
  const body = multipart('manual.txt', 'the manual');
  const upload = await built.app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents`,
    headers: { ...auth(built.tokens.operator), ...body.headers },
    payload: body.payload,
  });
  t.equal(upload.statusCode, 201, 'a document row for the chunks');
  const documentId: string = upload.json().id;
  const vectors = built.deps.vectors;
  const points = Array.from({ length: chunks }, (_, i) => ({
    id: pointId(documentId, i),
    vector: Array.from({ length: kb.dimensions }, (_, d) => Math.sin(i * 7 + d)),
    payload: {
      kb_id: kb.id,
      document_id: documentId,
      chunk_index: i,
      text: textOf(i),
      start_offset: i * 100,
      end_offset: i * 100 + 99,
    },
  }));
  for (let i = 0; i < points.length; i += 200) await vectors.upsert(kb.collection, points.slice(i, i + 200));
  await scheduleLexicalBackfill(built.deps.db.db, kb.id);
  const row = () =>
    built.deps.db.db.selectFrom('lexical_backfills').selectAll().where('kb_id', '=', kb.id).executeTakeFirstOrThrow();
  const keyword = (query: string) =>
    call('POST', '/api/v1/search', { query, kb_ids: [kb.id], retrieval_mode: 'keyword', top_k: 5 });
  // What the statistics must be once every chunk has its terms: computed from the texts.
  const expectedLength = points.reduce((sum, p) => sum + termFrequencies(p.payload.text, 'english').length, 0);
  const expectedPostings = points.reduce((sum, p) => sum + termFrequencies(p.payload.text, 'english').tf.size, 0);
  return { built, call, kb, documentId, vectors, row, keyword, expectedLength, expectedPostings };
}

async function postingsOf(databaseUrl: string, collection: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const schema = (
      await client.query<{ schemaname: string }>(`select schemaname from pg_tables where tablename = 'postings'`)
    ).rows[0]!.schemaname;
    const result = await client.query<{ n: number }>(
      `select count(*)::int as n from "${schema}".postings p join "${schema}".collections c on c.id = p.collection_id
       where c.name = $1`,
      [collection],
    );
    return result.rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** The knowledge-base service as its own process (src/server.ts), on the test's database and bus. */
function startService(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: SERVICE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

t.test('the backfill gives old chunks their terms; keyword search then finds them; progress on the KB', async (t) => {
  const { built, call, kb, vectors, row, keyword, expectedLength } = await legacyKb(t, 12);
  const before = (await call('GET', `/api/v1/knowledge-bases/${kb.id}`)).json();
  t.match(before.lexical_index, { state: 'pending' }, 'the KB says its keyword index is to be built');
  const pending = (await keyword('marker7x')).json();
  t.same(pending.results, [], 'not found by keyword before the backfill');
  t.equal(pending.retrieval[0].lexical_index, 'building', 'and the response says the index is being built');

  const stepCtx = contextOf(built, { LEXICAL_BACKFILL_BATCH: 5 });
  t.ok(await backfillStep(stepCtx), 'prepares: counts the chunks without terms');
  t.match(await row(), { state: 'building', done: 0, total: 12 });
  t.ok(await backfillStep(stepCtx), 'one batch');
  t.match(await row(), { state: 'building', done: 5 });
  const building = (await call('GET', `/api/v1/knowledge-bases/${kb.id}`)).json();
  t.same(building.lexical_index, { state: 'building', done: 5, total: 12, message: null }, 'progress on the KB');
  while (await backfillStep(stepCtx));
  t.match(await row(), { state: 'done', done: 12, total: 12 });

  const found = (await keyword('marker7x')).json();
  t.same(
    found.results.map((r: { chunk_index: number }) => r.chunk_index),
    [7],
    'keyword search finds the old chunk',
  );
  t.equal(found.retrieval[0].lexical_index, 'indexed');
  t.same((await call('GET', `/api/v1/knowledge-bases/${kb.id}`)).json().lexical_index, {
    state: 'ready',
    done: 12,
    total: 12,
    message: null,
  });
  const stats = await vectors.lexicalStats(kb.collection);
  t.equal(stats.documents, 12);
  t.equal(stats.averageLength, expectedLength / 12, 'statistics exact');
});

t.test(
  'a batch whose terms were written but whose progress was not saved is done again, changing nothing',
  async (t) => {
    const { built, kb, vectors, row, expectedLength, expectedPostings } = await legacyKb(t, 10);
    const crashing = new Proxy(vectors, {
      get(target, key, receiver) {
        if (key === 'addLexical') {
          return async (...args: Parameters<VectorStore['addLexical']>) => {
            await target.addLexical(...args);
            throw new Error('the process died here');
          };
        }
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const ctx = contextOf(built, { LEXICAL_BACKFILL_BATCH: 4 });
    await backfillStep(ctx);
    await t.rejects(backfillStep({ ...ctx, vectors: crashing }), /died here/);
    t.match(await row(), { state: 'building', done: 0, cursor: null }, 'the progress row rolled back');
    t.equal((await vectors.lexicalStats(kb.collection)).documents, 4, 'but the terms of the batch were written');
    while (await backfillStep(ctx));
    t.match(await row(), { state: 'done', done: 10, total: 10 });
    const stats = await vectors.lexicalStats(kb.collection);
    t.equal(stats.documents, 10, 'every chunk counted once');
    t.equal(stats.averageLength, expectedLength / 10);
    t.equal(await postingsOf(built.platform.env.DATABASE_URL!, kb.collection), expectedPostings, 'no posting twice');
  },
);

t.test('kill the knowledge-base process mid-backfill: search answers meanwhile, and a restart resumes', async (t) => {
  const chunks = 600;
  const { built, call, kb, vectors, row, keyword, expectedLength, expectedPostings } = await legacyKb(t, chunks);
  const env = {
    ...built.platform.env,
    PORT: '0',
    LOG_LEVEL: 'warn',
    LEXICAL_BACKFILL_BATCH: '10',
    LEXICAL_BACKFILL_IDLE_MS: '100',
  };
  const first = startService(env);
  t.teardown(() => stop(first, 'SIGKILL'));
  await waitFor(async () => (await row()).done >= 100 && (await row()).state === 'building', {
    timeoutMs: 120_000,
    what: 'the first process to be part-way through the backfill',
  });
  // Search while the backfill runs: answers, says the index is being built, finds done chunks by keyword.
  const during = await keyword('marker0x');
  t.equal(during.statusCode, 200, 'search answers during the backfill');
  t.equal(during.json().retrieval[0].lexical_index, 'building');
  const hybrid = await call('POST', '/api/v1/search', { query: 'turbine bearings', kb_ids: [kb.id] });
  t.equal(hybrid.statusCode, 200);
  t.ok(hybrid.json().results.length > 0, 'hybrid answers with passages meanwhile');
  t.match((await call('GET', `/api/v1/knowledge-bases/${kb.id}`)).json().lexical_index, {
    state: 'building',
    total: chunks,
  });

  await stop(first, 'SIGKILL');
  t.equal(first.signalCode, 'SIGKILL', 'killed, not stopped');
  const killed = await row();
  t.equal(killed.state, 'building', 'killed mid-backfill');
  t.ok(killed.done < chunks, `killed after ${killed.done} of ${chunks} chunks`);
  const withTerms = chunks - (await vectors.countWithoutLexical(kb.collection));
  t.ok(withTerms >= killed.done, 'every chunk counted as done has its terms');
  t.equal((await vectors.lexicalStats(kb.collection)).documents, withTerms, 'statistics agree with the chunks');
  t.equal(await vectors.count(kb.collection), chunks, 'no chunk lost');

  const second = startService(env);
  t.teardown(() => stop(second, 'SIGKILL'));
  await waitFor(async () => (await row()).state === 'done', {
    timeoutMs: 180_000,
    what: 'the restarted process to finish the backfill',
  });
  await stop(second, 'SIGTERM');

  const finished = await row();
  t.equal(finished.done, chunks, 'each chunk counted once across both processes');
  t.equal(await vectors.countWithoutLexical(kb.collection), 0, 'every chunk has its terms');
  t.equal(await vectors.count(kb.collection), chunks, 'nothing lost, nothing duplicated');
  const stats = await vectors.lexicalStats(kb.collection);
  t.equal(stats.documents, chunks, 'statistics exact');
  t.equal(stats.averageLength, expectedLength / chunks, 'total length exact');
  t.equal(await postingsOf(built.platform.env.DATABASE_URL!, kb.collection), expectedPostings, 'postings exact');
  for (const i of [0, killed.done, chunks - 1]) {
    const hit = (await keyword(`marker${i}x`)).json();
    t.same(
      hit.results.map((r: { chunk_index: number }) => r.chunk_index),
      [i],
      `chunk ${i} found by keyword`,
    );
  }
});

/** The app's context for explicit steps, with another batch size. */
function contextOf(
  built: Awaited<ReturnType<typeof buildTestApp>>,
  config: { LEXICAL_BACKFILL_BATCH: number },
): KbContext {
  return {
    db: built.deps.db.db,
    vectors: built.deps.vectors,
    config: { ...built.config, ...config },
    logger: built.deps.logger,
    clock: () => new Date(),
  } as unknown as KbContext;
}
