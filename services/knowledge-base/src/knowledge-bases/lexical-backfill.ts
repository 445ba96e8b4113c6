/**
 * The background lexical backfill (docs/retrieval.md#backfill): chunks indexed before the
 * worker sent keyword terms get them from their stored text, analysed in the KB's language
 * with the same `@lumikb/text-analysis` as at index time, without re-embedding anything.
 *
 * It runs here, as a background task of the knowledge-base service, not as a worker job:
 * it is work on a KB (which this service owns, with its language), not on a document, it
 * needs no parsing or model, and the worker's jobs are documents driven by JetStream.
 *
 * Durable and resumable: one row per KB in `lexical_backfills` holds the state, the vector
 * store's scan cursor and the count done. Each step takes one KB's row (`for update skip
 * locked`: replicas share the work, never one KB twice at once), analyses one bounded batch
 * of chunks, writes their terms and saves the cursor and count in the row's transaction. A
 * process killed mid-step loses only that step's cursor update: the batch is done again on
 * restart, and writing terms is idempotent (a chunk that has terms keeps them), so nothing
 * is lost or counted twice and the store's statistics stay exact. Search keeps working: a
 * step is one bounded batch (LEXICAL_BACKFILL_BATCH chunks), and a chunk is found by
 * keyword from the moment its batch commits.
 */
import type { Kysely } from '@lumikb/db';
import { DEFAULT_LANGUAGE, termFrequencies } from '@lumikb/text-analysis';
import { isVectorStoreError, type LexicalEntry } from '@lumikb/vector-store';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase, LexicalBackfillState } from '../db/database.ts';
import type { ConfigOverrides } from './schemas.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

/** What the KB view and the search response say about a KB's keyword index. */
export interface LexicalIndexStatus {
  state: 'ready' | 'pending' | 'building' | 'unavailable';
  /** Chunks given terms so far, of `total` that had none when the backfill started. */
  done: number;
  total: number;
  message: string | null;
}

const READY: LexicalIndexStatus = { state: 'ready', done: 0, total: 0, message: null };

function statusOf(row: { state: LexicalBackfillState; done: number; total: number; message: string | null }) {
  return {
    state: row.state === 'done' ? 'ready' : row.state,
    done: row.done,
    // Chunks written without terms after the count (an old worker still running) make done pass it.
    total: Math.max(row.total, row.done),
    message: row.message,
  } satisfies LexicalIndexStatus;
}

/** Each KB's keyword-index status; a KB without a backfill row was indexed with terms from the start. */
export async function lexicalIndexStatuses(db: Db, kbIds: string[]): Promise<Map<string, LexicalIndexStatus>> {
  const out = new Map<string, LexicalIndexStatus>(kbIds.map((id) => [id, READY]));
  if (kbIds.length === 0) return out;
  const rows = await db
    .selectFrom('lexical_backfills')
    .select(['kb_id', 'state', 'done', 'total', 'message'])
    .where('kb_id', 'in', kbIds)
    .execute();
  for (const row of rows) out.set(row.kb_id, statusOf(row));
  return out;
}

/** (Re)starts a KB's backfill from the beginning: its chunks without terms get them. */
export async function scheduleLexicalBackfill(db: Db, kbId: string): Promise<void> {
  await db
    .insertInto('lexical_backfills')
    .values({ kb_id: kbId, state: 'pending' })
    .onConflict((oc) =>
      oc.column('kb_id').doUpdateSet({
        state: 'pending',
        cursor: null,
        done: 0,
        total: 0,
        message: null,
        finished_at: null,
        updated_at: new Date(),
      }),
    )
    .execute();
}

/**
 * One step of the backfill for one KB, in one transaction; false when no KB needs one.
 * `pending`: prepares the collection and counts its chunks without terms; `building`: one batch.
 */
