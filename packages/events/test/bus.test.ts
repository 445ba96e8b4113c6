import { STREAMS } from '@lumikb/contracts';
import { createTestBus } from '@lumikb/test-kit';
import t from 'tap';

t.test('streams that projections rebuild from are kept for good; the others for 7 days, on disk', async (t) => {
  const { bus } = await createTestBus(t, { streams: [STREAMS.MODELS, STREAMS.KB, STREAMS.DOCUMENTS] });
  const info = async (name: string) => (await bus.jsm.streams.info(name)).config;
  const models = await info(bus.streamName(STREAMS.MODELS));
  const documents = await info(bus.streamName(STREAMS.DOCUMENTS));
  t.equal(models.max_age, 0, 'MODELS has no age limit');
  t.equal((await info(bus.streamName(STREAMS.KB))).max_age, 0, 'KB has no age limit');
  t.equal(documents.max_age, 7 * 24 * 3600 * 1e9, 'DOCUMENTS keeps 7 days');
  t.equal(models.storage, 'file', 'events survive a NATS restart');
  t.same(models.subjects, [bus.subject('model.>')]);
  // A second ensureStreams (every service start) updates in place and keeps the messages.
  await bus.publish('model.deleted', Buffer.from('{}'), 'one');
  await bus.ensureStreams([STREAMS.MODELS]);
  t.equal((await bus.jsm.streams.info(bus.streamName(STREAMS.MODELS))).state.messages, 1);
});
