/**
 * Saved conversations. A conversation is its owner's alone (anyone else gets 404) and is
 * bound to one or more KBs; each question is answered from the KBs the owner can still
 * read, with the first one's generation model. An answer is written while it streams:
 * its text is saved with each lease renewal, so a replica that dies mid-answer leaves
 * the question and the partial answer, marked interrupted once the lease lapses.
 */
import { randomUUID } from 'node:crypto';
import type { AccessTokenClaims } from '@lumikb/contracts';
import type { ChatMessage } from '@lumikb/llm';
import { type ChatEvent, type FallbackHolder, type PreparedChat, prepareAnswer, streamChat } from '../chat/service.ts';
import type { KbContext } from '../context.ts';
import type { MessageStatus } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import { errors } from '../errors.ts';
import { findKbs } from '../knowledge-bases/repository.ts';
import { permissionsOf } from '../permissions/service.ts';
import {
  appendMessages,
  type ConversationRow,
  deleteFeedback,
  deleteOwnConversation,
  feedbackSince,
  findOwnConversation,
  finishAnswer,
  insertConversation,
  type ListCursor,
  listOwnConversations,
  type MessageRow,
  markLapsedAnswersInterrupted,
  messagesOf,
  renewAnswer,
  requestStop,
  updateOwnConversation,
  upsertFeedback,
} from './repository.ts';
import {
  CONVERSATION_LIMITS,
  type ConversationCreate,
  type ConversationListParams,
  type ConversationPatch,
  type Feedback,
  type MessageView,
} from './schemas.ts';

/** How long an answer being written counts as alive without a renewal, and how often it renews. */
export const ANSWER_LEASE_MS = 30_000;
export const ANSWER_RENEW_MS = 2_000;

const TITLE_FROM_QUESTION_CHARS = 80;

const ownerOf = (claims: AccessTokenClaims) => claims.sub.toLowerCase();
const notFound = (id: string) => errors.CONVERSATION_NOT_FOUND(`Conversation ${id} not found`, { conversation_id: id });

