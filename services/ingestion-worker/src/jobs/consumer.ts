/**
 * Durable JetStream consumers of `document.uploaded` and `document.retry_requested`
 * sharing one concurrency limit. Unlike the event kit's consumer, a job can run for
 * minutes: while it runs the worker tells JetStream it is still working (`+WPI`) every
 * third of the ack wait, so a healthy long job is never redelivered, and a crashed
 * worker's job is redelivered to another worker one ack wait after its last heartbeat.
 * Pull requests ask for one message only when a slot is free, so no message waits in
 * a busy worker's buffer while another worker idles.
 */
import {
  DocumentRetryRequested,
  DocumentUploaded,
  type EventEnvelope,
  INGESTION_CONSUMERS,
  STREAMS,
} from '@lumikb/contracts';
import { type EventBus, eventConsumerMetrics, isNotFound } from '@lumikb/events';
import { AckPolicy, type Consumer, DeliverPolicy, type JsMsg, nanos } from 'nats';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Compile } from 'typebox/compile';
import type { Delivery, JobRef, Outcome } from './processor.ts';

export interface JobConsumerOptions {
  bus: EventBus;
  logger: Logger;
  concurrency: number;
  ackWaitMs: number;
  maxDeliver: number;
  backoffMs: readonly number[];
  handle: (job: JobRef, delivery: Delivery) => Promise<Outcome>;
  onActiveChange?: (active: number) => void;
  /** Where `lumikb_event_terminated_total` counts the messages this consumer terminates. */
  registry?: Registry;
}

const DEFINITIONS = {
  'document.uploaded': DocumentUploaded,
  'document.retry_requested': DocumentRetryRequested,
} as const;

/**
 * The worker's processing slots. A pull for a message is only issued while a slot is
 * free, but does not hold one: a consumer with nothing to deliver must not keep a slot
 * from the other. When both deliver at once, the second message waits (heartbeating) for
 * the next free slot — at most one message per consumer beyond the limit.
 */
class Slots {
  private free: number;
  private readonly acquirers: (() => void)[] = [];
  private readonly watchers: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  /** Resolves once a slot is free, without taking it. */
  async whenFree(): Promise<void> {
    if (this.free > 0) return;
    await new Promise<void>((resolve) => this.watchers.push(resolve));
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.acquirers.push(resolve));
  }
  release(): void {
    const next = this.acquirers.shift();
    if (next) {
      next();
      return;
    }
    this.free++;
    for (const watcher of this.watchers.splice(0)) watcher();
  }
  wakeAll(): void {
    for (const next of this.watchers.splice(0)) next();
    for (const next of this.acquirers.splice(0)) next();
  }
}

export class JobConsumer {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots: Slots;
  private readonly terminated: ReturnType<typeof eventConsumerMetrics>['terminated'];
  private readonly validators = new Map(
    Object.entries(DEFINITIONS).map(([type, def]) => [type, Compile(def.envelope)] as const),
  );

  constructor(private readonly options: JobConsumerOptions) {
    this.slots = new Slots(options.concurrency);
    this.terminated = eventConsumerMetrics(options.registry).terminated;
  }

  get active(): number {
    return this.inFlight.size;
  }

  /** Durable consumer configs (created or updated on start). */
  private async ensureConsumers(): Promise<void> {
    const { bus } = this.options;
    const stream = bus.streamName(STREAMS.DOCUMENTS);
    for (const { durable, event } of INGESTION_CONSUMERS) {
      const config = {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: bus.subject(event),
        // One above ours: we decide when to give up, and report it.
        max_deliver: this.options.maxDeliver + 1,
        ack_wait: nanos(this.options.ackWaitMs),
        max_ack_pending: 10_000,
      };
      try {
        await bus.jsm.consumers.info(stream, durable);
        await bus.jsm.consumers.update(stream, durable, config);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await bus.jsm.consumers.add(stream, config);
      }
    }
  }

  async start(): Promise<void> {
    await this.ensureConsumers();
    this.running = true;
    for (const { durable, event } of INGESTION_CONSUMERS) this.loops.push(this.pull(durable, event));
  }

