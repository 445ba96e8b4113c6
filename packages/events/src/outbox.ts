/**
 * Transactional outbox: a state change and its event are written in one transaction;
 * the relay publishes committed events to JetStream (msgID = event id) and marks them
 * sent, retrying while NATS is unreachable.
 */
import { randomUUID } from 'node:crypto';
import type { Actor, EventDefinition, EventEnvelope } from '@lumikb/contracts';
import { backoffDelay } from '@lumikb/retry';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { EventBus } from './bus.ts';
import { contractProblems } from './contract-errors.ts';
import { type EventKitTables, outboxChannel } from './outbox-schema.ts';

export interface EventContext {
  actor: Actor;
  requestId?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: any service database that includes the outbox table
type WithOutbox = Kysely<any>;

const validators = new WeakMap<object, ReturnType<typeof Compile>>();
function validatorFor(def: EventDefinition) {
  let v = validators.get(def);
  if (!v) {
    v = Compile(def.envelope);
    validators.set(def, v);
  }
  return v;
}

/** One event to record: its definition and its data. */
export interface PendingEvent<E extends EventDefinition = EventDefinition> {
  def: E;
  data: Static<E['data']>;
}

/** An event to record with `recordEvents` (typed by its definition). */
export function pendingEvent<E extends EventDefinition>(def: E, data: Static<E['data']>): PendingEvent<E> {
  return { def, data };
}

function envelopeOf<E extends EventDefinition>(
  def: E,
  data: Static<E['data']>,
  context: EventContext,
): EventEnvelope<E['type'], Static<E['data']>> {
  const envelope: EventEnvelope<E['type'], Static<E['data']>> = {
    id: randomUUID(),
    type: def.type,
    occurredAt: new Date().toISOString(),
    actor: context.actor,
    ...(context.requestId ? { requestId: context.requestId } : {}),
    data,
  };
  const validator = validatorFor(def);
  if (!validator.Check(envelope)) {
    const problems = contractProblems(validator, envelope);
    throw new Error(`invalid ${def.type} event: ${problems.join('; ')}`);
  }
  return envelope;
}

/**
 * Writes an event into the outbox inside the caller's transaction. The envelope is
 * validated against the contract first: an invalid event is a programming error and
 * rolls the whole change back rather than being published.
 */
export async function recordEvent<E extends EventDefinition>(
  trx: WithOutbox,
  def: E,
  data: Static<E['data']>,
  context: EventContext,
): Promise<EventEnvelope<E['type'], Static<E['data']>>> {
  const envelope = envelopeOf(def, data, context);
  await (trx as Kysely<EventKitTables>)
    .insertInto('outbox')
    .values({ id: envelope.id, subject: def.type, payload: JSON.stringify(envelope) })
    .execute();
  return envelope;
}

/**
 * Several events of one change in one insert (one round trip instead of one each), each
 * validated as `recordEvent` does. Events of one transaction carry no order among
 * themselves either way (they share its `created_at`).
 */
export async function recordEvents(trx: WithOutbox, events: PendingEvent[], context: EventContext): Promise<void> {
  if (events.length === 0) return;
  const envelopes = events.map((e) => envelopeOf(e.def, e.data, context));
  await (trx as Kysely<EventKitTables>)
    .insertInto('outbox')
    .values(
      envelopes.map((envelope) => ({ id: envelope.id, subject: envelope.type, payload: JSON.stringify(envelope) })),
    )
    .execute();
}

export interface OutboxRelayOptions {
  db: WithOutbox;
  pool: pg.Pool;
  schema: string;
  bus: EventBus;
  logger: Logger;
  registry?: Registry;
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (e.g. the listening connection dropped). */
  pollIntervalMs?: number;
  /** Backoff after a failed publish, doubling up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class OutboxRelay {
  private running = false;
  private wake: (() => void) | undefined;
  /** Set by a NOTIFY that arrived while a drain was already running. */
  private notified = false;
  private listener: { client: pg.PoolClient; release: (destroy: boolean) => void } | undefined;
  private loop: Promise<void> | undefined;
  private listening: Promise<void> | undefined;
  /** Failed drains in a row: the next wait is the shared backoff for this count. */
  private failuresInARow = 0;
  private readonly published: Counter;
  private readonly failures: Counter;
  private healthy = true;

  constructor(private readonly options: OutboxRelayOptions) {
    const registers = options.registry ? [options.registry] : [];
    this.published = new Counter({
      name: 'lumikb_outbox_published_total',
      help: 'Events published from the outbox to JetStream',
      registers,
    });
    this.failures = new Counter({
      name: 'lumikb_outbox_publish_failures_total',
      help: 'Failed attempts to publish an outbox event (retried)',
      registers,
    });
    const db = options.db as Kysely<EventKitTables>;
    new Gauge({
      name: 'lumikb_outbox_backlog',
      help: 'Events committed to the outbox and not yet published',
      registers,
      async collect() {
        const row = await db
          .selectFrom('outbox')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('sent_at', 'is', null)
          .executeTakeFirst()
          .catch(() => undefined);
        if (row) this.set(Number(row.n));
      },
    });
  }

