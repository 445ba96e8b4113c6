/**
 * Malformed job messages (not JSON, or breaking the job contract) are terminated at once
 * — not redelivered — and counted in lumikb_event_terminated_total{reason="invalid"},
 * so the terminated-events alert sees them. A valid job after them is still processed.
 */
import { STREAMS } from '@lumikb/contracts';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

function terminatedCount(metrics: string, consumer: string, reason: string): number {
  const line = metrics
    .split('\n')
    .find(
      (l) =>
        l.startsWith('lumikb_event_terminated_total{') &&
        l.includes(`consumer="${consumer}"`) &&
        l.includes(`reason="${reason}"`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

t.test('poison job messages are terminated and counted; the queue moves on', async (t) => {
  const { api, kb, worker } = await startPipeline(t);
  const bus = kb.platform.bus;
  const subject = bus.subject('document.uploaded');
  await bus.js.publish(subject, Buffer.from('this is not JSON {'));
  await bus.js.publish(
    subject,
    Buffer.from(JSON.stringify({ id: 'x', type: 'document.uploaded', data: { kb_id: 1 } })),
  );
  await bus.js.publish(subject, Buffer.from('null'));

  const scrape = async () => (await worker!.app.inject({ method: 'GET', url: '/metrics' })).body;
  await waitFor(async () => terminatedCount(await scrape(), 'ingestion-worker-uploaded', 'invalid') >= 3, {
    what: 'three poison messages counted',
  });
  t.equal(
    terminatedCount(await scrape(), 'ingestion-worker-uploaded', 'invalid'),
    3,
    'each poison message counted once',
  );

  const info = await bus.jsm.consumers.info(bus.streamName(STREAMS.DOCUMENTS), 'ingestion-worker-uploaded');
  t.equal(info.num_ack_pending, 0, 'nothing left unacknowledged');
  t.equal(info.num_redelivered, 0, 'no poison message was delivered twice');

  const base = await api.createKb({ name: 'After poison' });
  const doc = await api.upload(base.id, 'fine.txt', 'A perfectly ordinary document about pumps.');
  const done = await api.waitForStatus(base.id, doc.id, ['READY', 'FAILED']);
  t.equal(done.status, 'READY', 'a valid job after the poison is processed');
});