export async function backfillStep(ctx: KbContext): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('lexical_backfills as b')
      .innerJoin('knowledge_bases as k', 'k.id', 'b.kb_id')
      .select(['b.kb_id', 'b.state', 'b.cursor', 'b.total', 'k.collection', 'k.config_overrides'])
      .where('b.state', 'in', ['pending', 'building'])
      .orderBy('b.updated_at')
      .limit(1)
      .forUpdate('b')
      .skipLocked()
      .executeTakeFirst();
    if (!row) return false;
    const now = ctx.clock();
    const update = (values: Partial<{ state: LexicalBackfillState } & Record<string, unknown>>) =>
      trx
        .updateTable('lexical_backfills')
        .set({ ...values, updated_at: now })
        .where('kb_id', '=', row.kb_id)
        .execute();
    try {
      if (row.state === 'pending') {
        if (!(await ctx.vectors.enableLexical(row.collection))) {
          await update({
            state: 'unavailable',
            message:
              'The vector store cannot add a keyword index to this collection (Qdrant older than 1.19). Upgrade Qdrant and restart the knowledge-base service, or re-process the documents into a new knowledge base.',
          });
          return true;
        }
        const total = await ctx.vectors.countWithoutLexical(row.collection);
        await update({
          state: total === 0 ? 'done' : 'building',
          total,
          done: 0,
          cursor: null,
          message: null,
          started_at: now,
          ...(total === 0 && { finished_at: now }),
        });
        if (total > 0) ctx.logger.info({ kbId: row.kb_id, chunks: total }, 'lexical backfill started');
        return true;
      }
      const language = (row.config_overrides as ConfigOverrides).language ?? DEFAULT_LANGUAGE;
      const page = await ctx.vectors.scanWithoutLexical(row.collection, {
        cursor: row.cursor,
        limit: ctx.config.LEXICAL_BACKFILL_BATCH,
      });
      const entries: LexicalEntry[] = page.points.map((point) => {
        // As the worker's index step (ingestion-worker src/jobs/lexical.ts) computes them.
        const { tf, length } = termFrequencies(
          typeof point.payload.text === 'string' ? point.payload.text : '',
          language,
        );
        return { id: point.id, lexical: { terms: Object.fromEntries(tf), length } };
      });
      if (entries.length > 0) await ctx.vectors.addLexical(row.collection, entries);
      const finished = page.cursor === null;
      // Counted, not added up: a batch written by a process killed before it saved its
      // cursor is not seen again by the scan (its chunks have terms now), yet is done.
      const remaining = finished ? 0 : await ctx.vectors.countWithoutLexical(row.collection);
      await update({
        cursor: page.cursor,
        done: Math.max(0, row.total - remaining),
        state: finished ? 'done' : 'building',
        ...(finished && { finished_at: now }),
      });
      if (finished) ctx.logger.info({ kbId: row.kb_id, chunks: row.total }, 'lexical backfill done');
      return true;
    } catch (error) {
      if (isVectorStoreError(error, 'COLLECTION_NOT_FOUND')) {
        // A KB without its collection has nothing to index (nothing was ever stored).
        await update({ state: 'done', finished_at: now, message: null });
        return true;
      }
      throw error;
    }
  });
}

export interface BackfillLoop {
  start(): void;
  stop(): Promise<void>;
}

/**
 * The background task: steps while there is work, then looks again every
 * LEXICAL_BACKFILL_IDLE_MS (also after a failure: the store may be back by then). On start,
 * KBs left `unavailable` are tried again (the store may have been upgraded).
 */
export function lexicalBackfillLoop(ctx: KbContext): BackfillLoop {
  let stopped = false;
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const run = async () => {
    try {
      await ctx.db
        .updateTable('lexical_backfills')
        .set({ state: 'pending', updated_at: ctx.clock() })
        .where('state', '=', 'unavailable')
        .execute();
    } catch (error) {
      ctx.logger.warn({ err: error }, 'lexical backfill could not look for unavailable KBs');
    }
    while (!stopped) {
      let worked = false;
      try {
        worked = await backfillStep(ctx);
      } catch (error) {
        ctx.logger.warn({ err: error }, 'lexical backfill step failed; will try again');
      }
      if (stopped) break;
      // Between batches, let requests in; when idle or failing, wait.
      if (worked) await new Promise<void>((resolve) => setImmediate(resolve));
      else await pause(ctx.config.LEXICAL_BACKFILL_IDLE_MS);
    }
  };
  return {
    start() {
      running ??= run();
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
