/**
 * Durable JetStream consumers: validate each event against its contract, hand it to
 * the handler, ack after the handler's own commit, `nak` with backoff on failure and
 * `term` (reported by log, metric and callback) after a bounded number of deliveries.
 */
import type { EventDefinition, EventEnvelope, StreamDefinition } from '@lumikb/contracts';
import { AckPolicy, type ConsumerConfig, type ConsumerMessages, DeliverPolicy, type JsMsg, nanos } from 'nats';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { Compile } from 'typebox/compile';
import { type EventBus, isNotFound } from './bus.ts';
import { contractProblems } from './contract-errors.ts';

export interface DeliveryInfo {
  /** 1 on first delivery, 2 on the first redelivery, … */
  attempt: number;
  subject: string;
  /** Logger carrying eventId, eventType and the originating requestId: one request can be followed across hops. */
  log: Logger;
}

export interface ConsumerOptions {
  bus: EventBus;
  stream: StreamDefinition;
  /** Durable name; also the idempotency key namespace (see applyOnce). */
  durable: string;
  events: readonly EventDefinition[];
  handle: (event: EventEnvelope, delivery: DeliveryInfo) => Promise<void>;
  logger: Logger;
  registry?: Registry;
  /** Deliveries before a failing message is terminated. */
  maxDeliver?: number;
  /** Delay before redelivery after the n-th failure (last value repeats). */
  backoffMs?: readonly number[];
  /** Messages handled at the same time. */
  concurrency?: number;
  /** How long a handler may run before the server redelivers the message. */
  ackWaitMs?: number;
  /** Called when a message is given up on (invalid, or failed maxDeliver times). */
  onTerminated?: (failure: TerminatedMessage) => Promise<void> | void;
}

export interface TerminatedMessage {
  consumer: string;
  subject: string;
  eventId: string | undefined;
  eventType: string | undefined;
  attempts: number;
  reason: 'invalid' | 'failed';
  error: string;
}

const counters = new WeakMap<Registry, { terminated: Counter; failed: Counter; handled: Counter }>();
/**
 * The event-consumer counters of a registry, created once. Exported for consumers that
 * are not an `EventConsumer` (the worker's job consumer) but terminate messages too:
 * `lumikb_event_terminated_total` and its alert must see every terminated message.
 */
export function eventConsumerMetrics(registry: Registry | undefined) {
  return metricsFor(registry);
}
function metricsFor(registry: Registry | undefined) {
  const key = registry ?? (globalThis as unknown as Registry);
  let m = counters.get(key);
  if (!m) {
    const registers = registry ? [registry] : [];
    m = {
      handled: new Counter({
        name: 'lumikb_event_handled_total',
        help: 'Events handled successfully by a consumer',
        labelNames: ['consumer', 'type'],
        registers,
      }),
      failed: new Counter({
        name: 'lumikb_event_handler_failures_total',
        help: 'Handler failures (the event is redelivered with backoff)',
        labelNames: ['consumer', 'type'],
        registers,
      }),
      terminated: new Counter({
        name: 'lumikb_event_terminated_total',
        help: 'Events given up on after bounded redelivery, or invalid on arrival',
        labelNames: ['consumer', 'type', 'reason'],
        registers,
      }),
    };
    counters.set(key, m);
  }
  return m;
}

/**
 * One filter subject per consumer: the Debian NATS server (2.9) has no
 * `filter_subjects`. Several event types share their common root (`document.>`);
 * the consumer acks sibling types it does not handle.
 */
export function filterSubject(subjects: string[]): string | undefined {
  if (subjects.length === 1) return subjects[0];
  const parts = subjects.map((s) => s.split('.'));
  const common: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length - 1 && p[i] === parts[0]![i]); i++) common.push(parts[0]![i]!);
  return common.length > 0 ? `${common.join('.')}.>` : undefined;
}

/**
 * Creates the durable consumer `config.durable_name` on `streamName`, or brings an existing
 * one to `config` (a changed filter, ack wait or delivery limit takes effect on restart).
 */
export async function ensureDurableConsumer(
  bus: EventBus,
  streamName: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await bus.jsm.consumers.info(streamName, config.durable_name);
    await bus.jsm.consumers.update(streamName, config.durable_name, config);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await bus.jsm.consumers.add(streamName, config);
  }
}

