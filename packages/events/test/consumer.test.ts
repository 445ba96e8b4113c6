import { randomUUID } from 'node:crypto';
import { STREAMS, SYSTEM_ACTOR, SystemPing } from '@lumikb/contracts';
import { createTestBus, testLogger, waitFor } from '@lumikb/test-kit';
import { Registry } from 'prom-client';
import t from 'tap';
import { EventConsumer, filterSubject, type TerminatedMessage } from '../src/index.ts';

function ping(seq: number) {
  return {
    id: randomUUID(),
    type: 'system.ping',
    occurredAt: new Date().toISOString(),
    actor: SYSTEM_ACTOR,
    data: { seq },
  };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return Number(v?.value ?? 0);
}

t.test('a failing handler is redelivered with backoff, then terminated and reported', async (t) => {
  const { bus } = await createTestBus(t, { streams: [STREAMS.SYSTEM] });
  const registry = new Registry();
  const attempts: { attempt: number; at: number }[] = [];
  const terminated: TerminatedMessage[] = [];
  const consumer = new EventConsumer({
    bus,
    stream: STREAMS.SYSTEM,
    durable: 'always-fails',
    events: [SystemPing],
    logger: testLogger(),
    registry,
    maxDeliver: 3,
    backoffMs: [100, 200],
    handle: async (_event, delivery) => {
      attempts.push({ attempt: delivery.attempt, at: Date.now() });
      throw new Error('downstream is broken');
    },
    onTerminated: (failure) => {
      terminated.push(failure);
    },
  });
  await consumer.start();
  t.teardown(() => consumer.stop());

  const event = ping(1);
  await bus.publish('system.ping', Buffer.from(JSON.stringify(event)), event.id);
  await waitFor(() => terminated.length === 1 || undefined, { what: 'the message to be given up', timeoutMs: 15_000 });

  t.same(
    attempts.map((a) => a.attempt),
    [1, 2, 3],
    'delivered exactly maxDeliver times',
  );
  t.ok(attempts[1]!.at - attempts[0]!.at >= 90, 'first redelivery waited for the first backoff step');
  t.ok(attempts[2]!.at - attempts[1]!.at >= 190, 'second redelivery waited for the second backoff step');
  t.match(terminated[0], {
    consumer: 'always-fails',
    eventId: event.id,
    eventType: 'system.ping',
    attempts: 3,
    reason: 'failed',
    error: 'downstream is broken',
  });
  t.equal(await metric(registry, 'lumikb_event_terminated_total', { reason: 'failed' }), 1, 'failure counted');
  t.equal(await metric(registry, 'lumikb_event_handler_failures_total', { consumer: 'always-fails' }), 3);

  const info = await bus.jsm.consumers.info(bus.streamName(STREAMS.SYSTEM), 'always-fails');
  t.equal(info.num_pending + info.num_ack_pending, 0, 'nothing left to redeliver');
});

t.test('a transient failure is retried and then handled once', async (t) => {
  const { bus } = await createTestBus(t, { streams: [STREAMS.SYSTEM] });
  let calls = 0;
  const handled: number[] = [];
  const consumer = new EventConsumer({
    bus,
    stream: STREAMS.SYSTEM,
    durable: 'flaky',
    events: [SystemPing],
    logger: testLogger(),
    backoffMs: [50],
    handle: async (event) => {
      calls++;
      if (calls === 1) throw new Error('database briefly unavailable');
      handled.push((event.data as { seq: number }).seq);
    },
  });
  await consumer.start();
  t.teardown(() => consumer.stop());
  const event = ping(7);
  await bus.publish('system.ping', Buffer.from(JSON.stringify(event)), event.id);
  await waitFor(() => handled.length === 1 || undefined, { what: 'the retry to succeed' });
  t.equal(calls, 2);
  t.same(handled, [7]);
});

t.test('an event that breaks its contract is terminated at once as invalid', async (t) => {
  const { bus } = await createTestBus(t, { streams: [STREAMS.SYSTEM] });
  const registry = new Registry();
  const terminated: TerminatedMessage[] = [];
  let handled = 0;
  const consumer = new EventConsumer({
    bus,
    stream: STREAMS.SYSTEM,
    durable: 'strict',
    events: [SystemPing],
    logger: testLogger(),
    registry,
    handle: async () => {
      handled++;
    },
    onTerminated: (f) => {
      terminated.push(f);
    },
  });
  await consumer.start();
  t.teardown(() => consumer.stop());
  const bad = { ...ping(1), data: { seq: 'one' } };
  await bus.publish('system.ping', Buffer.from(JSON.stringify(bad)), bad.id);
  await bus.publish('system.ping', Buffer.from('not json'), randomUUID());
  await waitFor(() => terminated.length === 2 || undefined, { what: 'both messages rejected' });
  t.equal(handled, 0, 'the handler never saw them');
  t.same(
    terminated.map((f) => [f.reason, f.attempts]),
    [
      ['invalid', 1],
      ['invalid', 1],
    ],
  );
  t.match(terminated[0]?.error, /\/data\/seq/);
  t.equal(await metric(registry, 'lumikb_event_terminated_total', { reason: 'invalid' }), 2);
});

t.test('filter subjects fit the NATS 2.9 single-filter consumer', async (t) => {
  t.equal(filterSubject(['p.document.uploaded']), 'p.document.uploaded');
  t.equal(filterSubject(['p.document.uploaded', 'p.document.retry_requested']), 'p.document.>');
  t.equal(filterSubject(['model.created', 'kb.created']), undefined);
});
