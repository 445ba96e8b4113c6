import { type Kysely, sql } from 'kysely';

/**
 * Sign-in attempts as counters, one row per (scope, key), incremented atomically before
 * the password is checked: concurrent guesses each get their own ordinal, so no more than
 * the limit is ever evaluated, and every auth replica counts in the same row. Replaces the
 * append-then-count `login_failures` table, which let concurrent guesses all pass.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_attempts')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('login_attempts_pk', ['scope', 'key'])
    .execute();
  await db.schema.createIndex('login_attempts_window_idx').on('login_attempts').column('window_started_at').execute();
  await db.schema.dropTable('login_failures').execute();
}
