import { STREAMS, SystemPing } from '@lumikb/contracts';

import { createTestBus, hostPort, startTcpProxy, testInfra, testLogger, waitFor } from '@lumikb/test-kit';
import pg from 'pg';
import { Registry } from 'prom-client';
import t from 'tap';
import {
  applyOnce,
  EventBus,
  EventConsumer,
  OutboxRelay,
  pendingEvent,
  recordEvent,
  recordEvents,
} from '../src/index.ts';
import { context, SCHEMA, testDatabase } from './fixture.ts';

t.test('an event committed while NATS is unreachable is delivered once NATS is back, exactly once', async (t) => {
  const { handle } = await testDatabase(t);
  const { db } = handle;
  const { bus: observer, prefix } = await createTestBus(t, { streams: [STREAMS.SYSTEM] });

  // The relay reaches NATS only through a proxy the test can cut.
  const { natsUrl } = await testInfra();
  const target = hostPort(natsUrl, 4222);
  const proxy = await startTcpProxy(t, target.host, target.port);
  const relayBus = await EventBus.connect({ url: proxy.url(natsUrl), name: 'relay', prefix });
  t.teardown(() => relayBus.close());
  const relay = new OutboxRelay({
    db,
    pool: handle.pool,
    schema: SCHEMA,
    bus: relayBus,
    logger: testLogger(),
    minBackoffMs: 50,
    maxBackoffMs: 200,
  });
  t.teardown(() => relay.stop());

  const registry = new Registry();
  const consumer = new EventConsumer({
    bus: observer,
    stream: STREAMS.SYSTEM,
    durable: 'widget-projection',
    events: [SystemPing],
    logger: testLogger(),
    registry,
    handle: async (event) => {
      await applyOnce(db, 'widget-projection', event.id, async (trx) => {
        await trx
          .insertInto('applied')
          .values({ event_id: event.id, seq: (event.data as { seq: number }).seq })
          .execute();
      });
    },
  });
  await consumer.start();
  t.teardown(() => consumer.stop());

  proxy.cut();

  await db.transaction().execute(async (trx) => {
    await trx.insertInto('widgets').values({ id: 1, name: 'kept' }).execute();
    await recordEvent(trx, SystemPing, { seq: 1 }, context);
  });
  await t.rejects(
    db.transaction().execute(async (trx) => {
      await trx.insertInto('widgets').values({ id: 2, name: 'rolled back' }).execute();
      await recordEvent(trx, SystemPing, { seq: 2 }, context);
      throw new Error('business rule failed after the event was written');
    }),
  );

  relay.start();
  const attempted = await waitFor(
    async () => {
      const row = await db.selectFrom('outbox').selectAll().executeTakeFirst();
      return row && row.attempts >= 1 ? row : undefined;
    },
    { what: 'a failed publish attempt while NATS is cut', timeoutMs: 15_000 },
  );
  t.equal(attempted.sent_at, null, 'not marked sent while NATS is unreachable');
  const streamName = observer.streamName(STREAMS.SYSTEM);
  t.equal((await observer.jsm.streams.info(streamName)).state.messages, 0, 'nothing reached the stream');

  proxy.restore();
  await waitFor(async () => (await db.selectFrom('applied').selectAll().execute()).length === 1 || undefined, {
    what: 'the consumer to apply the event',
    timeoutMs: 20_000,
  });
  const sent = await db.selectFrom('outbox').select(['id', 'sent_at', 'payload']).execute();
  t.equal(sent.length, 1, 'only the committed event is in the outbox');
  t.not(sent[0]?.sent_at, null, 'marked sent after delivery');

  // The relay dying between publish and marking sent republishes with the same msgID:
  // JetStream drops the duplicate.
  const envelope = sent[0]!.payload as { id: string };
  await observer.publish('system.ping', Buffer.from(JSON.stringify(envelope)), envelope.id);
  t.equal((await observer.jsm.streams.info(streamName)).state.messages, 1, 'duplicate publish de-duplicated by msgID');

  // A redelivery that slips past de-duplication (another msgID) changes nothing.
  await observer.publish('system.ping', Buffer.from(JSON.stringify(envelope)), `${envelope.id}-again`);
  await waitFor(
    async () => {
      const info = await observer.jsm.consumers.info(streamName, 'widget-projection');
      return info.ack_floor.stream_seq >= 2 || undefined;
    },
    { what: 'the duplicate to be handled and acked' },
  );
  const applied = await db.selectFrom('applied').selectAll().execute();
  t.same(
    applied.map((a) => a.seq),
    [1],
    'applied exactly once; the rolled-back event never delivered',
  );
  t.same(
    (await db.selectFrom('widgets').select('name').execute()).map((w) => w.name),
    ['kept'],
  );
});

