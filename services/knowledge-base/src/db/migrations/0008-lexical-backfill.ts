import { type Kysely, sql } from 'kysely';

/**
 * The background lexical backfill's durable progress, one row per KB whose chunks were
 * indexed before keyword search (docs/retrieval.md#backfill). Every KB that exists when
 * this migration runs gets a `pending` row: its chunks may lack terms (the backfill finds
 * out, and finishes at once when none do). KBs created later index terms from the start
 * and get no row. `cursor` is the vector store's scan position, saved in the same
 * transaction as `done`, so a process killed mid-batch resumes from the last saved batch.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('lexical_backfills')
    .addColumn('kb_id', 'uuid', (c) => c.primaryKey().references('knowledge_bases.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'building', 'done', 'unavailable')`))
    .addColumn('cursor', 'text')
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('message', 'text')
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db
    .insertInto('lexical_backfills')
    .columns(['kb_id', 'state'])
    .expression(db.selectFrom('knowledge_bases').select(['id', sql<string>`'pending'`.as('state')]))
    .execute();
}
