/**
 * Step reports are folded (STEP_REPORT_INTERVAL_MS): quick steps travel with the next
 * report instead of one transaction (and one KB apply) each, while a step that lasts is
 * still shown as it runs.
 */

import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

type Report = { type: string; data: { document_id?: string; seq?: number; step?: string } };

/** The worker's reports of one document (from its outbox), in `seq` order. */
async function reportsOf(pipeline: Awaited<ReturnType<typeof startPipeline>>, documentId: string) {
  const rows = await pipeline.worker!.deps.db.db.selectFrom('outbox').select(['payload']).execute();
  return rows
    .map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Report)
    .filter((event) => event.data?.document_id === documentId)
    .sort((a, b) => (a.data.seq ?? 0) - (b.data.seq ?? 0))
    .map((event) => (event.type === 'document.step_changed' ? `${event.type}:${event.data.step}` : event.type));
}

t.test('a one-chunk document processed within the interval writes one report: processed', async (t) => {
  // An interval longer than the document takes, so the folding does not depend on the machine's speed.
  const pipeline = await startPipeline(t, { workerEnv: { STEP_REPORT_INTERVAL_MS: '60000' } });
  const { api } = pipeline;
  const base = await api.createKb({ name: 'Small files' });
  const doc = await api.upload(base.id, 'note.txt', 'A short note about the pump.');
  const ready = await api.waitForStatus(base.id, doc.id, ['READY', 'FAILED']);
  t.equal(ready.status, 'READY');
  t.equal(ready.chunk_count, 1);
  for (const step of ['parse', 'chunk', 'embed', 'index']) {
    t.equal((ready.processing_steps as Record<string, { status: string }>)[step]?.status, 'done', `${step} done`);
  }
  t.same(await reportsOf(pipeline, doc.id), ['document.processed']);
});

t.test('a step that outlasts the interval is reported while it runs', async (t) => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held = false;
  const pipeline = await startPipeline(t, {
    workerEnv: { STEP_REPORT_INTERVAL_MS: '100' },
    workerOptions: {
      hooks: {
        async beforeStep(step) {
          // Chunking has started (and is folded); the embed step waits here.
          if (step === 'embed' && !held) {
            held = true;
            await released;
          }
        },
      },
    },
  });
  const { api } = pipeline;
  const base = await api.createKb({ name: 'Slow step' });
  const doc = await api.upload(base.id, 'note.txt', 'A short note about the valve.');
  await waitFor(() => held, { what: 'the worker to hold the document before embedding' });
  const during = await waitFor(
    async () => {
      const current = await api.document(base.id, doc.id);
      return current.current_step === 'chunk' ? current : false;
    },
    { what: 'the held chunk step to be reported' },
  );
  t.match(during.processing_steps, { parse: { status: 'done' }, chunk: { status: 'in_progress' } });
  release();
  const ready = await api.waitForStatus(base.id, doc.id, ['READY', 'FAILED']);
  t.equal(ready.status, 'READY');
});
