/**
 * Token revocation on every service: a small in-memory map "tokens of user u issued
 * before t are void", fed by `user.sessions_revoked` from the USERS stream, consulted by
 * the token verifier after the signature check (401 TOKEN_REVOKED).
 *
 * Access tokens live at most MAX_ACCESS_TOKEN_SECONDS, so only revocations of that recent
 * past matter: at start-up the follower replays the stream from that far back (the stream
 * is kept for good) before the service serves, so a restarted replica knows them too, and
 * entries older than that are dropped. Every replica follows the stream on its own
 * (an ephemeral ordered consumer), because each must see every revocation.
 */
import { type EventOf, STREAMS, UserSessionsRevoked } from '@lumikb/contracts';
import type { EventBus } from '@lumikb/events';
import { type ConsumerMessages, DeliverPolicy, type JsMsg } from 'nats';
import type { Logger } from 'pino';
import { Compile } from 'typebox/compile';

/** The longest access-token lifetime auth may be configured with (ACCESS_TOKEN_TTL_SECONDS). */
export const MAX_ACCESS_TOKEN_SECONDS = 300;
/** Allowance for clock differences between auth and this service. */
const CLOCK_SKEW_SECONDS = 60;
const KEEP_MS = (MAX_ACCESS_TOKEN_SECONDS + CLOCK_SKEW_SECONDS) * 1000;

const validator = Compile(UserSessionsRevoked.envelope);

export class RevocationList {
  private readonly revokedBefore = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  revoke(userId: string, before: Date): void {
    const at = before.getTime();
    if (at > (this.revokedBefore.get(userId) ?? 0)) this.revokedBefore.set(userId, at);
  }

  /** Whether a token of `userId` issued at `issuedAtSeconds` (JWT iat) has been revoked. */
  isRevoked(userId: string, issuedAtSeconds: number): boolean {
    const before = this.revokedBefore.get(userId);
    return before !== undefined && issuedAtSeconds * 1000 < before;
  }

  /** Forgets revocations no living token can predate. */
  prune(): void {
    const horizon = this.now() - KEEP_MS;
    for (const [userId, at] of this.revokedBefore) if (at < horizon) this.revokedBefore.delete(userId);
  }

  get size(): number {
    return this.revokedBefore.size;
  }
}

export class RevocationFollower {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly pruner: NodeJS.Timeout;

  private constructor(
    readonly list: RevocationList,
    private readonly bus: EventBus,
    private readonly logger?: Logger,
  ) {
    this.pruner = setInterval(() => list.prune(), 60_000);
    this.pruner.unref();
  }

  /** Replays the recent revocations, then follows new ones. Resolves once caught up. */
  static async start(options: { bus: EventBus; logger?: Logger; list?: RevocationList }): Promise<RevocationFollower> {
    const follower = new RevocationFollower(options.list ?? new RevocationList(), options.bus, options.logger);
    await follower.begin();
    return follower;
  }

  async stop(): Promise<void> {
    clearInterval(this.pruner);
    await this.messages?.close().catch(() => {});
    await this.loop;
  }

  private async begin(): Promise<void> {
    const { bus } = this;
    await bus.ensureStreams([STREAMS.USERS]);
    const stream = bus.streamName(STREAMS.USERS);
    const consumer = await bus.js.consumers.get(stream, {
      filterSubjects: bus.subject(UserSessionsRevoked.type),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(Date.now() - KEEP_MS).toISOString(),
    });
    // What was published before we started; serving waits until it is applied.
    const backlog = (await consumer.info()).num_pending;
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    if (backlog === 0) caughtUp();
    this.messages = await consumer.consume();
    const messages = this.messages;
    let seen = 0;
    this.loop = (async () => {
      for await (const msg of messages) {
        this.receive(msg);
        seen += 1;
        if (seen >= backlog || msg.info.pending === 0) caughtUp();
      }
    })().catch((error) => this.logger?.error({ err: error }, 'revocation subscription ended'));
    await ready;
  }

  private receive(msg: JsMsg): void {
    let event: unknown;
    try {
      event = JSON.parse(new TextDecoder().decode(msg.data));
    } catch {
      this.logger?.warn({ seq: msg.seq }, 'ignoring a user.sessions_revoked message that is not JSON');
      return;
    }
    if (!validator.Check(event)) {
      this.logger?.warn({ seq: msg.seq }, 'ignoring an invalid user.sessions_revoked message');
      return;
    }
    const { data } = event as EventOf<typeof UserSessionsRevoked>;
    this.list.revoke(data.user_id, new Date(data.revoked_before));
  }
}
