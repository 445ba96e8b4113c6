/** Routes: `/api/v1/conversations` (each signed-in user's own) and the operators' feedback summary. */
import type { AccessTokenClaims } from '@lumikb/contracts';
import { caller, errorResponses, type ServiceApp } from '@lumikb/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { sendEventStream } from '../chat/event-stream.ts';
import type { KbContext } from '../context.ts';
import { callerSignal } from '../requests/caller-lifetime.ts';
import {
  AskBody,
  ConversationCreateBody,
  ConversationListQuery,
  ConversationListSchema,
  ConversationParams,
  ConversationPatchBody,
  ConversationSchema,
  ConversationSummarySchema,
  ExportQuery,
  FeedbackBody,
  FeedbackSummaryQuery,
  FeedbackSummarySchema,
  MessageParams,
} from './schemas.ts';
import {
  conversationMarkdown,
  createConversation,
  deleteConversation,
  feedbackSummary,
  getConversation,
  listConversations,
  patchConversation,
  type StartedAnswer,
  setFeedback,
  startAsk,
  startRegenerate,
  stopAnswer,
  streamAnswer,
} from './service.ts';

const tags = ['conversations'];
const STREAM_DESCRIPTION =
  'Server-sent events as /api/v1/chat: `token` {text}…, `citations` {citations}, then `done` ' +
  '{…, conversation_id, question_id, message_id, version, notes}; `error` {code, message} if generation fails ' +
  '(the partial answer is kept, status failed). Headers x-conversation-id and x-message-id name the answer ' +
  'before the first token. Closing the stream stops the answer (kept, status stopped).';

/** Headers that tell the client where its answer is saved, before the first token. */
export const answerHeaders = (started: StartedAnswer) => ({
  'x-conversation-id': started.conversationId,
  'x-question-id': started.questionId,
  'x-message-id': started.answerId,
});

/**
 * The one way an answer is streamed (chat, ask, regenerate): a chat slot held before the
 * first await, the question stored by `start`, then the answer streamed and saved.
 */
export async function streamSavedAnswer(
  ctx: KbContext,
  request: FastifyRequest,
  reply: FastifyReply,
  start: (claims: AccessTokenClaims, signal: AbortSignal) => Promise<StartedAnswer>,
): Promise<void> {
  const claims = caller(request);
  ctx.concurrency.chat.hold(claims.sub, reply);
  const signal = callerSignal(request, reply);
  const started = await start(claims, signal);
  await sendEventStream(
    request,
    reply,
    signal,
    streamAnswer(ctx, started, ctx.fallback, ctx.answers, signal),
    answerHeaders(started),
  );
}

export function registerConversationRoutes(app: ServiceApp, ctx: KbContext): void {
  const { answers } = ctx;
  app.post(
    '/api/v1/conversations',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Start a conversation with one or more knowledge bases you can read',
        body: ConversationCreateBody,
        response: { 201: ConversationSummarySchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => reply.status(201).send(await createConversation(ctx, caller(request), request.body)),
  );

  app.get(
    '/api/v1/conversations',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Your conversations, most recently active first (paged by cursor; ?q= searches titles)',
        querystring: ConversationListQuery,
        response: { 200: ConversationListSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => listConversations(ctx, caller(request), request.query),
  );

  app.get(
    '/api/v1/conversations/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: "One of your conversations with every message (another user's answers 404)",
        params: ConversationParams,
        response: { 200: ConversationSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => getConversation(ctx, caller(request), request.params.id),
  );

  app.patch(
    '/api/v1/conversations/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Rename a conversation or change the knowledge bases it asks',
        params: ConversationParams,
        body: ConversationPatchBody,
        response: { 200: ConversationSummarySchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => patchConversation(ctx, caller(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/conversations/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Delete a conversation with its messages and feedback',
        params: ConversationParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await deleteConversation(ctx, caller(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/conversations/:id/messages',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Ask the next question in a conversation (streams the answer)',
        description: STREAM_DESCRIPTION,
        params: ConversationParams,
        body: AskBody,
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...errorResponses(400, 401, 404, 409, 429, 503),
        },
      },
    },
    async (request, reply) =>
      streamSavedAnswer(ctx, request, reply, (claims, signal) =>
        startAsk(ctx, claims, { conversationId: request.params.id }, request.body.content, signal),
      ),
  );

  app.post(
    '/api/v1/conversations/:id/messages/:messageId/regenerate',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Answer a question again (the earlier answers are kept as older versions)',
        description: `The message may be the question or any of its answers. ${STREAM_DESCRIPTION}`,
        params: MessageParams,
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...errorResponses(400, 401, 404, 409, 429, 503),
        },
      },
    },
    async (request, reply) =>
      streamSavedAnswer(ctx, request, reply, (claims, signal) =>
        startRegenerate(ctx, claims, request.params.id, request.params.messageId, signal),
      ),
  );

  app.post(
    '/api/v1/conversations/:id/messages/:messageId/stop',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Stop an answer being written (from another tab or device); the partial answer is kept',
        params: MessageParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      await stopAnswer(ctx, caller(request), answers, request.params.id, request.params.messageId);
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/api/v1/conversations/:id/messages/:messageId/feedback',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Say whether an answer helped (with an optional comment); operators see feedback in aggregate',
        params: MessageParams,
        body: FeedbackBody,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { id, messageId } = request.params;
      await setFeedback(ctx, caller(request), id, messageId, request.body);
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/v1/conversations/:id/messages/:messageId/feedback',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Take back your feedback on an answer',
        params: MessageParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { id, messageId } = request.params;
      await setFeedback(ctx, caller(request), id, messageId, null);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/conversations/:id/export',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Download a conversation as Markdown (each question with its latest answer) or JSON (everything)',
        params: ConversationParams,
        querystring: ExportQuery,
        produces: ['text/markdown', 'application/json'],
        response: { 200: Type.String({ description: 'the file' }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const conversation = await getConversation(ctx, caller(request), request.params.id);
      const format = request.query.format ?? 'markdown';
      const base = `conversation-${conversation.id.slice(0, 8)}`;
      reply.header('content-disposition', `attachment; filename="${base}.${format === 'json' ? 'json' : 'md'}"`);
      reply.header('x-content-type-options', 'nosniff');
      if (format === 'json') {
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(conversation, null, 2));
      }
      return reply.type('text/markdown; charset=utf-8').send(conversationMarkdown(conversation));
    },
  );

  app.get(
    '/api/v1/admin/chat-feedback',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary: 'How answers were judged: helpful / not per model and per KB, and recent comments (no content)',
        querystring: FeedbackSummaryQuery,
        response: { 200: FeedbackSummarySchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => feedbackSummary(ctx, request.query.days ?? 30),
  );
}
