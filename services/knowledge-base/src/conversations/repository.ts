/** Conversations and their messages in Postgres; every read and write is scoped to the owner. */
import { type Kysely, type Selectable, sql } from '@lumikb/db';
import type { ConversationMessageTable, KnowledgeBaseDatabase, MessageStatus } from '../db/database.ts';

type Db = Kysely<KnowledgeBaseDatabase>;

export interface ConversationRow {
  id: string;
  owner_id: string;
  title: string;
  title_is_custom: boolean;
  kb_ids: string[];
  message_count: number;
  created_at: Date;
  updated_at: Date;
}

export type MessageRow = Selectable<ConversationMessageTable> & {
  feedback_helpful: boolean | null;
  feedback_comment: string | null;
};

const conversationColumns = [
  'id',
  'owner_id',
  'title',
  'title_is_custom',
  'kb_ids',
  'message_count',
  'created_at',
  'updated_at',
] as const;

export async function insertConversation(
  db: Db,
  row: { id: string; ownerId: string; title: string; titleIsCustom: boolean; kbIds: string[] },
): Promise<ConversationRow> {
  return db
    .insertInto('conversations')
    .values({
      id: row.id,
      owner_id: row.ownerId,
      title: row.title,
      title_is_custom: row.titleIsCustom,
      kb_ids: JSON.stringify(row.kbIds),
    })
    .returning(conversationColumns)
    .executeTakeFirstOrThrow();
}