export class EventConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly validators: Map<string, ReturnType<typeof Compile>>;
  private readonly metrics: ReturnType<typeof metricsFor>;
  private stopped = false;

  constructor(private readonly options: ConsumerOptions) {
    this.validators = new Map(options.events.map((e) => [e.type, Compile(e.envelope)]));
    this.metrics = metricsFor(options.registry);
  }

  get maxDeliver(): number {
    return this.options.maxDeliver ?? 5;
  }

  /** Creates (or updates) the durable consumer and starts pulling. */
  async start(): Promise<void> {
    const { bus, stream, durable, events } = this.options;
    const streamName = bus.streamName(stream);
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filterSubject(events.map((e) => bus.subject(e.type))),
      // The server's own limit sits one above ours so that we, not the server, decide to
      // give up — and report it.
      max_deliver: this.maxDeliver + 1,
      ack_wait: nanos(this.options.ackWaitMs ?? 30_000),
    };
    await ensureDurableConsumer(bus, streamName, config);
    const consumer = await bus.js.consumers.get(streamName, durable);
    this.messages = await consumer.consume({ max_messages: Math.max(1, this.options.concurrency ?? 4) });
    this.loop = this.pump(this.messages);
  }

  /** Stops pulling and waits for handlers in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => {});
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    const limit = Math.max(1, this.options.concurrency ?? 4);
    for await (const msg of messages) {
      if (this.stopped) {
        msg.nak();
        continue;
      }
      const task = this.process(msg).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
      if (this.inFlight.size >= limit) await Promise.race(this.inFlight);
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    const { durable, logger } = this.options;
    const attempt = msg.info.deliveryCount;
    const type = this.options.bus.typeOf(msg.subject);
    let event: EventEnvelope;
    try {
      event = JSON.parse(msg.string()) as EventEnvelope;
    } catch {
      return this.terminate(msg, undefined, type, 'invalid', 'payload is not JSON');
    }
    const validator = this.validators.get(type);
    if (!validator && this.options.events.length > 1) {
      // A shared wildcard filter (see filterSubject) also brings sibling events this
      // consumer does not handle: they are not ours to judge.
      msg.ack();
      return;
    }
    if (!validator?.Check(event)) {
      const problems = validator ? contractProblems(validator, event).join('; ') : `no contract for ${type}`;
      return this.terminate(msg, event, type, 'invalid', problems);
    }
    const log = logger.child({ eventId: event.id, eventType: type, requestId: event.requestId, attempt });
    try {
      await this.options.handle(event, { attempt, subject: msg.subject, log });
      msg.ack();
      log.debug('event handled');
      this.metrics.handled.inc({ consumer: durable, type });
    } catch (error) {
      this.metrics.failed.inc({ consumer: durable, type });
      const message = error instanceof Error ? error.message : String(error);
      if (attempt >= this.maxDeliver) {
        return this.terminate(msg, event, type, 'failed', message);
      }
      const backoff = this.options.backoffMs ?? [1_000, 5_000, 15_000, 30_000];
      const delay = backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 1_000;
      log.warn({ err: error, retryInMs: delay }, 'event handler failed; will redeliver');
      msg.nak(delay);
    }
  }

  private async terminate(
    msg: JsMsg,
    event: EventEnvelope | undefined,
    type: string,
    reason: 'invalid' | 'failed',
    error: string,
  ): Promise<void> {
    msg.term();
    this.metrics.terminated.inc({ consumer: this.options.durable, type, reason });
    const failure: TerminatedMessage = {
      consumer: this.options.durable,
      subject: msg.subject,
      eventId: event?.id,
      eventType: type,
      attempts: msg.info.deliveryCount,
      reason,
      error,
    };
    this.options.logger.error(
      { failure },
      `event ${reason === 'invalid' ? 'rejected as invalid' : 'given up after bounded retries'}`,
    );
    try {
      await this.options.onTerminated?.(failure);
    } catch (callbackError) {
      this.options.logger.error({ err: callbackError }, 'onTerminated callback failed');
    }
  }
}
