/**
 * Keeps the last `config.updated` on the stream a true statement of the current settings.
 * Services that start later load their settings from that one message, so it must exist,
 * carry the current version and not age out of the stream (JetStream max age): when it
 * is missing, behind, ahead (database restored) or older than a day, the current
 * snapshot is stated again through the outbox.
 */
import { ConfigUpdated, type EventEnvelope, STREAMS, SYSTEM_ACTOR } from '@lumikb/contracts';
import { type Kysely, sql } from '@lumikb/db';
import type { EventBus } from '@lumikb/events';
import type { Logger } from 'pino';
import type { RegistryDatabase } from '../db/database.ts';
import { readSettingsRow } from './repository.ts';
import { publishSettings } from './snapshot.ts';

export type KeeperOutcome = 'current' | 'pending' | 'restated';

export interface LastStatement {
  version: number;
  publishedAt: Date;
}

export async function lastPublishedSettings(bus: EventBus): Promise<LastStatement | undefined> {
  try {
    const message = await bus.jsm.streams.getMessage(bus.streamName(STREAMS.CONFIG), {
      last_by_subj: bus.subject(ConfigUpdated.type),
    });
    const envelope = message.json<EventEnvelope<string, { version?: unknown }>>();
    return { version: Number(envelope.data?.version ?? -1), publishedAt: message.time };
  } catch (error) {
    const e = error as { code?: string | number; api_error?: { code?: number; err_code?: number } };
    if (e?.api_error?.code === 404 || e?.api_error?.err_code === 10037 || String(e?.code) === '404') return undefined;
    throw error;
  }
}

export class SettingsSnapshotKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly options: {
      db: Kysely<RegistryDatabase>;
      bus: EventBus;
      logger: Logger;
      intervalMs: number;
      /** Restate a snapshot older than this (well inside the stream's 7-day max age). */
      maxAgeMs?: number;
    },
  ) {}

  async checkOnce(): Promise<KeeperOutcome> {
    const { db, bus } = this.options;
    if (await this.unsentSettingsEvent(db)) return 'pending';
    const last = await lastPublishedSettings(bus);
    const row = await readSettingsRow(db);
    const version = Number(row.version);
    const maxAge = this.options.maxAgeMs ?? 24 * 3600 * 1000;
    if (last && last.version === version && Date.now() - last.publishedAt.getTime() < maxAge) return 'current';

    return db.transaction().execute(async (trx) => {
      const locked = await readSettingsRow(trx, { forUpdate: true });
      if (Number(locked.version) !== version || (await this.unsentSettingsEvent(trx))) return 'pending';
      const bumpTo = last && last.version > version ? last.version + 1 : version === 0 ? 1 : undefined;
      await publishSettings(
        trx,
        { reason: 'snapshot', ...(bumpTo !== undefined ? { bumpTo } : {}) },
        {
          actor: SYSTEM_ACTOR,
        },
      );
      this.options.logger.info(
        { version: bumpTo ?? version, lastOnStream: last?.version ?? null },
        'stated the current settings on the stream again',
      );
      return 'restated' as const;
    });
  }

  start(): void {
    const tick = () => {
      this.running = this.checkOnce().catch((error) =>
        this.options.logger.warn({ err: error }, 'could not check the published settings snapshot; will retry'),
      );
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async unsentSettingsEvent(db: Kysely<RegistryDatabase>): Promise<boolean> {
    const row = await db
      .selectFrom('outbox')
      .select(sql<number>`1`.as('one'))
      .where('subject', '=', ConfigUpdated.type)
      .where('sent_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
