/**
 * The NATS JetStream connection of a service. A prefix isolates subjects and stream
 * names (tests give each file its own, so files run in parallel on one server).
 */
import type { StreamDefinition } from '@lumikb/contracts';
import {
  connect,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  RetentionPolicy,
  StorageType,
} from 'nats';

export interface BusOptions {
  url: string;
  /** Connection name shown by the NATS server (the service name). */
  name: string;
  /** Optional isolation prefix for subjects and stream names (tests, multi-tenant dev). */
  prefix?: string;
  /** Give up connecting after this long at start-up (fail fast). */
  connectTimeoutMs?: number;
}

export class EventBus {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly prefix: string,
  ) {}

  static async connect(options: BusOptions): Promise<EventBus> {
    const nc = await connect({
      servers: options.url,
      name: options.name,
      timeout: options.connectTimeoutMs ?? 5_000,
      // After the first connection, keep reconnecting for ever: /ready reports the outage
      // and the outbox holds events until NATS is back.
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    const jsm = await nc.jetstreamManager({ timeout: 5_000 });
    return new EventBus(nc, nc.jetstream({ timeout: 5_000 }), jsm, options.prefix ?? '');
  }

  /** Full subject for an event type, e.g. `model.created` → `t1a2b.model.created`. */
  subject(type: string): string {
    return this.prefix ? `${this.prefix}.${type}` : type;
  }

  /** Event type for a received subject (inverse of `subject`). */
  typeOf(subject: string): string {
    return this.prefix && subject.startsWith(`${this.prefix}.`) ? subject.slice(this.prefix.length + 1) : subject;
  }

  streamName(stream: StreamDefinition): string {
    return this.prefix ? `${this.prefix.toUpperCase()}_${stream.name}` : stream.name;
  }

  /** Creates the streams (file storage, survive a NATS restart) or updates their subjects. */
  async ensureStreams(streams: readonly StreamDefinition[]): Promise<void> {
    for (const stream of streams) {
      const name = this.streamName(stream);
      const config = {
        name,
        subjects: stream.subjects.map((s) => this.subject(s)),
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        max_age: stream.keepForever ? 0 : nanos(7 * 24 * 3600 * 1000),
        duplicate_window: nanos(2 * 60 * 1000),
      };
      try {
        await this.jsm.streams.info(name);
        await this.jsm.streams.update(name, config);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await this.jsm.streams.add(config);
      }
    }
  }

  /** Publishes with the event id as msgID, so a repeated publish is de-duplicated. */
  async publish(type: string, payload: Uint8Array, msgID: string, timeoutMs = 3_000): Promise<void> {
    await this.js.publish(this.subject(type), payload, { msgID, timeout: timeoutMs });
  }

  /** Round trip to the server; throws when NATS is unreachable. Used by `/ready`. */
  async ping(timeoutMs = 2_000): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection closed');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.nc.flush(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('NATS did not answer')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Deletes every stream under this bus's prefix (tests clean up after themselves). */
  async deletePrefixedStreams(): Promise<void> {
    if (!this.prefix) throw new Error('refusing to delete streams of an unprefixed bus');
    const wanted = `${this.prefix.toUpperCase()}_`;
    for await (const info of this.jsm.streams.list()) {
      if (info.config.name.startsWith(wanted)) await this.jsm.streams.delete(info.config.name);
    }
  }

  /** Stops accepting work, flushes what is in flight, then closes. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
  }
}

export function isNotFound(error: unknown): boolean {
  const e = error as { code?: string | number; api_error?: { err_code?: number } } | undefined;
  return e?.api_error?.err_code === 10059 || e?.api_error?.err_code === 10014 || String(e?.code) === '404';
}
