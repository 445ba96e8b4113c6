/**
 * The platform settings a service holds in memory, kept current from `config.updated`.
 *
 * Start-up reads the last `config.updated` on the CONFIG stream (every one carries the
 * complete snapshot, and the registry keeps that last message current), then follows the
 * stream from the very next sequence number with an ordered consumer, so no change made
 * in between is missed. Each replica of a service holds its own copy: the consumer is
 * ephemeral, not a shared durable one, because every replica must see every change.
 */
import {
  ConfigUpdated,
  DEFAULT_SETTINGS_SNAPSHOT,
  type EventOf,
  type LlmSettings,
  type SettingsSnapshot,
  STREAMS,
  type SystemSettings,
} from '@lumikb/contracts';
import { contractProblems, type EventBus } from '@lumikb/events';
import { type ConsumerMessages, DeliverPolicy, type JsMsg } from 'nats';
import type { Logger } from 'pino';
import { Compile } from 'typebox/compile';

export type SettingsListener = (next: SettingsSnapshot, previous: SettingsSnapshot) => void;

export interface SettingsSubscriberOptions {
  bus: EventBus;
  logger?: Logger;
}

const validator = Compile(ConfigUpdated.envelope);

export class SettingsSubscriber {
  private current: SettingsSnapshot = DEFAULT_SETTINGS_SNAPSHOT;
  private fromStream = false;
  private readonly listeners = new Set<SettingsListener>();
  private readonly waiters = new Set<{ version: number; resolve: (s: SettingsSnapshot) => void }>();
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  private constructor(private readonly options: SettingsSubscriberOptions) {}

  /** Loads the current settings (defaults when none were ever published) and follows changes. */
  static async start(options: SettingsSubscriberOptions): Promise<SettingsSubscriber> {
    const subscriber = new SettingsSubscriber(options);
    await subscriber.begin();
    return subscriber;
  }

  get snapshot(): SettingsSnapshot {
    return this.current;
  }
  get system(): SystemSettings {
    return this.current.system;
  }
  get llm(): LlmSettings {
    return this.current.llm;
  }
  get version(): number {
    return this.current.version;
  }
  /** `defaults` until a published snapshot has been seen. */
  get source(): 'defaults' | 'stream' {
    return this.fromStream ? 'stream' : 'defaults';
  }

  /** Calls `listener` after every applied change; returns a function that unsubscribes. */
  onChange(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once settings of at least `version` are held (rejects after `timeoutMs`). */
  waitForVersion(version: number, timeoutMs = 10_000): Promise<SettingsSnapshot> {
    if (this.current.version >= version) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const waiter = {
        version,
        resolve: (s: SettingsSnapshot) => {
          clearTimeout(timer);
          resolve(s);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`settings version ${version} not received within ${timeoutMs} ms (holding ${this.version})`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** A non-critical `/ready` check: reports which settings version is held. */
  readiness() {
    return {
      name: 'settings',
      critical: false,
      check: async () => ({ version: this.version, source: this.source }),
    };
  }

  async stop(): Promise<void> {
    await this.messages?.close().catch(() => {});
    await this.loop;
    for (const waiter of this.waiters) waiter.resolve(this.current);
    this.waiters.clear();
  }

  private async begin(): Promise<void> {
    const { bus } = this.options;
    await bus.ensureStreams([STREAMS.CONFIG]);
    const stream = bus.streamName(STREAMS.CONFIG);
    const subject = bus.subject(ConfigUpdated.type);
    let nextSeq: number;
    try {
      const last = await bus.jsm.streams.getMessage(stream, { last_by_subj: subject });
      this.receive(last.data, last.seq);
      nextSeq = last.seq + 1;
    } catch (error) {
      if (!isNoMessage(error)) throw error;
      const info = await bus.jsm.streams.info(stream);
      nextSeq = info.state.last_seq + 1;
    }
    const consumer = await bus.js.consumers.get(stream, {
      filterSubjects: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: nextSeq,
    });
    this.messages = await consumer.consume();
    const messages = this.messages;
    this.loop = (async () => {
      for await (const msg of messages) this.receiveMessage(msg);
    })().catch((error) => this.options.logger?.error({ err: error }, 'settings subscription ended'));
  }

  private receiveMessage(msg: JsMsg): void {
    this.receive(msg.data, msg.seq);
  }

  private receive(data: Uint8Array, seq: number): void {
    let event: unknown;
    try {
      event = JSON.parse(new TextDecoder().decode(data));
    } catch {
      this.options.logger?.warn({ seq }, 'ignoring a config.updated message that is not JSON');
      return;
    }
    if (!validator.Check(event)) {
      const problems = contractProblems(validator, event, 5);
      this.options.logger?.warn({ seq, problems }, 'ignoring an invalid config.updated message');
      return;
    }
    const { data: snapshot } = event as EventOf<typeof ConfigUpdated>;
    this.fromStream = true;
    if (snapshot.version <= this.current.version) return;
    const previous = this.current;
    this.current = {
      version: snapshot.version,
      updated_at: snapshot.updated_at,
      system: snapshot.system,
      llm: snapshot.llm,
    };
    this.options.logger?.info(
      { version: snapshot.version, changed: snapshot.changed_fields, reason: snapshot.reason },
      'settings updated',
    );
    for (const listener of this.listeners) {
      try {
        listener(this.current, previous);
      } catch (error) {
        this.options.logger?.error({ err: error }, 'settings listener failed');
      }
    }
    for (const waiter of [...this.waiters]) {
      if (this.current.version >= waiter.version) {
        this.waiters.delete(waiter);
        waiter.resolve(this.current);
      }
    }
  }
}

function isNoMessage(error: unknown): boolean {
  const e = error as { code?: string | number; api_error?: { code?: number; err_code?: number } };
  return e?.api_error?.code === 404 || e?.api_error?.err_code === 10037 || String(e?.code) === '404';
}
