/**
 * Documents: refused uploads store nothing, accepted ones are queued with their steps,
 * listing and paging, deletion removes vectors, retry only of FAILED documents, and the
 * worker's reports applied once, in order, with stale ones ignored.
 */
import { randomUUID } from 'node:crypto';
import {
  ACCEPTED_FILE_TYPES,
  DEFAULT_SETTINGS_SNAPSHOT,
  INGESTION_CONSUMERS,
  initialProcessingSteps,
  STREAMS,
} from '@lumikb/contracts';
import { makeDocx, makePdf, PNG_BYTES } from '@lumikb/ingest/testing';
import { type Teardown, waitFor } from '@lumikb/test-kit';
import { pointId } from '@lumikb/vector-store';
import { AckPolicy } from 'nats';
import t from 'tap';
import { sweepStuckDocuments } from '../src/documents/sweep.ts';
import { auth, buildTestApp, multipart, queueProbe, seedDefaultModels } from './helper.ts';

async function setup(t: Teardown, env: Record<string, string> = {}, options: Parameters<typeof buildTestApp>[2] = {}) {
  const built = await buildTestApp(t, env, options);
  await seedDefaultModels(built);
  const kb = (
    await built.app.inject({
      method: 'POST',
      url: '/api/v1/knowledge-bases',
      headers: auth(built.tokens.operator),
      payload: { name: 'Docs' },
    })
  ).json();
  const upload = (filename: string, content: Buffer | string, token = built.tokens.operator) => {
    const body = multipart(filename, content);
    return built.app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kb.id}/documents`,
      headers: { ...auth(token), ...body.headers },
      payload: body.payload,
    });
  };
  const stored = async () => ({
    documents: (await built.deps.db.db.selectFrom('documents').select('id').execute()).length,
    originals: (await built.deps.db.db.selectFrom('document_originals').select('document_id').execute()).length,
    uploadedEvents: (
      await built.deps.db.db.selectFrom('outbox').select('id').where('subject', '=', 'document.uploaded').execute()
    ).length,
  });
  return { ...built, kb, upload, stored };
}

t.test('bad uploads are refused with a code and nothing is stored', async (t) => {
  const { upload, stored, app, kb, tokens } = await setup(t, { MAX_UPLOAD_BYTES: '1024' });
  const cases: [string, Buffer | string, number, string][] = [
    ['picture.pdf', PNG_BYTES, 415, 'UNSUPPORTED_FILE_TYPE'],
    ['picture.png', PNG_BYTES, 415, 'UNSUPPORTED_FILE_TYPE'],
    ['fake.pdf', 'just text pretending', 415, 'UNSUPPORTED_FILE_TYPE'],
    ['table.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2, 3]), 415, 'UNSUPPORTED_FILE_TYPE'],
    ['binary.txt', Buffer.from([0, 1, 2, 3, 0, 0, 9]), 415, 'UNSUPPORTED_FILE_TYPE'],
    ['empty.txt', '', 400, 'EMPTY_FILE'],
    ['blank.md', '   \n\n  ', 400, 'EMPTY_FILE'],
    ['large.txt', 'x'.repeat(2048), 413, 'FILE_TOO_LARGE'],
  ];
  for (const [name, content, status, code] of cases) {
    const res = await upload(name, content);
    t.equal(res.statusCode, status, `${name} → ${status}`);
    t.equal(res.json().code, code, `${name} → ${code}`);
  }
  const noFile = await app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents`,
    headers: { ...auth(tokens.operator), 'content-type': 'application/json' },
    payload: { file: 'x' },
  });
  t.equal(noFile.statusCode, 400);
  t.equal(noFile.json().code, 'FILE_MISSING');
  const wrongField = multipart('a.txt', 'hello', 'other');
  const noFilePart = await app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents`,
    headers: { ...auth(tokens.operator), 'content-type': wrongField.headers['content-type'] },
    payload: Buffer.from(`--${wrongField.headers['content-type'].split('boundary=')[1]}--\r\n`),
  });
  t.equal(noFilePart.statusCode, 400, 'a multipart body without a file');
  t.same(await stored(), { documents: 0, originals: 0, uploadedEvents: 0 }, 'no row, no bytes, no event');
  const tooLarge = await upload('large.txt', 'x'.repeat(2048));
  t.match(tooLarge.json(), { message: /1 KiB/, details: { max_bytes: 1024 } });
  const zipAsCsv = await upload('table.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2, 3]));
  t.match(zipAsCsv.json(), {
    message: /named \.csv but its content is a ZIP archive, not a CSV/,
    details: { supported: ACCEPTED_FILE_TYPES.map((type) => type.format) },
  });
  const readme = await upload('README.FHS', 'The Filesystem Hierarchy Standard, as Debian ships it.\n');
  t.equal(readme.statusCode, 201, 'a text file of an unknown type is accepted as text');
  t.equal(readme.json().format, 'txt');
});

t.test('the upload limit follows the hot-reloaded max_upload_size_mb setting (config.updated)', async (t) => {
  const { upload, bus, app } = await setup(t, { MAX_UPLOAD_BYTES: '100' });
  t.equal((await upload('a.txt', 'y'.repeat(200))).statusCode, 413, 'env default before any setting arrives');
  const id = randomUUID();
  const data = {
    ...DEFAULT_SETTINGS_SNAPSHOT,
    version: 4,
    updated_at: new Date().toISOString(),
    system: { ...DEFAULT_SETTINGS_SNAPSHOT.system, max_upload_size_mb: 1 },
    reason: 'changed',
    scope: 'system',
    changed_fields: ['system.max_upload_size_mb'],
  };
  const envelope = {
    id,
    type: 'config.updated',
    occurredAt: new Date().toISOString(),
    actor: { type: 'user', id: randomUUID() },
    data,
  };
  await bus.publish('config.updated', Buffer.from(JSON.stringify(envelope)), id);
  await waitFor(
    async () => {
      const ready = (await app.inject({ method: 'GET', url: '/ready' })).json();
      return ready.checks.settings?.detail?.version === 4;
    },
    { what: 'the KB service to hold settings version 4' },
  );
  t.equal(
    (await upload('a.txt', 'y'.repeat(200))).statusCode,
    201,
    'the new limit applies to the next upload, no restart',
  );
  const over = await upload('b.txt', 'y'.repeat(1024 * 1024 + 1));
  t.equal(over.statusCode, 413);
  t.match(over.json(), { code: 'FILE_TOO_LARGE', details: { max_bytes: 1024 * 1024 } });
});

t.test('an accepted upload is PENDING with its steps, stored, and announced as document.uploaded', async (t) => {
  const { upload, app, kb, tokens, deps, stored } = await setup(t);
  const res = await upload('../../etc/report.pdf', makePdf(['Hello']));
  t.equal(res.statusCode, 201);
  const doc = res.json();
  t.match(doc, {
    kb_id: kb.id,
    filename: 'report.pdf',
    format: 'pdf',
    content_type: 'application/pdf',
    status: 'PENDING',
    attempt: 1,
    chunk_count: 0,
    current_step: 'upload',
    step_errors: {},
    processing_steps: {
      upload: { status: 'done' },
      parse: { status: 'pending', started_at: null },
      chunk: { status: 'pending' },
      embed: { status: 'pending' },
      index: { status: 'pending' },
    },
  });
  t.same(await stored(), { documents: 1, originals: 1, uploadedEvents: 1 });
  const event = await deps.db.db
    .selectFrom('outbox')
    .select('payload')
    .where('subject', '=', 'document.uploaded')
    .executeTakeFirstOrThrow();
  t.match(event.payload, {
    data: { document_id: doc.id, kb_id: kb.id, format: 'pdf', attempt: 1, sha256: doc.sha256 },
  });

  const original = await app.inject({
    method: 'GET',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}/original`,
    headers: auth(tokens.operator),
  });
  t.equal(original.statusCode, 200);
  t.same(original.rawPayload, makePdf(['Hello']), 'the original bytes are kept as uploaded');
  t.match(original.headers['content-disposition'], /report\.pdf/);

  const content = await app.inject({
    method: 'GET',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}/content`,
    headers: auth(tokens.operator),
  });
  t.equal(content.statusCode, 409);
  t.equal(content.json().code, 'DOCUMENT_NOT_PROCESSED');

  const retry = await app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}/retry`,
    headers: auth(tokens.operator),
  });
  t.equal(retry.statusCode, 409, 'only FAILED documents can be retried');
  t.equal(retry.json().code, 'DOCUMENT_NOT_FAILED');
});