t.test('an invalid event is refused at write time and nothing is committed', async (t) => {
  const { handle } = await testDatabase(t);
  await t.rejects(
    handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('widgets').values({ id: 3, name: 'x' }).execute();
      await recordEvent(trx, SystemPing, { seq: 'not a number' } as never, context);
    }),
    /invalid system\.ping event/,
  );
  t.equal((await handle.db.selectFrom('widgets').selectAll().execute()).length, 0);
  t.equal((await handle.db.selectFrom('outbox').selectAll().execute()).length, 0);
});

t.test('recordEvents writes several events in one insert; one invalid event refuses them all', async (t) => {
  const { handle } = await testDatabase(t);
  await handle.db
    .transaction()
    .execute((trx) =>
      recordEvents(trx, [pendingEvent(SystemPing, { seq: 10 }), pendingEvent(SystemPing, { seq: 11 })], context),
    );
  const rows = await handle.db.selectFrom('outbox').select(['id', 'subject', 'payload']).execute();
  const payloads = rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
  t.same(payloads.map((p) => p.data.seq).sort(), [10, 11]);
  t.same(
    payloads.map((p) => p.id).sort(),
    rows.map((r) => r.id).sort(),
    'each row is keyed by its own event id (the msgID)',
  );
  t.ok(rows.every((r) => r.subject === SystemPing.type));
  await t.rejects(
    handle.db
      .transaction()
      .execute((trx) =>
        recordEvents(
          trx,
          [pendingEvent(SystemPing, { seq: 12 }), pendingEvent(SystemPing, { seq: 'x' } as never)],
          context,
        ),
      ),
    /invalid system\.ping event/,
  );
  t.equal((await handle.db.selectFrom('outbox').selectAll().execute()).length, 2, 'nothing of the refused batch');
});

t.test('the relay publishes promptly on commit (NOTIFY), in commit order', async (t) => {
  const { handle } = await testDatabase(t);
  const { bus } = await createTestBus(t, { streams: [STREAMS.SYSTEM] });
  const relay = new OutboxRelay({
    db: handle.db,
    pool: handle.pool,
    schema: SCHEMA,
    bus,
    logger: testLogger(),
    pollIntervalMs: 60_000, // only the NOTIFY can wake it in time
  });
  relay.start();
  t.teardown(() => relay.stop());
  for (let seq = 1; seq <= 5; seq++) {
    await handle.db.transaction().execute((trx) => recordEvent(trx, SystemPing, { seq }, context).then(() => {}));
  }
  const streamName = bus.streamName(STREAMS.SYSTEM);
  await waitFor(async () => (await bus.jsm.streams.info(streamName)).state.messages === 5 || undefined, {
    what: 'five events published without waiting for a poll',
  });
  const seqs: number[] = [];
  for (let n = 1; n <= 5; n++) {
    const m = await bus.jsm.streams.getMessage(streamName, { seq: n });
    seqs.push((m.json() as { data: { seq: number } }).data.seq);
  }
  t.same(seqs, [1, 2, 3, 4, 5], 'published in commit order');
});

t.test('the relay survives its LISTEN connection being killed, listens again and keeps publishing', async (t) => {
  const { handle, database } = await testDatabase(t);
  const { bus } = await createTestBus(t, { streams: [STREAMS.SYSTEM] });
  const relay = new OutboxRelay({
    db: handle.db,
    pool: handle.pool,
    schema: SCHEMA,
    bus,
    logger: testLogger(),
    pollIntervalMs: 60_000, // only a NOTIFY (or the re-listen's catch-up) can wake it in time
  });
  relay.start();
  t.teardown(() => relay.stop());
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  t.teardown(() => admin.end());
  const listenerPid = () =>
    admin
      .query<{ pid: number }>(
        "select pid from pg_stat_activity where datname = current_database() and query like 'listen %' and pid <> pg_backend_pid()",
      )
      .then((r) => r.rows[0]?.pid);
  const first = await waitFor(listenerPid, { what: 'the relay to LISTEN' });
  await admin.query('select pg_terminate_backend($1)', [first]);
  const second = await waitFor(
    async () => {
      const pid = await listenerPid();
      return pid !== undefined && pid !== first ? pid : undefined;
    },
    { what: 'the relay to LISTEN again on a new connection' },
  );
  t.not(second, first);
  await handle.db.transaction().execute((trx) => recordEvent(trx, SystemPing, { seq: 42 }, context).then(() => {}));
  const streamName = bus.streamName(STREAMS.SYSTEM);
  await waitFor(async () => (await bus.jsm.streams.info(streamName)).state.messages === 1 || undefined, {
    what: 'the event published through the new LISTEN connection',
  });
  t.pass('published after the reconnect');
});
