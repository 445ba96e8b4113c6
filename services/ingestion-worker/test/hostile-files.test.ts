/**
 * Hostile uploads (generated here, never stored) end FAILED with PARSE_LIMIT_EXCEEDED at
 * once — delivered one time, not retried — while the worker keeps answering /health and
 * processing ordinary documents.
 */
import { makeDocxBomb, makeDocxWithEntries, makeLongText, makeManyPagePdf } from '@lumikb/ingest/testing';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { deliveriesOf, startPipeline } from './pipeline-helper.ts';

const MiB = 1024 * 1024;

t.test('hostile files end FAILED with PARSE_LIMIT_EXCEEDED, once, while the worker stays responsive', async (t) => {
  const pipeline = await startPipeline(t, { workerEnv: { PARSE_MAX_CHUNKS: '50', WORKER_CONCURRENCY: '2' } });
  const { api, worker } = pipeline;
  const base = await api.createKb({ name: 'Hostile', config_overrides: { chunk_size: 500, chunk_overlap: 50 } });

  const hostile = [
    { name: 'bomb.docx', bytes: await makeDocxBomb(300 * MiB), limit: 'inflated_bytes', step: 'parse' },
    { name: 'parts.docx', bytes: await makeDocxWithEntries(5_001), limit: 'archive_entries', step: 'parse' },
    { name: 'pages.pdf', bytes: makeManyPagePdf(20_000), limit: 'pdf_pages', step: 'parse' },
    { name: 'long.txt', bytes: makeLongText(200_000), limit: 'chunks', step: 'chunk' },
  ];
  const uploaded = [];
  for (const file of hostile) uploaded.push({ ...file, doc: await api.upload(base.id, file.name, file.bytes) });
  const normal = await api.upload(base.id, 'normal.txt', 'Pumps need oil. Valves need grease.');

  // /health is asked over and over while the hostile files are parsed: every answer is 200.
  const health: number[] = [];
  const ids = [...uploaded.map((u) => u.doc.id), normal.id];
  const final = await waitFor(
    async () => {
      health.push((await worker!.app.inject({ method: 'GET', url: '/health' })).statusCode);
      const docs = await Promise.all(ids.map((id) => api.document(base.id, id)));
      return docs.every((d) => d.status === 'READY' || d.status === 'FAILED') ? docs : false;
    },
    { timeoutMs: 60_000, intervalMs: 50, what: 'every document processed' },
  );
  t.ok(health.length > 1, `/health asked ${health.length} times while the files were processed`);
  t.same([...new Set(health)], [200], 'the worker answered /health every time');

  t.equal(final.at(-1)!.status, 'READY', 'the normal document was processed beside the hostile ones');
  for (const [i, file] of uploaded.entries()) {
    const doc = final[i]!;
    t.equal(doc.status, 'FAILED', `${file.name} FAILED`);
    t.equal(doc.current_step, file.step, `${file.name} failed at ${file.step}`);
    t.match(
      doc.error_message,
      new RegExp(`^PARSE_LIMIT_EXCEEDED: ${file.limit} .*Permanent: retrying the unchanged file will fail again\\.$`),
      `${file.name}: ${doc.error_message}`,
    );
    t.equal(await deliveriesOf(pipeline, file.doc.id), 1, `${file.name} was not retried`);
  }
});