t.test('listing filters by status and pages; get and delete (with its vectors)', async (t) => {
  const { upload, app, kb, tokens, deps } = await setup(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await upload(`doc-${i}.docx`, await makeDocx([`Paragraph ${i}`]))).json().id);
  await deps.db.db.updateTable('documents').set({ status: 'FAILED' }).where('id', 'in', ids.slice(0, 2)).execute();
  const list = (query: string) =>
    app.inject({
      method: 'GET',
      url: `/api/v1/knowledge-bases/${kb.id}/documents${query}`,
      headers: auth(tokens.operator),
    });
  t.match((await list('?limit=2')).json(), { total: 5, limit: 2, offset: 0, items: [{ id: ids[4] }, { id: ids[3] }] });
  t.match((await list('?limit=2&offset=4')).json(), { total: 5, items: [{ id: ids[0] }] });
  const failed = (await list('?status=FAILED')).json();
  t.equal(failed.total, 2);
  t.ok(failed.items.every((d: { status: string }) => d.status === 'FAILED'));
  t.equal((await list('?status=DONE')).statusCode, 400, 'unknown status refused');
  t.equal((await list('?q=doc-3')).json().total, 1);

  const [target] = ids as [string];
  const point = {
    id: pointId(target, 0),
    vector: Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0)),
    payload: { kb_id: kb.id, document_id: target, chunk_index: 0, text: 'x', start_offset: 0, end_offset: 1 },
  };
  await deps.vectors.upsert(kb.collection, [point]);
  t.equal(await deps.vectors.count(kb.collection, { document_id: target }), 1);
  const del = await app.inject({
    method: 'DELETE',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${target}`,
    headers: auth(tokens.operator),
  });
  t.equal(del.statusCode, 204);
  t.equal(await deps.vectors.count(kb.collection, { document_id: target }), 0, 'its vectors are gone');
  t.equal(
    (
      await app.inject({
        method: 'GET',
        url: `/api/v1/knowledge-bases/${kb.id}/documents/${target}`,
        headers: auth(tokens.operator),
      })
    ).statusCode,
    404,
  );
  t.equal(
    (
      await deps.db.db
        .selectFrom('document_originals')
        .select('document_id')
        .where('document_id', '=', target)
        .execute()
    ).length,
    0,
    'the original is gone',
  );
  const wrongKb = await app.inject({
    method: 'GET',
    url: `/api/v1/knowledge-bases/${randomUUID()}/documents/${ids[1]}`,
    headers: auth(tokens.operator),
  });
  t.equal(wrongKb.statusCode, 404);
});

t.test('worker reports are applied once, in order; stale and duplicate ones change nothing', async (t) => {
  const { upload, app, kb, tokens, bus } = await setup(t);
  const doc = (await upload('a.txt', 'hello world')).json();
  const steps = initialProcessingSteps(doc.created_at);
  const report = (type: string, data: Record<string, unknown>, id = randomUUID()) =>
    publishEnvelope(bus, type, { document_id: doc.id, kb_id: kb.id, worker_id: 'w1', ...data }, id);
  const get = async () =>
    (
      await app.inject({
        method: 'GET',
        url: `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`,
        headers: auth(tokens.operator),
      })
    ).json();

  const parsing = {
    ...steps,
    parse: { status: 'in_progress', started_at: new Date().toISOString(), completed_at: null },
  };
  await report('document.step_changed', {
    attempt: 1,
    seq: 2,
    step: 'parse',
    status: 'in_progress',
    processing_steps: parsing,
  });
  await waitFor(async () => (await get()).status === 'PROCESSING');
  // seq 1 arrives late: ignored.
  await report('document.step_changed', {
    attempt: 1,
    seq: 1,
    step: 'upload',
    status: 'done',
    processing_steps: steps,
  });
  const done = Object.fromEntries(
    Object.entries(steps).map(([k, v]) => [
      k,
      { ...v, status: 'done', started_at: v.started_at ?? doc.created_at, completed_at: new Date().toISOString() },
    ]),
  );
  const processedId = randomUUID();
  await report(
    'document.processed',
    { attempt: 1, seq: 9, chunk_count: 4, character_count: 11, processing_steps: done, duration_ms: 120 },
    processedId,
  );
  const ready = await waitFor(async () => {
    const d = await get();
    return d.status === 'READY' ? d : false;
  });
  t.match(ready, { status: 'READY', chunk_count: 4, character_count: 11, current_step: null, duration_ms: 120 });
  t.ok(ready.processed_at && ready.processing_started_at);

  // A zombie worker's later report for the same attempt, and an older attempt's failure.
  await report('document.failed', {
    attempt: 1,
    seq: 12,
    step: 'embed',
    error: 'zombie',
    retryable: true,
    processing_steps: done,
    step_errors: { embed: 'zombie' },
  });
  await report(
    'document.processed',
    { attempt: 1, seq: 9, chunk_count: 99, character_count: 1, processing_steps: done, duration_ms: 1 },
    processedId,
  );
  // Make sure the consumer got past them: one more event it must apply.
  const other = (await upload('b.txt', 'second')).json();
  await publishEnvelope(bus, 'document.step_changed', {
    document_id: other.id,
    kb_id: kb.id,
    worker_id: 'w1',
    attempt: 1,
    seq: 1,
    step: 'parse',
    status: 'in_progress',
    processing_steps: parsing,
  });
  await waitFor(async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/knowledge-bases/${kb.id}/documents/${other.id}`,
      headers: auth(tokens.operator),
    });
    return res.json().status === 'PROCESSING';
  });
  t.match(await get(), { status: 'READY', chunk_count: 4, error_message: null }, 'stale and duplicate reports ignored');
});

