/**
 * A worker killed in the middle of indexing a document: another worker takes the job
 * over once the first one's heartbeats stop, and the document ends READY with exactly
 * its chunks — none duplicated, none missing.
 */
import { chunkText, extractText } from '@lumikb/ingest';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

t.test(
  'killing the worker mid-document, then starting another, ends READY with no duplicate or missing chunk',
  async (t) => {
    const pipeline = await startPipeline(t, { worker: false });
    const { api, kb, startWorker } = pipeline;
    const base = await api.createKb({ name: 'Crash', config_overrides: { chunk_size: 120, chunk_overlap: 0 } });
    const text = Array.from(
      { length: 80 },
      (_, i) => `Sentence number ${i} describes maintenance procedure ${i * 7} for pump model ${i % 9}.`,
    ).join(' ');
    const expected = chunkText(await extractText(Buffer.from(text), 'txt'), { chunkSize: 120, chunkOverlap: 0 }).length;
    t.ok(expected > 40, `the document makes ${expected} chunks`);

    let crashed = false;
    let reached!: () => void;
    const reachedPromise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = await startWorker(
      { INDEX_BATCH_SIZE: '10' },
      {
        hooks: {
          async afterBatch(step, done) {
            if (step === 'index' && done >= 20 && !crashed) {
              crashed = true;
              reached();
              await released; // the process "hangs" here: it is killed below
            }
          },
        },
      },
    );
    const doc = await api.upload(base.id, 'manual.txt', text);
    await reachedPromise;

    const partial = await kb.deps.vectors.count(base.collection, { document_id: doc.id });
    t.equal(partial, 20, 'the first worker indexed two batches before it died');
    const during = await api.waitForStatus(base.id, doc.id, 'PROCESSING');
    t.equal(during.current_step, 'index');

    // Kill: the connection goes away without an ack; heartbeats stop.
    await first.deps.bus.nc.close();
    await startWorker({ INDEX_BATCH_SIZE: '10' });

    const ready = await api.waitForStatus(base.id, doc.id, ['READY', 'FAILED'], 60_000);
    t.equal(ready.status, 'READY', 'the second worker finished the document');
    t.equal(ready.attempt, 1, 'recovered within the same attempt (redelivery), not by a manual retry');
    t.equal(ready.chunk_count, expected, 'chunk count as chunking says');
    t.equal(
      await kb.deps.vectors.count(base.collection, { document_id: doc.id }),
      expected,
      'no duplicate, none missing',
    );
    const content = await kb.app.inject({
      method: 'GET',
      url: `/api/v1/knowledge-bases/${base.id}/documents/${doc.id}/content`,
      headers: { authorization: `Bearer ${kb.tokens.operator}` },
    });
    t.equal(content.json().chunks.length, expected);

    // The "dead" worker wakes up: it must notice it lost the job and change nothing.
    release();
    await waitFor(
      async () => {
        const metrics = await first.app.inject({ method: 'GET', url: '/metrics' });
        return /lumikb_ingestion_in_flight\{[^}]*\} 0/.test(metrics.body);
      },
      { what: 'the first worker to give the job up', timeoutMs: 10_000 },
    );
    t.equal(await kb.deps.vectors.count(base.collection, { document_id: doc.id }), expected, 'still exact afterwards');
    t.equal((await api.document(base.id, doc.id)).status, 'READY');
    const jobs = await first.deps.db.db.selectFrom('jobs').selectAll().where('document_id', '=', doc.id).execute();
    t.equal(jobs.length, 1);
    t.match(jobs[0], { status: 'done', deliveries: 2, chunk_count: expected });
  },
);

t.test('a document or KB deleted while the worker processes it leaves no vectors behind', async (t) => {
  // Every document of this test waits at the index step until the test lets it go.
  const gates = new Map<string, { promise: Promise<void>; open: () => void }>();
  const gate = (docId: string) => {
    let entry = gates.get(docId);
    if (!entry) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      entry = { promise, open };
      gates.set(docId, entry);
    }
    return entry;
  };
  const reachedIndex = new Set<string>();
  const pipeline = await startPipeline(t, {
    workerOptions: {
      hooks: {
        async beforeStep(step, job) {
          if (step !== 'index') return;
          reachedIndex.add(job.documentId);
          await gate(job.documentId).promise;
        },
      },
    },
  });
  const { api, kb: kbApp } = pipeline;

  const base = await api.createKb({ name: 'Deleted under the worker' });
  const uploaded = await api.upload(base.id, 'a.txt', 'Alpha document about pumps and valves.');
  await waitFor(() => reachedIndex.has(uploaded.id), { what: 'the worker to reach the index step' });
  const del = await kbApp.app.inject({
    method: 'DELETE',
    url: `/api/v1/knowledge-bases/${base.id}/documents/${uploaded.id}`,
    headers: { authorization: `Bearer ${kbApp.tokens.operator}` },
  });
  t.equal(del.statusCode, 204);
  gate(uploaded.id).open();
  await waitFor(
    async () => {
      const job = await pipeline
        .worker!.deps.db.db.selectFrom('jobs')
        .select('status')
        .where('document_id', '=', uploaded.id)
        .executeTakeFirst();
      return job?.status === 'abandoned';
    },
    { what: 'the worker to give the deleted document up' },
  );
  t.equal(await kbApp.deps.vectors.count(base.collection, { document_id: uploaded.id }), 0, 'no orphan vectors');

  const doomed = await api.createKb({ name: 'Doomed' });
  const second = await api.upload(doomed.id, 'b.txt', 'Beta document about bearings.');
  await waitFor(() => reachedIndex.has(second.id), { what: 'the worker to reach the index step' });
  const dropped = await kbApp.app.inject({
    method: 'DELETE',
    url: `/api/v1/knowledge-bases/${doomed.id}`,
    headers: { authorization: `Bearer ${kbApp.tokens.operator}` },
  });
  t.equal(dropped.statusCode, 204);
  gate(second.id).open();
  await waitFor(
    async () => {
      const job = await pipeline
        .worker!.deps.db.db.selectFrom('jobs')
        .select('status')
        .where('document_id', '=', second.id)
        .executeTakeFirst();
      return job?.status === 'abandoned';
    },
    { what: 'the worker to give the document of the deleted KB up' },
  );
  t.equal(await kbApp.deps.vectors.collectionInfo(doomed.collection), null, 'the collection stays deleted');
});
