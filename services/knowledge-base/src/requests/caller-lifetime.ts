/**
 * Work ends when its caller leaves: chat and search run model calls and vector searches
 * that cost real money and time, so a client that disconnects must stop them, and no
 * user may hold more than a few of them at once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../errors.ts';

/** Seconds a client told "too many concurrent requests" is asked to wait. */
export const CONCURRENCY_RETRY_AFTER_SECONDS = 1;

/**
 * A signal aborted when the client goes away before the response is complete. Call it
 * before the handler's first await: a client that leaves during that await would
 * otherwise never be noticed.
 */
export function callerSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const leave = () => {
    if (!reply.raw.writableFinished) controller.abort(new DOMException('the client disconnected', 'AbortError'));
  };
  // The response's close fires when the connection closes, whether or not we are done.
  reply.raw.once('close', leave);
  if (request.raw.destroyed || reply.raw.destroyed) leave();
  return controller.signal;
}

/** In-flight requests per user, in this replica (each replica counts its own). */
export class PerUserConcurrency {
  private readonly inFlight = new Map<string, number>();

  constructor(
    readonly limit: number,
    private readonly what: string,
  ) {}

  /**
   * Takes a slot for `userId` until the response closes (finished or abandoned), or
   * refuses with 429 TOO_MANY_CONCURRENT_REQUESTS. Call it before the handler's first await.
   */
  hold(userId: string, reply: FastifyReply): void {
    const current = this.inFlight.get(userId) ?? 0;
    if (current >= this.limit) {
      throw errors.TOO_MANY_CONCURRENT_REQUESTS(
        `At most ${this.limit} ${this.what} at a time per user: wait for one to finish`,
        { limit: this.limit },
        { 'retry-after': String(CONCURRENCY_RETRY_AFTER_SECONDS) },
      );
    }
    this.inFlight.set(userId, current + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(userId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(userId);
      else this.inFlight.set(userId, left);
    };
    reply.raw.once('close', release);
    reply.raw.once('finish', release);
  }

  /** Requests in flight for `userId` (for tests and metrics). */
  count(userId: string): number {
    return this.inFlight.get(userId) ?? 0;
  }
}
