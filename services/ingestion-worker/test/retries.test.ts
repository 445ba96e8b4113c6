/**
 * Failures: transient model errors are retried with backoff, permanent ones end FAILED
 * at their step; failed documents are retried one by one or in bulk (every document
 * accounted for); operators watch the queue.
 */
import { randomUUID } from 'node:crypto';
import { auth, modelView, registerModel } from '@lumikb/knowledge-base/testing';
import { LlmRouter } from '@lumikb/llm';
import { startFakeOllama, type Teardown, userToken, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { type Pipeline, startPipeline } from './pipeline-helper.ts';

async function ollamaKb(t: Teardown, pipeline: Pipeline, name: string) {
  const ollama = await startFakeOllama(t);
  const model = await registerModel(
    pipeline.kb,
    modelView({
      type: 'embedding',
      provider: 'ollama' as never,
      name: 'MiniLM on Ollama',
      model_id: 'all-minilm',
      api_endpoint: ollama.url,
      config: { dimensions: 384, max_tokens: 512, normalize: true, distance_metric: 'cosine', batch_size: 16 },
    }),
  );
  const kb = await pipeline.api.createKb({ name, embedding_model_id: model.id });
  return { ollama, kb };
}

t.test('transient embedding failures are retried with backoff until the document is READY', async (t) => {
  const pipeline = await startPipeline(t, { workerOptions: { llm: new LlmRouter({ retries: 0 }) } });
  const { ollama, kb } = await ollamaKb(t, pipeline, 'Flaky model');
  ollama.failWith({ status: 503, path: '/api/embed', times: 2 });
  const doc = await pipeline.api.upload(kb.id, 'notes.txt', 'Pumps need oil. Valves need grease.');
  const ready = await pipeline.api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED']);
  t.equal(ready.status, 'READY', JSON.stringify(ready.step_errors));
  t.equal(ready.attempt, 1, 'no user retry was needed');
  t.equal(ollama.requestsTo('/api/embed', 'POST').length, 3, 'two failed calls, then one that worked');
  const job = await pipeline
    .worker!.deps.db.db.selectFrom('jobs')
    .selectAll()
    .where('document_id', '=', doc.id)
    .executeTakeFirstOrThrow();
  t.equal(job.deliveries, 3, 'the message was delivered three times');
  t.equal(job.status, 'done');
});

t.test('transient failures that outlast every delivery end FAILED, saying how often it was tried', async (t) => {
  const pipeline = await startPipeline(t, {
    workerEnv: { JOB_MAX_DELIVER: '2' },
    workerOptions: { llm: new LlmRouter({ retries: 0 }) },
  });
  const { ollama, kb } = await ollamaKb(t, pipeline, 'Down model');
  ollama.failWith({ status: 503, path: '/api/embed' });
  const doc = await pipeline.api.upload(kb.id, 'notes.txt', 'Pumps need oil.');
  const failed = await pipeline.api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED']);
  t.equal(failed.status, 'FAILED');
  t.equal(failed.current_step, 'embed');
  t.match(failed.step_errors, { embed: /gave up after 2 attempts/ });
  t.match(failed.processing_steps, {
    parse: { status: 'done' },
    chunk: { status: 'done' },
    embed: { status: 'error' },
  });
});

t.test('failed documents: single retry, bulk retry by ids and of all failed, with per-document errors', async (t) => {
  const pipeline = await startPipeline(t);
  const { api, kb: kbApp, tokens } = pipeline;
  const { ollama, kb } = await ollamaKb(t, pipeline, 'Missing model');
  ollama.failWith({
    status: 404,
    path: '/api/embed',
    body: { error: 'model "all-minilm" not found, try pulling it first' },
  });
  const docs = [];
  for (const name of ['a.txt', 'b.txt', 'c.txt'])
    docs.push(await api.upload(kb.id, name, `Document ${name} about pumps.`));
  for (const doc of docs) {
    const failed = await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED']);
    t.equal(failed.status, 'FAILED', `${doc.id} failed`);
    t.match(failed.step_errors, { embed: /not found/ }, 'the step error says why');
    t.equal(failed.error_message, (failed.step_errors as Record<string, string>).embed);
  }
  const operator = auth(tokens.operator);

  const tasks = await kbApp.app.inject({
    method: 'GET',
    url: '/api/v1/admin/queue/tasks?status=FAILED',
    headers: operator,
  });
  t.equal(tasks.statusCode, 200);
  t.equal(tasks.json().total, 3);
  t.match(tasks.json().items[0], {
    task_name: 'process_document',
    status: 'FAILED',
    current_step: 'embed',
    step_errors: { embed: /not found/ },
    processing_steps: { embed: { status: 'error' } },
    kb_name: 'Missing model',
  });

  ollama.clearFailures();
  const [a, b, c] = docs as unknown as [{ id: string }, { id: string }, { id: string }];
  const retried = await kbApp.app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${a.id}/retry`,
    headers: operator,
  });
  t.equal(retried.statusCode, 200);
  t.match(retried.json(), {
    status: 'PENDING',
    attempt: 2,
    step_errors: {},
    processing_steps: { embed: { status: 'pending' } },
  });
  t.equal((await api.waitForStatus(kb.id, a.id, ['READY', 'FAILED'])).status, 'READY');

  const again = await kbApp.app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${a.id}/retry`,
    headers: operator,
  });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'DOCUMENT_NOT_FAILED');

  const unknown = randomUUID();
  const bulk = await kbApp.app.inject({
    method: 'POST',
    url: '/api/v1/admin/queue/retry-failed',
    headers: operator,
    payload: { document_ids: [b.id, a.id, unknown] },
  });
  t.equal(bulk.statusCode, 200);
  t.equal(bulk.json().queued, 1);
  t.equal(bulk.json().failed, 2);
  t.same(
    bulk
      .json()
      .errors.map((e: { document_id: string; code: string }) => [e.document_id, e.code])
      .sort(),
    [
      [a.id, 'DOCUMENT_NOT_FAILED'],
      [unknown, 'DOCUMENT_NOT_FOUND'],
    ].sort(),
    'every document not queued is listed with its reason',
  );
  t.equal((await api.waitForStatus(kb.id, b.id, ['READY', 'FAILED'])).status, 'READY');

  const otherKb = await api.createKb({ name: 'Empty' });
  const scoped = await kbApp.app.inject({
    method: 'POST',
    url: '/api/v1/admin/queue/retry-failed',
    headers: operator,
    payload: { retry_all_failed: true, kb_id: otherKb.id },
  });
  t.same(scoped.json(), { queued: 0, failed: 0, errors: [] }, 'scoped to a KB without failures: nothing queued');
  const all = await kbApp.app.inject({
    method: 'POST',
    url: '/api/v1/admin/queue/retry-failed',
    headers: operator,
    payload: { retry_all_failed: true, kb_id: kb.id },
  });
  t.same(all.json(), { queued: 1, failed: 0, errors: [] });
  const doneC = await api.waitForStatus(kb.id, c.id, ['READY', 'FAILED']);
  t.equal(doneC.status, 'READY');
  t.equal(doneC.attempt, 2);

  for (const payload of [
    {},
    { retry_all_failed: false },
    { document_ids: [] },
    { document_ids: [a.id], retry_all_failed: true },
  ]) {
    const bad = await kbApp.app.inject({
      method: 'POST',
      url: '/api/v1/admin/queue/retry-failed',
      headers: operator,
      payload,
    });
    t.equal(bad.statusCode, 400, `${JSON.stringify(payload)} is refused`);
    t.equal(bad.json().code, 'INVALID_BULK_RETRY');
  }
  const user = await kbApp.app.inject({
    method: 'POST',
    url: '/api/v1/admin/queue/retry-failed',
    headers: auth(userToken(pipeline.platform.keys, 1)),
    payload: { retry_all_failed: true },
  });
  t.equal(user.statusCode, 403, 'level 1 cannot bulk retry');
});