/** The first question, cut at a word boundary, as the title until the owner renames it. */
export function titleFromQuestion(question: string): string {
  const flat = question.replace(/\s+/g, ' ').trim();
  if (flat.length <= TITLE_FROM_QUESTION_CHARS) return flat;
  const cut = flat.slice(0, TITLE_FROM_QUESTION_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_FROM_QUESTION_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

const summaryOf = (row: ConversationRow) => ({
  id: row.id,
  title: row.title,
  kb_ids: row.kb_ids,
  message_count: row.message_count,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

async function requireOwn(ctx: KbContext, claims: AccessTokenClaims, id: string): Promise<ConversationRow> {
  const row = await findOwnConversation(ctx.db, id, ownerOf(claims));
  if (!row) throw notFound(id);
  return row;
}

export type KbAccess = { id: string; name: string | null; access: 'ok' | 'lost' | 'deleted' };

/** How the owner can use each of a conversation's KBs now. */
export async function kbAccessOf(ctx: KbContext, claims: AccessTokenClaims, kbIds: string[]): Promise<KbAccess[]> {
  const [kbs, held] = await Promise.all([findKbs(ctx.db, kbIds), permissionsOf(ctx.db, kbIds, claims)]);
  return kbIds.map((id) => {
    const kb = kbs.find((k) => k.id === id);
    if (!kb) return { id, name: null, access: 'deleted' as const };
    if (!held.has(id)) return { id, name: null, access: 'lost' as const };
    return { id, name: kb.name, access: 'ok' as const };
  });
}

/** Only KBs the caller can read may be bound to a conversation; others are "not found", as everywhere. */
async function requireReadable(ctx: KbContext, claims: AccessTokenClaims, kbIds: string[]): Promise<string[]> {
  const ids = [...new Set(kbIds.map((id) => id.toLowerCase()))];
  const access = await kbAccessOf(ctx, claims, ids);
  const missing = access.find((a) => a.access !== 'ok');
  if (missing) throw errors.KB_NOT_FOUND(`Knowledge base ${missing.id} not found`, { kb_id: missing.id });
  return ids;
}

export async function createConversation(ctx: KbContext, claims: AccessTokenClaims, body: ConversationCreate) {
  const kbIds = await requireReadable(ctx, claims, body.kb_ids);
  const row = await insertConversation(ctx.db, {
    id: randomUUID(),
    ownerId: ownerOf(claims),
    title: body.title?.trim() || 'New conversation',
    titleIsCustom: body.title !== undefined,
    kbIds,
  });
  ctx.metrics.conversationsCreated.inc();
  return summaryOf(row);
}

function encodeCursor(row: ConversationRow): string {
  return Buffer.from(JSON.stringify([row.updated_at.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): ListCursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const updatedAt = new Date(at);
    if (Number.isNaN(updatedAt.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) {
      throw new Error('bad cursor');
    }
    return { updatedAt, id };
  } catch {
    throw errors.INVALID_MESSAGE_TARGET('The cursor is not one this list handed out', { cursor });
  }
}

export async function listConversations(ctx: KbContext, claims: AccessTokenClaims, query: ConversationListParams) {
  const limit = query.limit ?? 20;
  const rows = await listOwnConversations(ctx.db, ownerOf(claims), {
    limit: limit + 1,
    q: query.q?.trim() || undefined,
    before: query.cursor ? decodeCursor(query.cursor) : undefined,
  });
  const page = rows.slice(0, limit);
  return {
    items: page.map(summaryOf),
    next_cursor: rows.length > limit ? encodeCursor(page.at(-1)!) : null,
  };
}

function statusNow(row: MessageRow, now: Date): MessageStatus {
  // A lapsed lease means nobody is writing it any more, even before the sweep marks it.
  return row.status === 'streaming' && row.lease_expires_at && row.lease_expires_at < now ? 'interrupted' : row.status;
}

function messageView(row: MessageRow, now: Date): MessageView {
  return {
    id: row.id,
    role: row.role,
    reply_to: row.reply_to,
    version: row.version,
    content: row.content,
    status: statusNow(row, now),
    kb_ids: row.kb_ids,
    citations: row.citations as MessageView['citations'],
    model_id: row.model_id,
    model_name: row.model_name,
    fallback_reason: row.fallback_reason,
    error: row.error,
    timings: row.timings,
    usage: (row.usage ?? null) as MessageView['usage'],
    notes: row.notes,
    feedback: row.feedback_helpful === null ? null : { helpful: row.feedback_helpful, comment: row.feedback_comment },
    created_at: row.created_at.toISOString(),
    completed_at: row.completed_at?.toISOString() ?? null,
  };
}

export async function getConversation(ctx: KbContext, claims: AccessTokenClaims, id: string) {
  const row = await requireOwn(ctx, claims, id);
  const [kbs, messages] = await Promise.all([kbAccessOf(ctx, claims, row.kb_ids), messagesOf(ctx.db, row.id)]);
  const now = ctx.clock();
  return { ...summaryOf(row), kbs, messages: messages.map((m) => messageView(m, now)) };
}

export async function patchConversation(
  ctx: KbContext,
  claims: AccessTokenClaims,
  id: string,
  patch: ConversationPatch,
) {
  await requireOwn(ctx, claims, id);
  const kbIds = patch.kb_ids ? await requireReadable(ctx, claims, patch.kb_ids) : undefined;
  const title = patch.title?.trim();
  const row = await updateOwnConversation(ctx.db, id, ownerOf(claims), {
    ...(title ? { title, titleIsCustom: true } : {}),
    ...(kbIds ? { kbIds } : {}),
  });
  if (!row) throw notFound(id);
  return summaryOf(row);
}

export async function deleteConversation(ctx: KbContext, claims: AccessTokenClaims, id: string): Promise<void> {
  if (!(await deleteOwnConversation(ctx.db, id, ownerOf(claims)))) throw notFound(id);
}

/** The latest answer version of each question, as the turns the model sees (newest kept within budget). */
export function historyOf(messages: MessageRow[], beforeSeq = Number.POSITIVE_INFINITY): ChatMessage[] {
  const latest = new Map<string, MessageRow>();
  for (const m of messages) {
    if (m.role === 'assistant' && m.reply_to && m.seq < beforeSeq && m.content.trim() !== '') {
      const held = latest.get(m.reply_to);
      if (!held || m.version > held.version) latest.set(m.reply_to, m);
    }
  }
  const turns: ChatMessage[] = [];
  for (const m of messages) {
    if (m.role !== 'user' || m.seq >= beforeSeq) continue;
    const answer = latest.get(m.id);
    turns.push({ role: 'user', content: m.content });
    if (answer) turns.push({ role: 'assistant', content: answer.content });
  }
  const kept: ChatMessage[] = [];
  let chars = 0;
  for (const turn of turns.reverse()) {
    if (kept.length >= CONVERSATION_LIMITS.historyMessages) break;
    chars += turn.content.length;
    if (chars > CONVERSATION_LIMITS.historyChars) break;
    kept.unshift(turn);
  }
  return kept;
}

/** An answer about to be written: the question is stored, the answer row is streaming. */
export interface StartedAnswer {
  conversationId: string;
  questionId: string;
  answerId: string;
  version: number;
  prepared: PreparedChat;
  /** Said with the answer: KBs that were not asked and why. */
  notes: string[];
  startedAt: number;
}

export type AskTarget =
  /** `kbId`: /api/v1/chat names the KB it asks; it must be one of the conversation's. */
  | { conversationId: string; kbId?: string }
  /** /api/v1/chat without a conversation: one is created with the question, as the asker's. */
  | { newConversation: { kbIds: string[]; history?: ChatMessage[] } };

function notesFor(access: KbAccess[], prepared: PreparedChat): string[] {
  const notes: string[] = [];
  const lost = access.filter((a) => a.access === 'lost').length;
  const deleted = access.filter((a) => a.access === 'deleted').length;
  if (lost > 0)
    notes.push(`${lost} knowledge base(s) of this conversation were not asked: you can no longer read them`);
  if (deleted > 0) notes.push(`${deleted} knowledge base(s) of this conversation were deleted and were not asked`);
  for (const failure of prepared.retrievalFailures) notes.push(failure.message);
  notes.push(...prepared.retrievalNotes);
  return notes;
}

/**
 * Stores a question and starts its answer. Retrieval runs first: when nothing can be
 * searched the caller gets the error and nothing is stored, so a retry does not duplicate.
 */
export async function startAsk(
  ctx: KbContext,
  claims: AccessTokenClaims,
  target: AskTarget,
  content: string,
  signal?: AbortSignal,
): Promise<StartedAnswer> {
  const startedAt = performance.now();
  let conversation: ConversationRow | undefined;
  let access: KbAccess[];
  let history: ChatMessage[];
  if ('conversationId' in target) {
    conversation = await requireOwn(ctx, claims, target.conversationId);
    if (target.kbId && !conversation.kb_ids.includes(target.kbId.toLowerCase())) {
      throw errors.INVALID_MESSAGE_TARGET('kb_id is not one of the knowledge bases of this conversation', {
        kb_id: target.kbId,
        conversation_kb_ids: conversation.kb_ids,
      });
    }
    if (conversation.message_count + 2 > CONVERSATION_LIMITS.messages) {
      throw errors.CONVERSATION_FULL(
        `A conversation holds at most ${CONVERSATION_LIMITS.messages} messages; start a new one`,
        { limit: CONVERSATION_LIMITS.messages },
      );
    }
    access = await kbAccessOf(ctx, claims, conversation.kb_ids);
    history = historyOf(await messagesOf(ctx.db, conversation.id));
  } else {
    access = target.newConversation.kbIds.map((id) => ({ id, name: null, access: 'ok' as const }));
    history = target.newConversation.history ?? [];
  }
  const usable = access.filter((a) => a.access === 'ok').map((a) => a.id);
  if (usable.length === 0) {
    throw errors.CONVERSATION_KBS_UNAVAILABLE(
      'None of the knowledge bases of this conversation can be asked: they were deleted or you can no longer read them',
      { kbs: access },
    );
  }
  const prepared = await prepareAnswer(ctx, claims, { kbIds: usable, message: content, history }, signal);
  const notes = notesFor(access, prepared);

  const questionId = randomUUID();
  const answerId = randomUUID();
  const now = ctx.clock();
  const conversationId = await inTransaction(ctx.db, async (trx) => {
    let row: ConversationRow;
    if (conversation) {
      const locked = await findOwnConversation(trx, conversation.id, ownerOf(claims), { forUpdate: true });
      if (!locked) throw notFound(conversation.id);
      row = locked;
      if (row.message_count === 0 && !row.title_is_custom) {
        await updateOwnConversation(trx, row.id, ownerOf(claims), { title: titleFromQuestion(content) });
      }
    } else {
      row = await insertConversation(trx, {
        id: randomUUID(),
        ownerId: ownerOf(claims),
        title: titleFromQuestion(content),
        titleIsCustom: false,
        kbIds: prepared.kbIds,
      });
      ctx.metrics.conversationsCreated.inc();
    }
    await appendMessages(
      trx,
      row.id,
      [
        {
          id: questionId,
          role: 'user',
          replyTo: null,
          version: 1,
          content,
          status: 'complete',
          kbIds: prepared.kbIds,
        },
        {
          id: answerId,
          role: 'assistant',
          replyTo: questionId,
          version: 1,
          content: '',
          status: 'streaming',
          kbIds: prepared.kbIds,
          leaseExpiresAt: new Date(now.getTime() + ANSWER_LEASE_MS),
        },
      ],
      now,
    );
    return row.id;
  });
  return { conversationId, questionId, answerId, version: 1, prepared, notes, startedAt };
}

/** A new version of an answer (the earlier ones are kept), to the same question with the same history. */
export async function startRegenerate(
  ctx: KbContext,
  claims: AccessTokenClaims,
  conversationId: string,
  messageId: string,
  signal?: AbortSignal,
): Promise<StartedAnswer> {
  const startedAt = performance.now();
  const conversation = await requireOwn(ctx, claims, conversationId);
  if (conversation.message_count + 1 > CONVERSATION_LIMITS.messages) {
    throw errors.CONVERSATION_FULL(`A conversation holds at most ${CONVERSATION_LIMITS.messages} messages`, {
      limit: CONVERSATION_LIMITS.messages,
    });
  }
  const messages = await messagesOf(ctx.db, conversationId);
  const target = messages.find((m) => m.id === messageId);
  if (!target) throw errors.MESSAGE_NOT_FOUND(`Message ${messageId} not found in this conversation`);
  const question = target.role === 'user' ? target : messages.find((m) => m.id === target.reply_to);
  if (!question) throw errors.INVALID_MESSAGE_TARGET('This message answers no question that can be asked again');
  const versions = messages.filter((m) => m.reply_to === question.id);
  if (versions.some((m) => statusNow(m, ctx.clock()) === 'streaming')) {
    throw errors.INVALID_MESSAGE_TARGET('An answer to this question is still being written; stop it first');
  }
  const access = await kbAccessOf(ctx, claims, conversation.kb_ids);
  const usable = access.filter((a) => a.access === 'ok').map((a) => a.id);
  if (usable.length === 0) {
    throw errors.CONVERSATION_KBS_UNAVAILABLE(
      'None of the knowledge bases of this conversation can be asked: they were deleted or you can no longer read them',
      { kbs: access },
    );
  }
  const history = historyOf(messages, question.seq);
  const prepared = await prepareAnswer(ctx, claims, { kbIds: usable, message: question.content, history }, signal);
  const version = Math.max(0, ...versions.map((m) => m.version)) + 1;
  const answerId = randomUUID();
  const now = ctx.clock();
  await inTransaction(ctx.db, async (trx) => {
    if (!(await findOwnConversation(trx, conversationId, ownerOf(claims), { forUpdate: true }))) {
      throw notFound(conversationId);
    }
    await appendMessages(
      trx,
      conversationId,
      [
        {
          id: answerId,
          role: 'assistant',
          replyTo: question.id,
          version,
          content: '',
          status: 'streaming',
          kbIds: prepared.kbIds,
          leaseExpiresAt: new Date(now.getTime() + ANSWER_LEASE_MS),
        },
      ],
      now,
    );
  });
  return {
    conversationId,
    questionId: question.id,
    answerId,
    version,
    prepared,
    notes: notesFor(access, prepared),
    startedAt,
  };
}

/** Answers being written by this replica: stopped on request, interrupted at shutdown. */
export class AnswerRegistry {
  readonly #running = new Map<string, AbortController>();
  readonly #shutdown = new AbortController();
  #drained: (() => void) | undefined;

  get shutdownSignal(): AbortSignal {
    return this.#shutdown.signal;
  }

  register(answerId: string): AbortController {
    const stop = new AbortController();
    this.#running.set(answerId, stop);
    return stop;
  }

  /** Called once the answer is saved. */
  release(answerId: string): void {
    this.#running.delete(answerId);
    if (this.#running.size === 0) this.#drained?.();
  }

  stop(answerId: string): boolean {
    const held = this.#running.get(answerId);
    held?.abort();
    return held !== undefined;
  }

  /**
   * Called before the service closes: every answer still being written ends interrupted,
   * and this waits (at most `graceMs`) until they are saved, while the database is still open.
   */
  async shutdown(graceMs = 5_000): Promise<void> {
    this.#shutdown.abort();
    if (this.#running.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.#drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  get size(): number {
    return this.#running.size;
  }
}

const errorOf = (item: ChatEvent) => (item.event === 'error' ? item.data : null);

/**
 * Streams an answer as /api/v1/chat does and writes it into the conversation as it comes:
 * the partial text with each lease renewal, the whole answer, citations, model and timings
 * at the end. A stop (by the asker, or the client leaving) keeps the partial answer.
 */
export async function* streamAnswer(
  ctx: KbContext,
  started: StartedAnswer,
  fallback: FallbackHolder,
  answers: AnswerRegistry,
  callerSignal: AbortSignal,
): AsyncGenerator<ChatEvent> {
  const stop = answers.register(started.answerId);
  const signal = AbortSignal.any([callerSignal, stop.signal, answers.shutdownSignal]);
  let content = '';
  let firstTokenMs: number | null = null;
  let citations: unknown[] = [];
  let done: Extract<ChatEvent, { event: 'done' }>['data'] | undefined;
  let failure: { code: string; message: string } | null = null;
  const renew = setInterval(() => {
    const expires = new Date(ctx.clock().getTime() + ANSWER_LEASE_MS);
    renewAnswer(ctx.db, started.answerId, content, expires)
      .then((held) => {
        if (held?.stopRequested) stop.abort();
      })
      .catch((error) => ctx.logger.warn({ err: error, messageId: started.answerId }, 'answer lease renewal failed'));
  }, ANSWER_RENEW_MS);
  try {
    for await (const item of streamChat(ctx, started.prepared, fallback, signal)) {
      if (signal.aborted) break;
      if (item.event === 'token') {
        firstTokenMs ??= Math.round(performance.now() - started.startedAt);
        content += item.data.text;
        yield item;
      } else if (item.event === 'citations') {
        citations = item.data.citations;
        yield item;
      } else if (item.event === 'done') {
        done = item.data;
        yield {
          event: 'done',
          data: {
            ...item.data,
            conversation_id: started.conversationId,
            question_id: started.questionId,
            message_id: started.answerId,
            version: started.version,
            notes: started.notes,
          },
        };
      } else {
        failure = errorOf(item);
        yield item;
      }
    }
  } finally {
    clearInterval(renew);
    const status: Exclude<MessageStatus, 'streaming'> = answers.shutdownSignal.aborted
      ? 'interrupted'
      : signal.aborted
        ? 'stopped'
        : failure
          ? 'failed'
          : 'complete';
    const totalMs = Math.round(performance.now() - started.startedAt);
    const modelId = done?.model_id ?? started.prepared.model.id;
    await finishAnswer(ctx.db, started.answerId, {
      content,
      status,
      citations,
      modelId,
      modelName: done?.model_name ?? started.prepared.model.name,
      fallbackReason: done?.fallback_reason ?? null,
      error: status === 'failed' ? failure : null,
      timings: { first_token_ms: firstTokenMs, total_ms: totalMs },
      usage: done?.usage ?? null,
      notes: started.notes,
      completedAt: ctx.clock(),
    }).catch((error) => ctx.logger.error({ err: error, messageId: started.answerId }, 'saving an answer failed'));
    answers.release(started.answerId);
    ctx.metrics.conversationMessages.inc({ kb_id: started.prepared.kbId, model_id: modelId, status });
    ctx.metrics.answerSeconds.observe({ model_id: modelId }, totalMs / 1000);
    if (firstTokenMs !== null) ctx.metrics.firstTokenSeconds.observe({ model_id: modelId }, firstTokenMs / 1000);
  }
}

export async function stopAnswer(
  ctx: KbContext,
  claims: AccessTokenClaims,
  answers: AnswerRegistry,
  conversationId: string,
  messageId: string,
): Promise<void> {
  await requireOwn(ctx, claims, conversationId);
  const requested = await requestStop(ctx.db, conversationId, messageId);
  if (!requested) {
    throw errors.MESSAGE_NOT_STREAMING('This message is not being written (it ended, or is not an answer)', {
      message_id: messageId,
    });
  }
  // Here at once; on another replica when it next renews the answer's lease.
  answers.stop(messageId);
}

export async function setFeedback(
  ctx: KbContext,
  claims: AccessTokenClaims,
  conversationId: string,
  messageId: string,
  feedback: Feedback | null,
): Promise<void> {
  await requireOwn(ctx, claims, conversationId);
  const message = (await messagesOf(ctx.db, conversationId)).find((m) => m.id === messageId);
  if (!message) throw errors.MESSAGE_NOT_FOUND(`Message ${messageId} not found in this conversation`);
  if (message.role !== 'assistant') throw errors.INVALID_MESSAGE_TARGET('Feedback is given on answers, not questions');
  if (feedback === null) {
    await deleteFeedback(ctx.db, messageId);
    return;
  }
  await upsertFeedback(ctx.db, {
    messageId,
    kbIds: message.kb_ids,
    modelId: message.model_id,
    helpful: feedback.helpful,
    comment: feedback.comment?.trim() || null,
    now: ctx.clock(),
  });
}

/** For operators: how answers were judged, without any conversation's content or owner. */
export async function feedbackSummary(ctx: KbContext, days: number) {
  const since = new Date(ctx.clock().getTime() - days * 86_400_000);
  const { totals, byModel, byKb, comments } = await feedbackSince(ctx.db, since);
  const n = (v: unknown) => Number(v ?? 0);
  return {
    since: since.toISOString(),
    total: n(totals.helpful) + n(totals.not_helpful),
    helpful: n(totals.helpful),
    not_helpful: n(totals.not_helpful),
    by_model: byModel.map((r) => ({ model_id: r.model_id, helpful: n(r.helpful), not_helpful: n(r.not_helpful) })),
    by_kb: byKb.map((r) => ({
      kb_id: r.kb_id,
      kb_name: r.kb_name ?? null,
      helpful: n(r.helpful),
      not_helpful: n(r.not_helpful),
    })),
    recent_comments: comments.map((c) => ({
      helpful: c.helpful,
      comment: c.comment ?? '',
      model_id: c.model_id,
      created_at: c.updated_at.toISOString(),
    })),
  };
}

/** Answers left streaming by a replica that went away: interrupted, their partial text kept. */
export function startLapsedAnswerSweep(ctx: KbContext): () => void {
  const sweep = () =>
    markLapsedAnswersInterrupted(ctx.db, ctx.clock()).catch((error) =>
      ctx.logger.warn({ err: error }, 'marking lapsed answers interrupted failed'),
    );
  void sweep();
  const timer = setInterval(sweep, ANSWER_LEASE_MS);
  timer.unref();
  return () => clearInterval(timer);
}

type ConversationExport = Awaited<ReturnType<typeof getConversation>>;

/** Markdown of the conversation as its owner reads it: each question with its latest answer and sources. */
export function conversationMarkdown(conversation: ConversationExport): string {
  const lines = [`# ${conversation.title}`, ''];
  const kbNames = conversation.kbs.map((kb) => kb.name ?? `${kb.id} (${kb.access})`).join(', ');
  lines.push(`Knowledge bases: ${kbNames}  `, `Started: ${conversation.created_at}`, '');
  const latest = new Map<string, MessageView>();
  for (const m of conversation.messages) {
    if (m.role === 'assistant' && m.reply_to) {
      const held = latest.get(m.reply_to);
      if (!held || m.version > held.version) latest.set(m.reply_to, m);
    }
  }
  for (const m of conversation.messages) {
    if (m.role !== 'user') continue;
    lines.push(
      `## ${m.content.split('\n')[0]!.slice(0, 120)}`,
      '',
      `**Question** (${m.created_at}):`,
      '',
      m.content,
      '',
    );
    const answer = latest.get(m.id);
    if (!answer) continue;
    const by = answer.model_name ?? answer.model_id ?? 'unknown model';
    const status = answer.status === 'complete' ? '' : ` — ${answer.status}`;
    lines.push(
      `**Answer** (${by}, ${answer.completed_at ?? answer.created_at}${status}):`,
      '',
      answer.content || '_(no text)_',
      '',
    );
    for (const note of answer.notes) lines.push(`> ${note}`, '');
    if (answer.citations.length > 0) {
      lines.push('Sources:', '');
      for (const c of answer.citations)
        lines.push(`- ${c.marker} ${c.document_name} (${c.kb_name}), passage ${c.chunk_index + 1}`);
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
