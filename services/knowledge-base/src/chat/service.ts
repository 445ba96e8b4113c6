/**
 * Chat: retrieve passages from one KB, answer with the KB's generation model and
 * overrides, stream the answer. When that model is unavailable (deleted, inactive, or
 * failing) the default generation model answers instead, and the stream says so.
 */
import type { AccessTokenClaims } from '@lumikb/contracts';
import { type ChatMessage, CitationRenumberer, type GenerateChunk, type LlmModel } from '@lumikb/llm';
import type { KbContext } from '../context.ts';
import { errors } from '../errors.ts';
import { effectiveConfig } from '../knowledge-bases/config.ts';
import { findKbs } from '../knowledge-bases/repository.ts';
import type { ConfigOverrides } from '../knowledge-bases/schemas.ts';
import { findDefaultModel, findModel, type ProjectedModel } from '../models/repository.ts';
import { toLlmModel } from '../models/service.ts';
import { requirePermission } from '../permissions/service.ts';
import { type KbRetrieval, type KbSearchError, type RetrievedPassage, retrieve } from '../search/service.ts';
import type { ChatRequest } from './schemas.ts';

export type ChatEvent =
  | { event: 'token'; data: { text: string } }
  | { event: 'citations'; data: { citations: (RetrievedPassage & { marker: string })[] } }
  | {
      event: 'done';
      data: {
        kb_id: string;
        model_id: string;
        model_name: string | null;
        fallback_used: boolean;
        fallback_reason: string | null;
        finish_reason: string;
        usage: unknown;
        passages_retrieved: number;
        /** How each KB was searched (mode, keyword index, query terms), as search reports it. */
        retrieval?: KbRetrieval[];
        /** Where the answer was saved (every answer is saved in its asker's conversation). */
        conversation_id?: string;
        question_id?: string;
        message_id?: string;
        version?: number;
        /** KBs not asked and why (a conversation's KB deleted, read access lost, search failed). */
        notes?: string[];
      };
    }
  | { event: 'error'; data: { code: string; message: string } };

/** Holder the router's fallback hook reads (the default generation model of the moment). */
export interface FallbackHolder {
  model: LlmModel | undefined;
}

export interface PreparedChat {
  /** The KB whose generation model answers (the first of those asked). */
  kbId: string;
  /** Every KB the passages were retrieved from. */
  kbIds: string[];
  model: ProjectedModel;
  /** Why the KB's own model is not used (null when it is). */
  substitutedBecause: string | null;
  passages: RetrievedPassage[];
  /** KBs that could not be searched while others could (the answer says so). */
  retrievalFailures: KbSearchError[];
  /** How each KB was searched. */
  retrieval: KbRetrieval[];
  /** What the asker should know about how the passages were found (a KB without keyword terms). */
  retrievalNotes: string[];
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number;
  /** The hot-reloaded generation_defaults.request_timeout_seconds, in ms. */
  timeoutMs: number;
  fallbackAllowed: boolean;
  defaultModel: ProjectedModel | undefined;
}

/** One question to one or more KBs, with the earlier turns (oldest first). */
export interface Question {
  kbIds: string[];
  message: string;
  history?: readonly ChatMessage[];
}

/** `/api/v1/chat`'s body as a question. */
export const prepareChat = (ctx: KbContext, claims: AccessTokenClaims, request: ChatRequest, signal?: AbortSignal) =>
  prepareAnswer(
    ctx,
    claims,
    {
      kbIds: [request.kb_id],
      message: request.message,
      history: (request.history ?? []).map((m) => ({ role: m.role, content: m.content })),
    },
    signal,
  );

/**
 * Everything that can fail with a plain JSON error happens here, before the stream starts.
 * The first KB's generation model and settings answer; retrieval spans every KB, each with
 * its own embedding model. A KB that cannot be searched while others can becomes a note.
 */