t.test(
  'queue status shows consumers, in-flight work and the workers connected; the worker exports lumikb_queue_depth',
  async (t) => {
    let hold!: () => void;
    const held = new Promise<void>((resolve) => {
      hold = resolve;
    });
    let entered = false;
    const pipeline = await startPipeline(t, {
      workerEnv: { WORKER_CONCURRENCY: '1', WORKER_ID: 'worker-one' },
      workerOptions: {
        hooks: {
          async beforeStep(step) {
            if (step === 'embed') {
              entered = true;
              await held;
            }
          },
        },
      },
    });
    const { api, kb: kbApp, tokens, worker } = pipeline;
    const kb = await api.createKb({ name: 'Busy' });
    const first = await api.upload(kb.id, 'one.txt', 'First document about valves.');
    await api.upload(kb.id, 'two.txt', 'Second document about pumps.');
    await waitFor(() => entered, { what: 'the worker to hold the first document' });

    const status = await waitFor(
      async () => {
        const res = await kbApp.app.inject({
          method: 'GET',
          url: '/api/v1/admin/queue/status',
          headers: auth(tokens.operator),
        });
        const body = res.json();
        return body.in_flight === 1 && body.pending === 1 ? body : false;
      },
      { what: 'one in flight, one pending' },
    );
    t.equal(status.queue_depth, 2);
    t.equal(status.workers_connected, 1);
    t.match(status.workers[0], { worker_id: 'worker-one', concurrency: 1, in_flight: 1 });
    t.match(status.consumers, [
      { name: 'ingestion-worker-uploaded', event: 'document.uploaded', exists: true, in_flight: 1, pending: 1 },
      { name: 'ingestion-worker-retry', event: 'document.retry_requested', exists: true, pending: 0 },
    ]);
    t.match(status.documents, { PROCESSING: 1, PENDING: 1, total: 2 });

    const metrics = await worker!.app.inject({ method: 'GET', url: '/metrics' });
    t.match(metrics.body, /lumikb_queue_depth\{[^}]*\} 2/, 'queue depth exported by the worker');

    const tasks = await kbApp.app.inject({
      method: 'GET',
      url: '/api/v1/admin/queue/tasks',
      headers: auth(tokens.operator),
    });
    t.equal(tasks.json().total, 2, 'active tasks by default');
    const running = tasks.json().items.find((i: { document_id: string }) => i.document_id === first.id);
    t.match(running, {
      status: 'PROCESSING',
      current_step: 'chunk',
      processing_steps: { parse: { status: 'done' }, chunk: { status: 'in_progress' }, embed: { status: 'pending' } },
    });
    t.ok(running.started_at, 'a started task says since when');

    const denied = await kbApp.app.inject({
      method: 'GET',
      url: '/api/v1/admin/queue/status',
      headers: auth(userToken(pipeline.platform.keys, 1)),
    });
    t.equal(denied.statusCode, 403);

    hold();
    await api.waitForStatus(kb.id, first.id, 'READY');
    const stats = await kbApp.app.inject({
      method: 'GET',
      url: '/api/v1/admin/kb-stats',
      headers: auth(tokens.operator),
    });
    t.equal(stats.statusCode, 200);
    await waitFor(async () => {
      const s = (
        await kbApp.app.inject({ method: 'GET', url: '/api/v1/admin/kb-stats', headers: auth(tokens.operator) })
      ).json();
      return s.items[0].documents.READY === 2 ? s : false;
    });
    const body = (
      await kbApp.app.inject({ method: 'GET', url: '/api/v1/admin/kb-stats', headers: auth(tokens.operator) })
    ).json();
    t.match(body.items[0], { name: 'Busy', documents: { READY: 2, total: 2 }, chunk_count: 2, vector_count: 2 });
    t.ok(body.items[0].storage_bytes > 40);
    t.match(body.totals, { knowledge_bases: 1, documents: 2, chunks: 2 });
  },
);
