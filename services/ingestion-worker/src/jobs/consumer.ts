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
import { type EventBus, isNotFound } from '@lumikb/events';
import { AckPolicy, DeliverPolicy, type JsMsg, nanos } from 'nats';
import type { Logger } from 'pino';
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
}

const DEFINITIONS = {
  'document.uploaded': DocumentUploaded,
  'document.retry_requested': DocumentRetryRequested,
} as const;

class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
  wakeAll(): void {
    for (const next of this.waiting.splice(0)) next();
  }
}

export class JobConsumer {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots: Slots;
  private readonly validators = new Map(
    Object.entries(DEFINITIONS).map(([type, def]) => [type, Compile(def.envelope)] as const),
  );

  constructor(private readonly options: JobConsumerOptions) {
    this.slots = new Slots(options.concurrency);
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
    while (this.running) {
      await this.slots.acquire();
      if (!this.running) {
        this.slots.release();
        break;
      }
      let msg: JsMsg | null = null;
      try {
        const consumer = await bus.js.consumers.get(stream, durable);
        msg = await consumer.next({ expires: 2_000 });
      } catch (error) {
        if (this.running) logger.warn({ err: error, durable }, 'cannot pull from JetStream; retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
      if (!msg) {
        this.slots.release();
        continue;
      }
      const task = this.process(msg, event).finally(() => {
        this.inFlight.delete(task);
        this.options.onActiveChange?.(this.inFlight.size);
        this.slots.release();
      });
      this.inFlight.add(task);
      this.options.onActiveChange?.(this.inFlight.size);
    }
  }

  private async process(msg: JsMsg, event: keyof typeof DEFINITIONS): Promise<void> {
    const { logger, maxDeliver, ackWaitMs, backoffMs } = this.options;
    const count = msg.info.deliveryCount;
    let envelope: EventEnvelope;
    try {
      envelope = JSON.parse(msg.string()) as EventEnvelope;
    } catch {
      logger.error({ subject: msg.subject }, 'job message is not JSON; dropped');
      msg.term();
      return;
    }
    const validator = this.validators.get(event)!;
    if (!validator.Check(envelope)) {
      const problems = [...validator.Errors(envelope)].map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
      logger.error({ eventId: (envelope as { id?: string }).id, problems }, 'job message breaks its contract; dropped');
      msg.term();
      return;
    }
    const data = envelope.data as { document_id: string; kb_id: string; attempt: number };
    const heartbeat = setInterval(
      () => {
        try {
          msg.working();
        } catch {
          // connection gone: the message will be redelivered elsewhere
        }
      },
      Math.max(50, Math.floor(ackWaitMs / 3)),
    );
    let outcome: Outcome;
    try {
      outcome = await this.options.handle(
        { documentId: data.document_id, kbId: data.kb_id, attempt: data.attempt, requestId: envelope.requestId },
        { count, last: count >= maxDeliver },
      );
    } catch (error) {
      logger.error({ err: error, documentId: data.document_id }, 'job failed unexpectedly');
      outcome = 'retry';
    } finally {
      clearInterval(heartbeat);
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
        msg.term();
        return;
      }
      msg.nak(backoffMs[Math.min(count - 1, backoffMs.length - 1)] ?? 1_000);
    } catch (error) {
      logger.warn({ err: error }, 'could not acknowledge a job message (connection closed?)');
    }
  }
}