t.test(
  'a document stuck PROCESSING is re-queued as a new attempt, then FAILED after the allowed re-queues',
  async (t) => {
    let now = new Date();
    const { upload, app, kb, tokens, deps, config } = await setup(
      t,
      { STUCK_DOCUMENT_AFTER_MS: '60000', STUCK_MAX_REQUEUES: '1' },
      { clock: () => now },
    );
    // The real queue: the worker's durable consumers on this test's stream, with no worker
    // behind them, so job messages wait there until the test drains them.
    const stream = deps.bus.streamName(STREAMS.DOCUMENTS);
    for (const { durable, event } of INGESTION_CONSUMERS) {
      await deps.bus.jsm.consumers.add(stream, {
        durable_name: durable,
        filter_subject: deps.bus.subject(event),
        ack_policy: AckPolicy.Explicit,
      });
    }
    const doc = (await upload('a.txt', 'stuck')).json();
    const ctx = { ...deps, db: deps.db.db, config, clock: () => now } as never;
    const probe = () => queueProbe(ctx);
    const waitForQueue = (pending: number) =>
      waitFor(async () => (await probe())?.pending === pending, { what: `${pending} job messages in the queue` });
    await waitForQueue(1);
    await deps.db.db
      .updateTable('documents')
      .set({ status: 'PROCESSING', current_step: 'embed' })
      .where('id', '=', doc.id)
      .execute();

    t.same(await sweepStuckDocuments(ctx, probe), { requeued: [], failed: [] }, 'recent progress: left alone');
    now = new Date(Date.now() + 61_000);
    t.same(await sweepStuckDocuments(ctx, probe), { requeued: [doc.id], failed: [] });
    const get = async () =>
      (
        await app.inject({
          method: 'GET',
          url: `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`,
          headers: auth(tokens.operator),
        })
      ).json();
    t.match(await get(), { status: 'PENDING', attempt: 2 });
    const retryEvent = await deps.db.db
      .selectFrom('outbox')
      .select('payload')
      .where('subject', '=', 'document.retry_requested')
      .executeTakeFirstOrThrow();
    t.match(retryEvent.payload, {
      data: { document_id: doc.id, attempt: 2, reason: 'stuck' },
      actor: { type: 'system' },
    });

    // Past the stuck time, its retry job still waits in the queue: not lost, not stuck.
    await waitForQueue(2);
    now = new Date(Date.now() + 200_000);
    t.same(
      await sweepStuckDocuments(ctx, probe),
      { requeued: [], failed: [] },
      'PENDING behind a busy queue is not stuck',
    );
    // A worker takes both jobs and never reports: the queue is empty, the document is stuck.
    for (const { durable } of INGESTION_CONSUMERS) {
      const consumer = await deps.bus.js.consumers.get(stream, durable);
      for await (const message of await consumer.fetch({ max_messages: 1, expires: 2_000 })) await message.ackAck();
    }
    t.match(await probe(), { pending: 0, inFlight: 0 }, 'the queue is empty');
    t.same(await sweepStuckDocuments(ctx, probe), { requeued: [], failed: [doc.id] }, 'requeues used up: FAILED');
    const failed = await get();
    t.match(failed, {
      status: 'FAILED',
      current_step: 'parse',
      step_errors: { parse: /No progress for more than 1 min/ },
    });
    t.equal(failed.processing_steps.parse.status, 'error');
  },
);

async function publishEnvelope(
  bus: Awaited<ReturnType<typeof buildTestApp>>['bus'],
  type: string,
  data: unknown,
  id = randomUUID(),
) {
  const envelope = {
    id,
    type,
    occurredAt: new Date().toISOString(),
    actor: { type: 'service', id: 'ingestion-worker' },
    data,
  };
  await bus.publish(type, Buffer.from(JSON.stringify(envelope)), `${id}-${Math.random()}`);
}