/** The conversation when `ownerId` owns it; anyone else's does not exist for them. */
export async function findOwnConversation(
  db: Db,
  id: string,
  ownerId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ConversationRow | undefined> {
  let query = db
    .selectFrom('conversations')
    .select(conversationColumns)
    .where('id', '=', id)
    .where('owner_id', '=', ownerId);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export interface ListCursor {
  updatedAt: Date;
  id: string;
}

/** The owner's conversations, most recently active first, optionally those whose title has `q`. */
export async function listOwnConversations(
  db: Db,
  ownerId: string,
  page: { limit: number; q?: string | undefined; before?: ListCursor | undefined },
): Promise<ConversationRow[]> {
  let query = db.selectFrom('conversations').select(conversationColumns).where('owner_id', '=', ownerId);
  if (page.q) {
    const pattern = `%${page.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where('title', 'ilike', pattern);
  }
  if (page.before) {
    const { updatedAt, id } = page.before;
    query = query.where((eb) =>
      eb.or([eb('updated_at', '<', updatedAt), eb.and([eb('updated_at', '=', updatedAt), eb('id', '<', id)])]),
    );
  }
  return query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
}

export async function updateOwnConversation(
  db: Db,
  id: string,
  ownerId: string,
  patch: { title?: string; titleIsCustom?: boolean; kbIds?: string[]; touch?: Date },
): Promise<ConversationRow | undefined> {
  return db
    .updateTable('conversations')
    .set({
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.titleIsCustom !== undefined ? { title_is_custom: patch.titleIsCustom } : {}),
      ...(patch.kbIds ? { kb_ids: JSON.stringify(patch.kbIds) } : {}),
      ...(patch.touch ? { updated_at: patch.touch } : {}),
    })
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .returning(conversationColumns)
    .executeTakeFirst();
}

export async function deleteOwnConversation(db: Db, id: string, ownerId: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom('conversations')
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .returning('id')
    .executeTakeFirst();
  return deleted !== undefined;
}

/** Every message of a conversation in order, with the owner's feedback on each answer. */
export async function messagesOf(db: Db, conversationId: string): Promise<MessageRow[]> {
  return db
    .selectFrom('conversation_messages as m')
    .leftJoin('message_feedback as f', 'f.message_id', 'm.id')
    .selectAll('m')
    .select(['f.helpful as feedback_helpful', 'f.comment as feedback_comment'])
    .where('m.conversation_id', '=', conversationId)
    .orderBy('m.seq')
    .execute();
}

export async function findMessage(db: Db, conversationId: string, messageId: string): Promise<MessageRow | undefined> {
  return (await messagesOf(db, conversationId)).find((m) => m.id === messageId);
}

export interface NewMessage {
  id: string;
  role: 'user' | 'assistant';
  replyTo: string | null;
  version: number;
  content: string;
  status: MessageStatus;
  kbIds: string[];
  leaseExpiresAt?: Date;
}

/**
 * Appends messages after the last one. Run inside a transaction holding the conversation's
 * row lock (findOwnConversation forUpdate), so that two asks never get the same seq.
 */
export async function appendMessages(db: Db, conversationId: string, messages: NewMessage[], now: Date) {
  const last = await db
    .selectFrom('conversation_messages')
    .select(sql<number>`coalesce(max(seq), 0)`.as('seq'))
    .where('conversation_id', '=', conversationId)
    .executeTakeFirstOrThrow();
  let seq = Number(last.seq);
  for (const m of messages) {
    seq += 1;
    await db
      .insertInto('conversation_messages')
      .values({
        id: m.id,
        conversation_id: conversationId,
        seq,
        role: m.role,
        reply_to: m.replyTo,
        version: m.version,
        content: m.content,
        status: m.status,
        kb_ids: JSON.stringify(m.kbIds),
        lease_expires_at: m.leaseExpiresAt ?? null,
        created_at: now,
        completed_at: m.status === 'complete' ? now : null,
      })
      .execute();
  }
  await db
    .updateTable('conversations')
    .set((eb) => ({ message_count: eb('message_count', '+', messages.length), updated_at: now }))
    .where('id', '=', conversationId)
    .execute();
}

export async function countMessages(db: Db, conversationId: string): Promise<number> {
  const row = await db
    .selectFrom('conversations')
    .select('message_count')
    .where('id', '=', conversationId)
    .executeTakeFirst();
  return row?.message_count ?? 0;
}

/**
 * Saves the answer written so far and extends its lease; tells whether someone asked to
 * stop it. Only a message still streaming is touched (a finished one stays as it is).
 */
export async function renewAnswer(
  db: Db,
  messageId: string,
  partial: string,
  leaseExpiresAt: Date,
): Promise<{ stopRequested: boolean } | undefined> {
  const row = await db
    .updateTable('conversation_messages')
    .set({ content: partial, lease_expires_at: leaseExpiresAt })
    .where('id', '=', messageId)
    .where('status', '=', 'streaming')
    .returning('stop_requested')
    .executeTakeFirst();
  return row ? { stopRequested: row.stop_requested } : undefined;
}

export async function finishAnswer(
  db: Db,
  messageId: string,
  result: {
    content: string;
    status: Exclude<MessageStatus, 'streaming'>;
    citations: unknown[];
    modelId: string | null;
    modelName: string | null;
    fallbackReason: string | null;
    error: { code: string; message: string } | null;
    timings: { first_token_ms: number | null; total_ms: number };
    usage: unknown;
    notes: string[];
    completedAt: Date;
  },
): Promise<void> {
  await db
    .updateTable('conversation_messages')
    .set({
      content: result.content,
      status: result.status,
      citations: JSON.stringify(result.citations),
      model_id: result.modelId,
      model_name: result.modelName,
      fallback_reason: result.fallbackReason,
      error: result.error ? JSON.stringify(result.error) : null,
      timings: JSON.stringify(result.timings),
      usage: result.usage == null ? null : JSON.stringify(result.usage),
      notes: JSON.stringify(result.notes),
      lease_expires_at: null,
      completed_at: result.completedAt,
    })
    .where('id', '=', messageId)
    .where('status', '=', 'streaming')
    .execute();
}

/** Asks the replica writing an answer to stop (it reads this when it renews the lease). */
export async function requestStop(db: Db, conversationId: string, messageId: string): Promise<boolean> {
  const row = await db
    .updateTable('conversation_messages')
    .set({ stop_requested: true })
    .where('id', '=', messageId)
    .where('conversation_id', '=', conversationId)
    .where('status', '=', 'streaming')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Answers whose writer went away (lease lapsed): they end interrupted, their text kept. */
export async function markLapsedAnswersInterrupted(db: Db, now: Date): Promise<number> {
  const rows = await db
    .updateTable('conversation_messages')
    .set({ status: 'interrupted', lease_expires_at: null, completed_at: now })
    .where('status', '=', 'streaming')
    .where('lease_expires_at', '<', now)
    .returning('id')
    .execute();
  return rows.length;
}

export async function upsertFeedback(
  db: Db,
  row: {
    messageId: string;
    kbIds: string[];
    modelId: string | null;
    helpful: boolean;
    comment: string | null;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto('message_feedback')
    .values({
      message_id: row.messageId,
      kb_ids: JSON.stringify(row.kbIds),
      model_id: row.modelId,
      helpful: row.helpful,
      comment: row.comment,
      created_at: row.now,
      updated_at: row.now,
    })
    .onConflict((oc) =>
      oc.column('message_id').doUpdateSet({ helpful: row.helpful, comment: row.comment, updated_at: row.now }),
    )
    .execute();
}

export async function deleteFeedback(db: Db, messageId: string): Promise<void> {
  await db.deleteFrom('message_feedback').where('message_id', '=', messageId).execute();
}

/** Feedback since a date, in aggregate: counts per model and per KB, and the latest comments. */
export async function feedbackSince(db: Db, since: Date) {
  const totals = await db
    .selectFrom('message_feedback')
    .select([
      sql<number>`count(*) filter (where helpful)`.as('helpful'),
      sql<number>`count(*) filter (where not helpful)`.as('not_helpful'),
    ])
    .where('updated_at', '>=', since)
    .executeTakeFirstOrThrow();
  const byModel = await db
    .selectFrom('message_feedback')
    .select([
      'model_id',
      sql<number>`count(*) filter (where helpful)`.as('helpful'),
      sql<number>`count(*) filter (where not helpful)`.as('not_helpful'),
    ])
    .where('updated_at', '>=', since)
    .groupBy('model_id')
    .orderBy('model_id')
    .execute();
  const byKb = await db
    .selectFrom(
      db
        .selectFrom('message_feedback')
        .select(['helpful', sql<string>`jsonb_array_elements_text(kb_ids)`.as('kb_id')])
        .where('updated_at', '>=', since)
        .as('f'),
    )
    .leftJoin('knowledge_bases as kb', (join) => join.on(sql`kb.id::text`, '=', sql.ref('f.kb_id')))
    .select([
      'f.kb_id',
      'kb.name as kb_name',
      sql<number>`count(*) filter (where f.helpful)`.as('helpful'),
      sql<number>`count(*) filter (where not f.helpful)`.as('not_helpful'),
    ])
    .groupBy(['f.kb_id', 'kb.name'])
    .orderBy('f.kb_id')
    .execute();
  const comments = await db
    .selectFrom('message_feedback')
    .select(['helpful', 'comment', 'model_id', 'updated_at'])
    .where('updated_at', '>=', since)
    .where('comment', 'is not', null)
    .orderBy('updated_at', 'desc')
    .limit(20)
    .execute();
  return { totals, byModel, byKb, comments };
}
