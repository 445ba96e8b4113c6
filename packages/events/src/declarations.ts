/**
 * Consumers declared one way. A service's `*.consumer.ts` exports a declaration; the
 * service kit creates it with the service's context and kit (db, bus, logger, metrics),
 * starts it when the app is ready and stops it first on close.
 *
 * - `projectionConsumer`: each event applied at most once, its effect and the ledger row
 *   in one transaction (applyOnce), acked after the commit. Most consumers are this.
 * - `eventConsumer`: a handler of its own (e.g. one that applies once itself and then
 *   cleans up outside the transaction).
 */
import type { EventDefinition, EventEnvelope, StreamDefinition } from '@lumikb/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventBus } from './bus.ts';
import { type DeliveryInfo, EventConsumer, type TerminatedMessage } from './consumer.ts';
import { applyOnce } from './idempotency.ts';

/** What a consumer gets besides the service's domain context. */
export interface ConsumerKit<DB> {
  db: Kysely<DB>;
  bus: EventBus;
  logger: Logger;
  registry?: Registry;
}

export type ConsumerDeclaration<Ctx, DB> = (ctx: Ctx, kit: ConsumerKit<DB>) => EventConsumer;

interface DeclarationBase {
  stream: StreamDefinition;
  /** Durable name; also the namespace of the at-most-once ledger. */
  durable: string;
  events: readonly EventDefinition[];
  /** Messages handled at once; 1 keeps the stream's order. */
  concurrency: number;
  /** The `component` of its log lines. */
  component: string;
  onTerminated?: (failure: TerminatedMessage, log: Logger) => void;
}

export interface ProjectionDeclaration<Ctx, DB> extends DeclarationBase {
  /** The event's effect, inside the transaction that records it as applied. */
  apply: (trx: Transaction<DB>, event: EventEnvelope, ctx: Ctx) => Promise<void>;
  /** After the commit, duplicate or not (e.g. wake a worker). */
  afterCommit?: (event: EventEnvelope, ctx: Ctx) => void;
}

export interface HandlerDeclaration<Ctx, DB> extends DeclarationBase {
  handle: (event: EventEnvelope, ctx: Ctx, kit: ConsumerKit<DB>, delivery: DeliveryInfo) => Promise<void>;
}

export function eventConsumer<Ctx, DB>(declaration: HandlerDeclaration<Ctx, DB>): ConsumerDeclaration<Ctx, DB> {
  return (ctx, kit) => {
    const logger = kit.logger.child({ component: declaration.component });
    return new EventConsumer({
      bus: kit.bus,
      stream: declaration.stream,
      durable: declaration.durable,
      events: declaration.events,
      concurrency: declaration.concurrency,
      logger,
      ...(kit.registry ? { registry: kit.registry } : {}),
      handle: (event, delivery) => declaration.handle(event, ctx, kit, delivery),
      ...(declaration.onTerminated
        ? { onTerminated: (failure: TerminatedMessage) => declaration.onTerminated?.(failure, logger) }
        : {}),
    });
  };
}

export function projectionConsumer<Ctx, DB>(declaration: ProjectionDeclaration<Ctx, DB>): ConsumerDeclaration<Ctx, DB> {
  return eventConsumer<Ctx, DB>({
    ...declaration,
    handle: async (event, ctx, kit) => {
      await applyOnce(kit.db, declaration.durable, event.id, (trx) => declaration.apply(trx, event, ctx));
      declaration.afterCommit?.(event, ctx);
    },
  });
}
