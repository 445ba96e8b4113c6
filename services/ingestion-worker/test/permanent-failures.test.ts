/**
 * Failures of the parse step that are final: an unreadable file and a parse stopped by
 * its time limit end FAILED on their first delivery and say a retry will not help; the
 * sandbox process that was stopped is replaced for the next document.
 */
import { makeManyPagePdf } from '@lumikb/ingest/testing';
import t from 'tap';
import { deliveriesOf, startPipeline } from './pipeline-helper.ts';

t.test('an unreadable file fails at once and says it will fail again', async (t) => {
  const pipeline = await startPipeline(t);
  const { api } = pipeline;
  const base = await api.createKb({ name: 'Unreadable' });
  const doc = await api.upload(base.id, 'broken.pdf', '%PDF-1.4\ngarbage that is not a pdf');
  const failed = await api.waitForStatus(base.id, doc.id, ['READY', 'FAILED']);
  t.equal(failed.status, 'FAILED');
  t.match(failed.error_message, /^UNREADABLE_DOCUMENT: The PDF cannot be read.*will fail again\.$/);
  t.equal(await deliveriesOf(pipeline, doc.id), 1, 'the job was not redelivered');
});

t.test('a parse over its time limit is stopped and FAILED, and the next document is parsed', async (t) => {
  const pipeline = await startPipeline(t, { workerEnv: { PARSE_TIMEOUT_MS: '300', WORKER_CONCURRENCY: '1' } });
  const { api } = pipeline;
  const base = await api.createKb({ name: 'Slow' });
  const slow = await api.upload(base.id, 'slow.pdf', makeManyPagePdf(1_999));
  const failed = await api.waitForStatus(base.id, slow.id, ['READY', 'FAILED']);
  t.equal(failed.status, 'FAILED');
  t.match(failed.error_message, /^PARSE_LIMIT_EXCEEDED: time_ms >\d+ \(limit 300 ms\)/);
  t.equal(await deliveriesOf(pipeline, slow.id), 1);
  const next = await api.upload(base.id, 'next.txt', 'The sandbox was replaced.');
  t.equal((await api.waitForStatus(base.id, next.id, ['READY', 'FAILED'])).status, 'READY');
});

t.test('a parse that outlasts the ack wait keeps its lease: one delivery, READY', async (t) => {
  // Before parsing moved out of the worker's event loop, a long parse starved the
  // heartbeat: the job lost its lease and restarted from zero (issue 12, finding 2).
  const ackWaitMs = 600;
  const pipeline = await startPipeline(t, {
    workerEnv: { JOB_ACK_WAIT_MS: String(ackWaitMs), WORKER_CONCURRENCY: '1' },
  });
  const { api } = pipeline;
  const base = await api.createKb({ name: 'Long parse' });
  const started = performance.now();
  const doc = await api.upload(base.id, 'long.pdf', makeManyPagePdf(1_999));
  const done = await api.waitForStatus(base.id, doc.id, ['READY', 'FAILED'], 120_000);
  const tookMs = performance.now() - started;
  t.equal(done.status, 'READY', String(done.error_message ?? ''));
  // Only meaningful when the work outlasted several ack waits (a PDF of 1,999 pages does).
  t.ok(tookMs > 3 * ackWaitMs, `processing took ${Math.round(tookMs)} ms, over three ack waits`);
  t.equal(await deliveriesOf(pipeline, doc.id), 1, 'the job was never redelivered');
});
