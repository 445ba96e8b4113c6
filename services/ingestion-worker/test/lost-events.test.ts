/**
 * A PENDING document whose job message was lost is re-queued by the stuck-document sweep
 * while other jobs wait in the queue (under load), not only once the queue is empty;
 * the documents whose jobs are still waiting are left alone. Real JetStream queue.
 */
import { STREAMS } from '@lumikb/contracts';
import { queueProbe, sweepStuckDocuments } from '@lumikb/knowledge-base/testing';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

t.test('a lost job is swept under load; waiting jobs are not', async (t) => {
  const pipeline = await startPipeline(t, {
    kbEnv: { STUCK_DOCUMENT_AFTER_MS: '60000', STUCK_QUEUE_ORDER_MARGIN_MS: '200' },
  });
  const { api, kb, startWorker } = pipeline;
  // The worker created its durable consumers; with it stopped, jobs pile up (load).
  await pipeline.worker!.app.close();
  const bus = kb.platform.bus;
  const stream = bus.streamName(STREAMS.DOCUMENTS);
  const db = kb.deps.db.db;
  const sentAt = (docId: string) =>
    waitFor(
      async () => {
        const rows = await db
          .selectFrom('outbox')
          .select(['sent_at', 'payload'])
          .where('subject', '=', 'document.uploaded')
          .execute();
        const row = rows.find((r) => (r.payload as { data: { document_id: string } }).data.document_id === docId);
        return row?.sent_at ?? undefined;
      },
      { what: `the job of ${docId} published` },
    );

  const base = await api.createKb({ name: 'Lost events' });
  const lost = await api.upload(base.id, 'lost.txt', 'This job message will be lost.');
  const lostSentAt = await sentAt(lost.id);
  const message = await bus.jsm.streams.getMessage(stream, { last_by_subj: bus.subject('document.uploaded') });
  t.ok(await bus.jsm.streams.deleteMessage(stream, message.seq), 'the job message is lost');

  await waitFor(() => Date.now() > lostSentAt.getTime() + 400, { what: 'the margin to pass' });
  const waiting = [
    await api.upload(base.id, 'waiting-1.txt', 'This job waits in the queue.'),
    await api.upload(base.id, 'waiting-2.txt', 'This job waits in the queue too.'),
  ];
  for (const doc of waiting) await sentAt(doc.id);

  const ctx = { ...kb.deps, db, config: kb.config, clock: () => new Date(Date.now() + 61_000) } as never;
  const queue = await queueProbe(ctx);
  t.equal(queue?.pending, 2, 'two jobs wait in the queue: it is not empty');
  t.ok(queue?.oldestWaitingAt, 'the probe knows when the oldest waiting job was published');

  t.same(
    await sweepStuckDocuments(ctx, () => queueProbe(ctx)),
    { requeued: [lost.id], failed: [] },
    'only the lost job',
  );
  t.match(await api.document(base.id, lost.id), { status: 'PENDING', attempt: 2 }, 'the lost document is re-queued');
  for (const doc of waiting) t.match(await api.document(base.id, doc.id), { status: 'PENDING', attempt: 1 });

  await startWorker();
  for (const doc of [lost, ...waiting]) {
    t.equal((await api.waitForStatus(base.id, doc.id, ['READY', 'FAILED'], 30_000)).status, 'READY', `${doc.id} READY`);
  }
});