  /** True while the last publish attempt succeeded (surfaced by /ready as a detail). */
  get isHealthy(): boolean {
    return this.healthy;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.listening = this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listening;
    const listener = this.listener;
    if (listener) {
      const unlistened = await listener.client.query(`unlisten "${outboxChannel(this.options.schema)}"`).then(
        () => true,
        () => false,
      );
      listener.release(!unlistened);
    }
  }

  /** Publishes everything currently pending; returns how many were sent. */
  async drainOnce(): Promise<number> {
    const db = this.options.db as Kysely<EventKitTables>;
    const batchSize = this.options.batchSize ?? 100;
    let total = 0;
    for (;;) {
      const sent = await db.transaction().execute(async (trx) => {
        // Marking events sent need not wait for the disk: should a database crash lose the
        // mark, the events are published again under the same msgID — the case of a relay
        // that crashes between publishing and committing, which every consumer handles
        // already (JetStream de-duplicates within its window, consumers apply an event id
        // once). A drain follows every commit that wrote an event: one disk flush fewer
        // per upload or worker report.
        await sql`set local synchronous_commit = off`.execute(trx);
        const rows = await trx
          .selectFrom('outbox')
          .select(['id', 'subject', 'payload'])
          .where('sent_at', 'is', null)
          .orderBy('created_at')
          .orderBy('id')
          .limit(batchSize)
          .forUpdate()
          .skipLocked()
          .execute();
        const ok: string[] = [];
        let failure: unknown;
        for (const row of rows) {
          try {
            const body = Buffer.from(JSON.stringify(row.payload));
            await this.options.bus.publish(row.subject, body, row.id);
            ok.push(row.id);
          } catch (error) {
            failure = error;
            await trx
              .updateTable('outbox')
              .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: String(error) }))
              .where('id', '=', row.id)
              .execute();
            break; // keep order: nothing after a failed event goes out before it
          }
        }
        if (ok.length > 0) {
          // clock_timestamp(), not now() (the transaction's start, before the publishes):
          // the stuck-document sweep reads sent_at as "published no later than", and
          // compares it with the stream's own message times. Under load the batch's
          // publishes can take longer than the sweep's margin.
          await trx.updateTable('outbox').set({ sent_at: sql`clock_timestamp()` }).where('id', 'in', ok).execute();
        }
        return { count: ok.length, more: rows.length === batchSize, failure };
      });
      total += sent.count;
      this.published.inc(sent.count);
      if (sent.failure) {
        this.failures.inc();
        throw sent.failure;
      }
      if (!sent.more) return total;
    }
  }

  private async run(): Promise<void> {
    const poll = this.options.pollIntervalMs ?? 1_000;
    const backoff = { baseDelayMs: this.options.minBackoffMs ?? 200, maxDelayMs: this.options.maxBackoffMs ?? 10_000 };
    while (this.running) {
      let delay = poll;
      this.notified = false;
      try {
        await this.drainOnce();
        if (!this.healthy) this.options.logger.info('outbox relay publishing again');
        this.healthy = true;
        this.failuresInARow = 0;
      } catch (error) {
        if (this.healthy) {
          this.options.logger.warn({ err: error }, 'outbox relay cannot publish; retrying with backoff');
        }
        this.healthy = false;
        this.failuresInARow++;
        delay = backoffDelay(this.failuresInARow, backoff);
      }
      if (!this.running) break;
      if (this.notified && this.healthy) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** A commit happened: drain now (unless backing off from a NATS outage). */
  private poke(): void {
    this.notified = true;
    if (this.healthy) this.wake?.();
  }

  /** LISTEN on a dedicated connection; re-established after errors while running. */
  private async listen(): Promise<void> {
    while (this.running && !this.listener) {
      let client: pg.PoolClient | undefined;
      let released = false;
      // A dropped connection can emit several errors, and stop() may race with them:
      // the client goes back to the pool exactly once.
      const release = (destroy: boolean) => {
        if (released || !client) return;
        released = true;
        if (this.listener?.client === client) this.listener = undefined;
        client.release(destroy);
      };
      try {
        client = await this.options.pool.connect();
        if (!this.running) {
          release(false);
          return;
        }
        client.on('notification', () => this.poke());
        client.on('error', () => {
          const wasListening = this.listener?.client === client;
          release(true);
          if (wasListening && this.running) {
            setTimeout(() => {
              if (this.running && !this.listener) this.listening = this.listen();
            }, 1_000);
          }
        });
        await client.query(`listen "${outboxChannel(this.options.schema)}"`);
        if (released) continue;
        this.listener = { client, release };
        // Events committed before LISTEN took effect sent their NOTIFY to nobody.
        this.poke();
      } catch {
        release(true);
        if (this.running) await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }
}