export async function prepareAnswer(
  ctx: KbContext,
  claims: AccessTokenClaims,
  question: Question,
  signal?: AbortSignal,
): Promise<PreparedChat> {
  for (const kbId of question.kbIds) await requirePermission(ctx.db, kbId, claims, 'READ');
  const found = await findKbs(ctx.db, question.kbIds);
  const kbs = question.kbIds.flatMap((id) => found.filter((kb) => kb.id === id));
  const kb = kbs[0];
  if (!kb) throw errors.KB_NOT_FOUND(`Knowledge base ${question.kbIds[0]} not found`);
  const settings = ctx.settings.snapshot;
  const config = effectiveConfig(kb.config_overrides as ConfigOverrides, settings);
  const fallbackAllowed = settings.llm.generation_defaults.fallback_to_default;
  const defaultModel = await findDefaultModel(ctx.db, 'generation');

  let model = await findModel(ctx.db, kb.generation_model_id);
  let substitutedBecause: string | null = null;
  if (model?.status !== 'active') {
    const why = model
      ? `the knowledge base's generation model "${model.name}" is ${model.status}`
      : "the knowledge base's generation model is no longer registered";
    if (!fallbackAllowed || !defaultModel || defaultModel.id === kb.generation_model_id) {
      throw errors.GENERATION_UNAVAILABLE(`Cannot answer: ${why} and no default generation model can stand in`);
    }
    model = defaultModel;
    substitutedBecause = why;
  }

  const {
    results,
    errors: failures,
    retrieval,
  } = await retrieve(ctx, kbs, question.message, {
    topK: config.top_k,
    // One KB: its own threshold; several: each KB's own (retrieve reads it per KB).
    similarityThreshold: kbs.length === 1 ? config.similarity_threshold : undefined,
    ...(signal ? { signal } : {}),
  });
  if (failures.length >= kbs.length) {
    const first = failures[0]!;
    const fail =
      first.code === 'VECTOR_STORE_UNAVAILABLE' ? errors.VECTOR_STORE_UNAVAILABLE : errors.EMBEDDING_UNAVAILABLE;
    throw fail(`Cannot retrieve passages: ${first.message}`);
  }
  const RERANK_FAILURES = {
    RERANK_TIMEOUT: 'the rerank model did not answer in time',
    RERANK_UNAVAILABLE: 'the rerank model failed',
    RERANK_MODEL_UNAVAILABLE: 'its rerank model is no longer registered or active',
  } as const;
  const rerankNotes = retrieval.flatMap((r) => {
    if (r.rerank !== 'failed' || !r.rerank_reason) return [];
    const name = kbs.find((k) => k.id === r.kb_id)?.name ?? r.kb_id;
    return [`"${name}" was not reranked (${RERANK_FAILURES[r.rerank_reason]}): passages in their retrieval order`];
  });
  const lexicalNotes = retrieval.flatMap((r) => {
    const name = kbs.find((k) => k.id === r.kb_id)?.name ?? r.kb_id;
    if (r.lexical_index === 'building' && r.mode !== 'vector') {
      return [
        `"${name}" is still building its keyword index (documents processed before keyword search): some passages were found by vector only`,
      ];
    }
    if (r.lexical_index !== 'empty') return [];
    // Hybrid: said only when vector hits show there are chunks (an empty KB needs no note).
    if (r.mode === 'hybrid' && results.some((p) => p.kb_id === r.kb_id)) {
      return [
        `"${name}" has no keyword index yet (its documents were processed before keyword search): vector matches only`,
      ];
    }
    if (r.mode === 'keyword') {
      return [
        `"${name}" has no keyword index yet (documents processed before keyword search, or none processed): keyword search found nothing`,
      ];
    }
    return [];
  });
  const retrievalNotes = [...lexicalNotes, ...rerankNotes];
  const messages: ChatMessage[] = [
    { role: 'system', content: config.system_prompt },
    ...(question.history ?? []),
    { role: 'user', content: question.message },
  ];
  return {
    kbId: kb.id,
    kbIds: kbs.map((k) => k.id),
    model,
    substitutedBecause,
    passages: results,
    retrievalFailures: failures,
    retrieval,
    retrievalNotes,
    messages,
    temperature: config.temperature,
    maxTokens: config.max_tokens,
    timeoutMs: settings.llm.generation_defaults.request_timeout_seconds * 1000,
    fallbackAllowed,
    defaultModel,
  };
}