  /** Stops pulling; waits for jobs in flight up to `timeoutMs` (an unfinished job is redelivered later). */
  async stop(timeoutMs = this.options.ackWaitMs): Promise<void> {
    this.running = false;
    this.slots.wakeAll();
    await Promise.all(this.loops);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async pull(durable: string, event: keyof typeof DEFINITIONS): Promise<void> {
    const { bus, logger } = this.options;
    const stream = bus.streamName(STREAMS.DOCUMENTS);
    let consumer: Consumer | undefined;
    while (this.running) {
      await this.slots.whenFree();
      if (!this.running) break;
      let msg: JsMsg | null = null;
      try {
        consumer ??= await bus.js.consumers.get(stream, durable);
        msg = await consumer.next({ expires: 2_000 });
      } catch (error) {
        consumer = undefined;
        if (this.running) logger.warn({ err: error, durable }, 'cannot pull from JetStream; retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
      if (!msg) continue;
      const heartbeat = this.heartbeat(msg);
      await this.slots.acquire();
      if (!this.running) {
        clearInterval(heartbeat);
        this.slots.release();
        msg.nak();
        break;
      }
      const task = this.process(msg, event, heartbeat).finally(() => {
        this.inFlight.delete(task);
        this.options.onActiveChange?.(this.inFlight.size);
        this.slots.release();
      });
      this.inFlight.add(task);
      this.options.onActiveChange?.(this.inFlight.size);
    }
  }

  /** Tells JetStream the message is being worked on, every third of the ack wait. */
  private heartbeat(msg: JsMsg): NodeJS.Timeout {
    return setInterval(
      () => {
        try {
          msg.working();
        } catch {
          // connection gone: the message will be redelivered elsewhere
        }
      },
      Math.max(50, Math.floor(this.options.ackWaitMs / 3)),
    );
  }

  private async process(msg: JsMsg, event: keyof typeof DEFINITIONS, heartbeat: NodeJS.Timeout): Promise<void> {
    try {
      await this.handleMessage(msg, event);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Terminates a message JetStream must not deliver again and counts it, so the
   * terminated-events alert sees it: `invalid` for a message that is not a job (it would
   * fail the same way every time), `failed` for a job given up on.
   */
  private terminate(msg: JsMsg, event: keyof typeof DEFINITIONS, durable: string, reason: 'invalid' | 'failed') {
    msg.term();
    this.terminated.inc({ consumer: durable, type: event, reason });
  }

  private async handleMessage(msg: JsMsg, event: keyof typeof DEFINITIONS): Promise<void> {
    const { logger, maxDeliver, backoffMs } = this.options;
    const count = msg.info.deliveryCount;
    const durable = msg.info.consumer;
    let envelope: EventEnvelope;
    try {
      envelope = JSON.parse(msg.string()) as EventEnvelope;
    } catch {
      logger.error({ subject: msg.subject, durable }, 'job message is not JSON; terminated');
      this.terminate(msg, event, durable, 'invalid');
      return;
    }
    const validator = this.validators.get(event)!;
    if (!validator.Check(envelope)) {
      const problems = [...validator.Errors(envelope)].map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
      logger.error(
        { eventId: (envelope as { id?: string } | null)?.id, problems, durable },
        'job message breaks its contract; terminated',
      );
      this.terminate(msg, event, durable, 'invalid');
      return;
    }
    const data = envelope.data as { document_id: string; kb_id: string; attempt: number };
    let outcome: Outcome;
    try {
      outcome = await this.options.handle(
        { documentId: data.document_id, kbId: data.kb_id, attempt: data.attempt, requestId: envelope.requestId },
        { count, last: count >= maxDeliver },
      );
    } catch (error) {
      logger.error({ err: error, documentId: data.document_id }, 'job failed unexpectedly');
      outcome = 'retry';
    }
    try {
      if (outcome === 'lease_lost') return; // another worker holds a newer delivery of this message
      if (outcome !== 'retry') {
        msg.ack();
        return;
      }
      if (count >= maxDeliver) {
        logger.error(
          { documentId: data.document_id, attempt: data.attempt, deliveries: count },
          'giving up on a document that could not even be reported; the stuck-document sweep will re-queue it',
        );
        this.terminate(msg, event, durable, 'failed');
        return;
      }
      msg.nak(backoffMs[Math.min(count - 1, backoffMs.length - 1)] ?? 1_000);
    } catch (error) {
      logger.warn({ err: error }, 'could not acknowledge a job message (connection closed?)');
    }
  }
}
