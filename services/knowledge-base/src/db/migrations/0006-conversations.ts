import { type Kysely, sql } from 'kysely';

/**
 * Saved conversations: each is its owner's alone and bound to one or more KBs. An
 * answer is a message that replies to a question; regenerating adds a new version of
 * the answer and keeps the old ones. A message still being written holds a lease: a
 * lease that lapses (the replica died mid-answer) reads as "interrupted".
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conversations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    // false while the title is the first question's; a rename makes it the owner's.
    .addColumn('title_is_custom', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('kb_ids', 'jsonb', (c) => c.notNull())
    .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The list is per owner, newest first, paged by (updated_at, id).
  await db.schema
    .createIndex('conversations_owner_recent_idx')
    .on('conversations')
    .columns(['owner_id', 'updated_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('conversation_messages')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('user', 'assistant')`))
    .addColumn('reply_to', 'uuid', (c) => c.references('conversation_messages.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('complete', 'streaming', 'stopped', 'interrupted', 'failed')`),
    )
    .addColumn('kb_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('citations', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('model_id', 'text')
    .addColumn('model_name', 'text')
    .addColumn('fallback_reason', 'text')
    .addColumn('error', 'jsonb')
    .addColumn('timings', 'jsonb')
    .addColumn('usage', 'jsonb')
    .addColumn('notes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('stop_requested', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addUniqueConstraint('conversation_messages_seq_unique', ['conversation_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('conversation_messages_streaming_idx')
    .on('conversation_messages')
    .column('lease_expires_at')
    .where(sql.ref('status'), '=', 'streaming')
    .execute();

  await db.schema
    .createTable('message_feedback')
    .addColumn('message_id', 'uuid', (c) => c.primaryKey().references('conversation_messages.id').onDelete('cascade'))
    .addColumn('kb_ids', 'jsonb', (c) => c.notNull())
    .addColumn('model_id', 'text')
    .addColumn('helpful', 'boolean', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