export async function* streamChat(
  ctx: KbContext,
  chat: PreparedChat,
  fallback: FallbackHolder,
  signal: AbortSignal,
): AsyncGenerator<ChatEvent> {
  const passages = chat.passages.map((p, i) => ({ ...p, marker: `[${i + 1}]` }));
  // Shared by concurrent requests: it only ever holds the current default, whoever sets it.
  fallback.model = chat.fallbackAllowed && chat.defaultModel ? toLlmModel(chat.defaultModel) : undefined;
  // The answer's markers are renumbered as it streams, so they read [1], [2], [3] in order
  // of first use and the sources list below the answer is in that order, with no gaps.
  const renumber = new CitationRenumberer(passages.length);
  const sources = () =>
    renumber.order.length > 0
      ? renumber.order.map((n, i) => ({ ...passages[n - 1]!, marker: `[${i + 1}]` }))
      : // An answer that cites nothing lists every passage it was given (still numbered 1..n).
        passages;
  let done: Extract<GenerateChunk, { type: 'done' }> | undefined;
  try {
    for await (const chunk of ctx.llm.generate(toLlmModel(chat.model), {
      messages: chat.messages,
      passages: passages.map((p) => ({ text: p.text, citation: p.marker, score: p.score })),
      temperature: chat.temperature,
      max_tokens: chat.maxTokens,
      signal: AbortSignal.any([signal, AbortSignal.timeout(chat.timeoutMs)]),
    })) {
      if (chunk.type === 'token') {
        const text = renumber.push(chunk.text);
        if (text) yield { event: 'token', data: { text } };
      } else {
        done = chunk;
      }
    }
  } catch (error) {
    ctx.logger.warn({ err: error, kbId: chat.kbId }, 'chat generation failed');
    const message = error instanceof Error ? error.message : String(error);
    // The partial answer is kept: its held-back end, and the sources it already cites.
    const rest = renumber.end();
    if (rest) yield { event: 'token', data: { text: rest } };
    if (renumber.order.length > 0) yield { event: 'citations', data: { citations: sources() } };
    yield {
      event: 'error',
      data: { code: 'GENERATION_UNAVAILABLE', message: `The answer could not be generated: ${message}` },
    };
    return;
  }
  const rest = renumber.end();
  if (rest) yield { event: 'token', data: { text: rest } };
  yield { event: 'citations', data: { citations: sources() } };

  const answeredBy = done?.model_id ?? chat.model.id;
  const routerFallback = done?.fallback_used ?? false;
  const fallbackUsed = routerFallback || chat.substitutedBecause !== null;
  const reason = routerFallback
    ? (done?.fallback_reason ?? "the knowledge base's generation model was unavailable")
    : chat.substitutedBecause;
  const modelName =
    answeredBy === chat.model.id
      ? chat.model.name
      : answeredBy === chat.defaultModel?.id
        ? chat.defaultModel.name
        : null;
  ctx.metrics.chatAnswers.inc({ fallback: String(fallbackUsed) });
  yield {
    event: 'done',
    data: {
      kb_id: chat.kbId,
      model_id: answeredBy,
      model_name: modelName,
      fallback_used: fallbackUsed,
      fallback_reason: fallbackUsed ? `Answered by the default generation model because ${reason}` : null,
      finish_reason: done?.finish_reason ?? 'stop',
      usage: done?.usage ?? null,
      passages_retrieved: passages.length,
      retrieval: chat.retrieval,
      ...(chat.retrievalNotes.length > 0 ? { notes: chat.retrievalNotes } : {}),
    },
  };
}
